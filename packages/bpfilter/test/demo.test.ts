import { isUmdError, UmdErrorCode } from '@umd/core';
import { runDemo } from '@umd/bpfilter';
import { expect, it } from 'vitest';

/** The pids of the handlers the demo's lines name. */
const pidsIn = (lines: string[]) =>
  [...lines.join('\n').matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));

it('the demo restores, classifies, survives its handler killed, and saves', async () => {
  const lines: string[] = [];
  await runDemo({ write: (line) => lines.push(line) });
  const text = lines.join('\n');
  expect(text).toMatch(/classify ssh from the LAN +-> ACCEPT by ssh rule 1/);
  expect(text).toMatch(/classify ssh from the internet +-> DROP by INPUT policy/);
  expect(text).toMatch(/killing the handler \(pid \d+\)/);
  expect(text).toMatch(/-A ssh -s 10\.0\.0\.0\/8 -j ACCEPT/);
  const [killed, after] = pidsIn(lines);
  expect(after).not.toBe(killed);
  for (const pid of pidsIn(lines))
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
});

it('an abort stops the demo at the call under way (UMD_ABORTED), or before it starts', async () => {
  const lines: string[] = [];
  const controller = new AbortController();
  const run = runDemo({
    write: (line) => {
      lines.push(line);
      if (lines.filter((l) => l.includes('classify')).length === 2) controller.abort();
    },
    signal: controller.signal,
  });
  await expect(run).rejects.toSatisfy((error: unknown) => isUmdError(error, UmdErrorCode.ABORTED));
  expect(lines.filter((line) => line.includes('classify'))).toHaveLength(2);
  expect(lines.join('\n')).not.toMatch(/killing the handler/);
  await expect(runDemo({ signal: AbortSignal.abort(new Error('no')) })).rejects.toThrow('no');
});
