import { describe, expect, it } from 'vitest';
import { fixtureLoader, managed, rejection, str, text } from './helpers/fixtures.js';

describe('stderr at a bounded cost', () => {
  it('a flood of stderr lines: events are rate-limited, every other line is counted, the tail is the last lines', async () => {
    const m = managed({ loader: fixtureLoader('echo'), stderrTailLines: 4 });
    const lines: string[] = [];
    m.on('stderr', (line) => lines.push(line));
    const n = 200_000;
    const t0 = performance.now();
    expect(str(await m.request(text(`spew:${n}`)))).toBe('spewed');
    // The manager still serves while the flood is read.
    expect(str(await m.request(text('still here')))).toBe('still here');
    const error = await rejection(m.request(text('exit:3')));
    const seconds = (performance.now() - t0) / 1000;
    expect(error).toMatchObject({ code: 'UMD_HANDLER_EXITED', exitCode: 3 });
    expect(error.stderrTail).toEqual([
      `line ${n - 4}`,
      `line ${n - 3}`,
      `line ${n - 2}`,
      `line ${n - 1}`,
    ]);
    // At most 1000 events a second (50 per 50 ms slice, plus one slice of slack); none is lost
    // uncounted.
    expect(lines.length).toBeLessThanOrEqual(50 * (Math.ceil(seconds * 20) + 1));
    expect(lines.slice(0, 3)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(lines.length + m.stats().stderrLinesDropped).toBe(n);
  });
});
