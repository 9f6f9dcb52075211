import { existsSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startHost } from './helpers/host-script.js';

const autogroup = (pid: number) => readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim();

describe.runIf(existsSync('/proc/self/autogroup'))('a niced host', () => {
  it.each(['js', 'native'])(
    "gives its handler's session its nice value (%s handler)",
    async (kind) => {
      // The host in a session of its own at nice 0, its process 7 nicer than this one.
      const nice = Math.min(19, getPriority() + 7);
      const { host, handlerPid, exited } = await startHost(
        'wait',
        kind === 'native' ? 'native' : undefined,
        ['setsid', 'nice', '-n', '7'],
      );
      try {
        expect(autogroup(host.pid!)).toMatch(/ nice 0$/);
        const handlerGroup = autogroup(handlerPid);
        expect(handlerGroup.split(' ')[0]).not.toBe(autogroup(host.pid!).split(' ')[0]);
        expect(handlerGroup).toMatch(new RegExp(` nice ${nice}$`));
      } finally {
        host.kill('SIGKILL');
        await exited;
      }
    },
  );
});
