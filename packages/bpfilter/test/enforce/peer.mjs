#!/usr/bin/env node
// Traffic for the enforcement tests, run inside a test namespace (nsenter).
//   node peer.mjs listen             TCP 22 80 8080 9000 and UDP 53 5353 on every address:
//                                    each answers with the address it saw the peer come from
//   node peer.mjs tcp HOST PORT MS [SPORT]  connect (from source port SPORT if given);
//                                    prints connected:<peer seen> | <errno> | timeout
//   node peer.mjs udp HOST PORT MS [SPORT]  one datagram; prints reply:<peer seen> | <errno> | timeout
// A TCP exchange is the same packets whatever the load: the server writes its line and waits,
// the client reads it and resets (SO_LINGER 0). A FIN close is not: the side that gets the
// first FIN delays its ACK (40 ms and up) and sends it alone, or with its own FIN when its
// process closes sooner, so one twin counted a 52-byte ACK more than the other under load.
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';

const [mode, host, portText, msText, sportText] = process.argv.slice(2);
const port = Number(portText);
const ms = Number(msText ?? 800);
// A chosen source port, for rules that match one (--sport); the kernel picks one otherwise.
const localPort = sportText === undefined ? undefined : Number(sportText);

if (mode === 'listen') {
  // `listening` once every socket is bound: the twin sends its first probe after that line.
  const bound = [];
  for (const p of [22, 80, 8080, 9000]) {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      // No FIN: the client's reset ends the connection (see above).
      socket.write(`${socket.remoteAddress}\n`);
    });
    bound.push(once(server.listen(p, '0.0.0.0'), 'listening'));
  }
  for (const p of [53, 5353]) {
    const udp = createSocket('udp4');
    udp.on('message', (_msg, rinfo) => udp.send(rinfo.address, rinfo.port, rinfo.address));
    bound.push(once(udp.bind(p, '0.0.0.0'), 'listening'));
  }
  Promise.all(bound).then(() => process.stdout.write('listening\n'));
} else if (mode === 'tcp') {
  const socket = connect({ host, port, ...(localPort === undefined ? {} : { localPort }) });
  const timer = setTimeout(() => done('timeout'), ms);
  let data = '';
  socket.on('data', (chunk) => {
    data += chunk;
    if (data.endsWith('\n')) done(`connected:${data.trimEnd()}`);
  });
  socket.on('end', () => done(`closed:${data}`));
  socket.on('error', (error) => done(error.code ?? error.message));
  let finished = false;
  function done(outcome) {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    process.stdout.write(`${outcome}\n`);
    // A connected socket ends with a RST and nothing after it; one still connecting sends
    // nothing more (resetAndDestroy would wait for the connection).
    if (socket.connecting || socket.destroyed) socket.destroy();
    else socket.resetAndDestroy();
  }
} else if (mode === 'udp') {
  const socket = createSocket('udp4');
  const timer = setTimeout(() => done('timeout'), ms);
  socket.on('message', (msg) => done(`reply:${msg}`));
  socket.on('error', (error) => done(error.code ?? error.message));
  // A connected socket reports an ICMP error for its datagram as an errno.
  const send = () => socket.connect(port, host, () => socket.send('probe'));
  if (localPort === undefined) send();
  else socket.bind(localPort, send);
  function done(outcome) {
    clearTimeout(timer);
    process.stdout.write(`${outcome}\n`);
    socket.close();
  }
} else {
  process.stderr.write('usage: peer.mjs listen | tcp|udp HOST PORT [MS [SPORT]]\n');
  process.exitCode = 2;
}
