// The child side of the fork() IPC baseline: echoes every message back unchanged.
process.on('message', (message) => process.send(message));
