/**
 * lookahead 'auto' after a fast streak holds up to 16 requests in a handler's input. A crash
 * then fails what that instance held (never re-sent), each caller with a typed error of its own,
 * and no more; behind a hang, what the handler confirms it has not started goes to the other
 * instance. Every other caller gets its own reply, and no request runs twice.
 */
import { describe, expect, it } from 'vitest';
import { AUTO_LOOKAHEAD_MAX } from '../src/pool/dispatch.js';
import { fixtureLoader, pooled, str, text } from './helpers/fixtures.js';
import { pollUntil } from './helpers/process-table.js';

describe("lookahead 'auto' behind a fault", () => {
  it.each([
    ['hang:', 'UMD_TIMEOUT'],
    ['exit:1', 'UMD_HANDLER_EXITED'],
  ])(
    '%s after a fast streak: what the instance held fails, typed; the rest is served',
    async (fault, code) => {
      const pool = pooled({
        loader: fixtureLoader('echo'),
        instances: 2,
        lookahead: 'auto',
      });
      await pool.start();
      for (let round = 0; round < 3; round++)
        await Promise.all(Array.from({ length: 200 }, (_, i) => pool.request(text(`w${i}`))));
      // Its own timeout (the others keep the default 30 s, none of which passes on a busy
      // machine): it runs at once on an idle instance, and the burst then waits behind it.
      const faulty = pool.request(text(fault), { timeoutMs: 400 }).then(
        () => 'replied',
        (error: { code: string }) => error.code,
      );
      const calls = Array.from({ length: 40 }, (_, i) =>
        pool.request(text(`q${i}`)).then(
          (reply) => (str(reply) === `q${i}` ? 'own reply' : `another reply: ${str(reply)}`),
          (error: { code: string }) => error.code,
        ),
      );
      const held = Math.max(...pool.stats().instances.map((s) => s.inFlight));
      expect(held).toBeLessThanOrEqual(1 + AUTO_LOOKAHEAD_MAX);
      expect(await faulty).toBe(code);
      const results = await Promise.all(calls);
      const failed = results.filter((r) => r !== 'own reply');
      // Only the requests that waited behind the fault in its handler's input.
      expect(failed.length).toBeLessThanOrEqual(held - 1);
      expect(new Set(failed)).toEqual(new Set(failed.length ? ['UMD_HANDLER_EXITED'] : []));
      expect(pool.stats().total).toMatchObject({
        inFlight: 0,
        queued: 0,
        failures: failed.length + 1,
      });
    },
  );
});

it('a hang mid-burst: what waited behind it runs on the other instance, once; the hang times out', async () => {
  // The most 'auto' lets wait in an input, fixed: with 'auto' how many wait (and whether the hang
  // is handed out with the burst or later, from the queue) follows the machine's pace.
  const pool = pooled({
    loader: fixtureLoader('echo'),
    instances: 2,
    lookahead: AUTO_LOOKAHEAD_MAX,
    requestTimeoutMs: 2_000,
  });
  // Each request of the burst writes its name to stderr when it runs: the runs, by name.
  const runs = new Map<string, number>();
  pool.on('stderr', (line) => runs.set(line, (runs.get(line) ?? 0) + 1));
  await pool.start();
  // Slow first replies: twice their time (mayLookAhead's bound) outlasts a loaded machine's
  // pauses in the burst, so the hang and the requests after it go out with it.
  await Promise.all([pool.request(text('delay:300:w0')), pool.request(text('delay:300:w1'))]);
  // One burst, the hang in its middle: all default timeouts, so all may wait in an input.
  const calls = Array.from({ length: 41 }, (_, i) =>
    pool.request(text(i === 20 ? 'hang:' : `stderr:q${i}`)).then(
      (reply) => str(reply),
      (error: { code: string }) => error.code,
    ),
  );
  const hungAt = pool.stats().instances.map((s) => s.inFlight);
  const results = await Promise.all(calls);
  expect(results[20]).toBe('UMD_TIMEOUT');
  expect(results.filter((r, i) => i !== 20 && r !== 'ok')).toEqual([]);
  expect(await pollUntil(() => runs.size === 40)).toBe(true);
  expect([...runs.values()].every((n) => n === 1)).toBe(true);
  // Requests did wait behind the hang (each instance took 1 + 16 of the burst at once), and were
  // given back (counted at that instance).
  expect(hungAt).toEqual([1 + AUTO_LOOKAHEAD_MAX, 1 + AUTO_LOOKAHEAD_MAX]);
  const given = pool.stats().instances.map((s) => s.failures);
  expect(given.reduce((a, b) => a + b)).toBeGreaterThan(1);
  expect(pool.stats().total).toMatchObject({ inFlight: 0, queued: 0, failures: 1 });
}, 30_000);
