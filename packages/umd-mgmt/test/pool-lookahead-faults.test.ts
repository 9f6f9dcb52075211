/**
 * lookahead 'auto' after a fast streak holds up to 16 requests in a handler's input: a hang or a
 * crash then fails what that instance held (never re-sent), each caller with a typed error of
 * its own, and no more; every other caller gets its own reply.
 */
import { describe, expect, it } from 'vitest';
import { AUTO_LOOKAHEAD_MAX } from '../src/pool/dispatch.js';
import { fixtureLoader, pooled, str, text } from './helpers/fixtures.js';

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
