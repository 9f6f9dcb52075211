// Debugging a JS handler: Node flags from the loader (validated), source-mapped stacks of a
// blob built by @umd/build, and a start failure whose cause is only on stderr named in the
// error's message with what to do.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBlob, sha256File } from '@umd/build';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineLoader } from '../src/index.js';
import { fixtureLoader, managed, rejection, str, text } from './helpers/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'umd-debugging-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('debugging a JS handler', () => {
  it('an unbundled script: UMD_START_FAILED names the missing import and says to bundle it', async () => {
    const script = join(dir, 'unbundled.mjs');
    await writeFile(
      script,
      "import { serve } from '@umd/core/handler';\nserve((p) => p, { name: 'u' });\n",
    );
    const m = managed({
      loader: defineLoader({ name: 'u', mode: 'framed', script, sha256: await sha256File(script) }),
    });
    const error = await rejection(m.request(text('x')));
    expect(error.code).toBe('UMD_START_FAILED');
    expect(error.message).toMatch(/exited with code 1: Error \[ERR_\w+\]: .*@umd\/core/);
    expect(error.message).toContain('bundle the handler and everything it imports');
    expect(error.message).toContain('buildBlob');
  });

  it('--enable-source-maps: a crash of a built blob points at the source line', async () => {
    const entry = join(dir, 'crash.ts');
    await writeFile(
      entry,
      "function explode(): never {\n  throw new Error('broke at start');\n}\nexplode();\n",
    );
    const blob = await buildBlob({ entry, outDir: join(dir, 'blobs'), name: 'crash' });
    const loader = (nodeFlags: string[]) =>
      defineLoader({
        name: 'crash',
        mode: 'framed',
        script: blob.file,
        sha256: blob.sha256,
        nodeFlags,
      });
    const mapped = await rejection(
      managed({ loader: loader(['--enable-source-maps']) }).request(text('x')),
    );
    expect(mapped.code).toBe('UMD_START_FAILED');
    expect(mapped.message).toMatch(/exited with code 1: Error: broke at start$/);
    expect(String(mapped.stderrTail)).toContain(`${entry}:2`);
    const bare = await rejection(managed({ loader: loader([]) }).request(text('x')));
    expect(String(bare.stderrTail)).not.toContain('crash.ts');
  });

  it('--inspect: the handler listens on the loopback and still answers; under the permission model it is refused', async () => {
    const inspected = fixtureLoader('echo', { nodeFlags: ['--inspect=127.0.0.1:0'] });
    const m = managed({ loader: inspected, sandbox: { permission: false } });
    const stderr: string[] = [];
    m.on('stderr', (line) => stderr.push(line));
    expect(str(await m.request(text('hello')))).toBe('hello');
    expect(stderr.join('\n')).toMatch(/Debugger listening on ws:\/\/127\.0\.0\.1:\d+\//);
    const execArgv = JSON.parse(str(await m.request(text('argv:')))) as string[];
    expect(execArgv).toContain('--inspect=127.0.0.1:0');
    await m.stop();
    const refused = await rejection(managed({ loader: inspected }).request(text('x')));
    expect(refused.code).toBe('UMD_START_FAILED');
    expect(refused.message).toMatch(/--inspect=127\.0\.0\.1:0 needs sandbox\.permission = false/);
  });

  it.each([
    [['--require=/tmp/evil.js']],
    [['--import', 'data:text/javascript,1']],
    [['--allow-fs-write=*']],
    [['--inspect=0.0.0.0:9229']],
    [['--enable-source-maps', '--expose-gc']],
    [['--enable-source-maps=1']],
    ['--enable-source-maps'],
    [[1]],
  ])('defineLoader refuses nodeFlags %j with UMD_INVALID_ARGUMENT', (nodeFlags) => {
    expect(() => fixtureLoader('echo', { nodeFlags: nodeFlags as unknown as string[] })).toThrow(
      expect.objectContaining({
        code: 'UMD_INVALID_ARGUMENT',
        message: expect.stringMatching(/nodeFlags/),
      }),
    );
  });

  it('nodeFlags are for JS handlers only', () => {
    expect(() => fixtureLoader('native-echo', { nodeFlags: ['--enable-source-maps'] })).toThrow(
      /nodeFlags are for a script/,
    );
  });
});
