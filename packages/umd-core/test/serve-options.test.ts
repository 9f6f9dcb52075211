import { describe, expect, it } from 'vitest';
import { fixture, reapAfterEach, spawnHandler } from './helpers/handlers.js';

reapAfterEach();

// A handler's options are checked before it says HELLO: a value of the wrong type is refused
// with a typed error, never taken for what it does not say ('false' and 0 for true).
describe('serve() and serveRaw() options', () => {
  it.each([
    [
      'framed',
      { name: 'x', exitOnEnd: 'false' },
      'options.exitOnEnd must be a boolean, got "false"',
    ],
    ['framed', { name: 'x', exitOnEnd: 0 }, 'options.exitOnEnd must be a boolean, got 0'],
    ['framed', { name: 'x', reuseRequestBuffers: 'true' }, 'options.reuseRequestBuffers must be'],
    ['raw', { requestSize: 8, exitOnEnd: 'no' }, 'exitOnEnd must be a boolean, got "no"'],
    ['raw', { requestSize: 8, reuseRequestBuffers: 1 }, 'reuseRequestBuffers must be a boolean'],
    [
      'framed',
      { name: 'x', collectAfterBytes: -1 },
      'options.collectAfterBytes must be an integer from 0 to 9007199254740991, got -1',
    ],
    ['framed', { name: 'x', collectAfterBytes: '4194304' }, 'options.collectAfterBytes must be'],
    ['framed', { name: 'x', collectAfterBytes: 1.5 }, 'options.collectAfterBytes must be'],
    ['raw', { requestSize: 8, collectAfterBytes: -1 }, 'collectAfterBytes must be an integer'],
  ] as const)('%s %j is refused', async (mode, options, message) => {
    const handler = spawnHandler(fixture('serve-options.mjs'), mode, {
      SERVE_OPTIONS: JSON.stringify(options),
    });
    handler.child.stdin!.end();
    expect(await handler.exited).toEqual({ code: 3, signal: null });
    await handler.stderrHolding(`refused UMD_INVALID_ARGUMENT: ${message}`);
  });
});
