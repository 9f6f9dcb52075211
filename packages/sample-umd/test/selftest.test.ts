import { describe, expect, it } from 'vitest';
import { handlerKinds, runSelftest } from '@umd/sample-umd';
import { unavailableHandlers } from './helpers.js';

describe.each(handlerKinds)('selftest of the %s handler', (kind) => {
  const skip = unavailableHandlers[kind];

  it.skipIf(skip)(
    '500 random requests with an unload every 50, invalid offsets, kills, no process left',
    async () => {
      const lines: string[] = [];
      const report = await runSelftest({
        handler: kind,
        requests: 500,
        unloadEvery: 50,
        log: (line) => lines.push(line),
      });
      console.log(lines.join('\n'));
      expect(report.problems).toEqual([]);
      // 500 random requests, one after the kill between requests, 3 around the invalid and killed ones.
      expect(report.sent).toBe(504);
      expect(report.succeeded).toBe(504);
      // The first request loads; each of the 9 unloads makes the next request load again.
      expect(report.loads).toBe(10);
      // One start per load, plus one after each kill.
      expect(report.starts).toBeGreaterThanOrEqual(12);
      expect(report.pids).toBe(report.starts);
      expect(report.refused).toBeGreaterThanOrEqual(6);
      expect(report.killedInFlight).toMatch(/^(reply|UMD_[A-Z_]+)$/);
      expect(report.leftovers).toEqual([]);
    },
    120_000,
  );
});
