/**
 * `runManagerSelftest` of `@umd/mgmt/testing` against a real echo handler: a driver that
 * behaves passes with the counts the steps imply; one whose replies go wrong after a restart,
 * or whose host lets an invalid request through, fails with each problem named.
 */
import { isUmdError, UmdErrorCode } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { runManagerSelftest } from '../src/testing/index.js';
import { fixtureLoader, managed, str, text } from './helpers/fixtures.js';

function echoManager() {
  return managed({ loader: async () => fixtureLoader('echo') });
}

describe('runManagerSelftest', () => {
  it('passes a driver that answers, refuses and restarts as it should', async () => {
    const manager = echoManager();
    const lines: string[] = [];
    const report = await runManagerSelftest({
      manager,
      requests: 40,
      unloadEvery: 10,
      seed: 7,
      log: (line) => lines.push(line),
      request: async (random) => {
        const sent = `echo ${Math.floor(random() * 1e6)}`;
        const reply = str(await manager.request(text(sent)));
        if (reply !== sent) throw new Error(`sent ${sent}, got ${reply}`);
      },
      invalid: [
        {
          label: 'timeoutMs NaN',
          send: () => manager.request(text('x'), { timeoutMs: Number.NaN }),
        },
        { label: 'timeoutMs -1', send: () => manager.request(text('x'), { timeoutMs: -1 }) },
      ],
      malformed: [
        {
          label: 'a request the handler refuses',
          send: () => manager.request(text('fail:22')),
          refused: (error) =>
            isUmdError(error, UmdErrorCode.HANDLER_ERROR) && error.handlerCode === -22,
        },
      ],
    });
    expect(report.problems).toEqual([]);
    // 40 random, one after the kill between requests, three around the invalid and killed ones.
    expect(report).toMatchObject({ seed: 7, sent: 44, succeeded: 44, loads: 4, refused: 3 });
    expect(report.starts).toBeGreaterThanOrEqual(6); // one a load, one after each kill
    expect(report.pids).toBe(report.starts);
    expect(report.killedInFlight).toMatch(/^(reply|UMD_[A-Z_]+)$/);
    expect(report.leftovers).toEqual([]);
    expect(lines.at(-1)).toMatch(/PASS test: 4 loads/);
  }, 60_000);

  it('fails a driver whose replies go wrong after a restart and whose host lets bad input through', async () => {
    const manager = echoManager();
    let answered = 0;
    const report = await runManagerSelftest({
      manager,
      requests: 6,
      unloadEvery: 100,
      // "Right" only while the first handler answers (its count of requests served goes on
      // rising): every restart breaks it.
      request: async () => {
        const count = Number(str(await manager.request(text('count:'))));
        if (count <= answered) throw new Error(`count ${count} after ${answered}`);
        answered = count;
      },
      invalid: [{ label: 'an echo', send: () => manager.request(text('fine')) }],
    });
    expect(report.problems).toContainEqual(
      expect.stringMatching(/^request after killing handler \d+: count 1 after/),
    );
    expect(report.problems).toContain('an echo was accepted');
    expect(report.succeeded).toBeLessThan(report.sent);
    expect(report.leftovers).toEqual([]);
  }, 60_000);
});
