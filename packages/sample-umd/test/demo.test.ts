import { isUmdError, UmdErrorCode } from '@umd/core';
import { handlerKinds, runSampleDemo } from '@umd/sample-umd';
import { expect, it } from 'vitest';
import { unavailableHandlers } from './helpers.js';

it('the demo shows each step of a driver life as it happens, for each handler', async () => {
  const lines: string[] = [];
  const kinds = handlerKinds.filter((kind) => unavailableHandlers[kind] === undefined);
  await runSampleDemo((line) => lines.push(line), { handlers: kinds });
  for (const kind of kinds) {
    const steps = lines
      .filter((line) => line.startsWith(`[sample ${kind}] `))
      .map((line) => line.split(/\s+/)[2]);
    expect(steps).toEqual([
      expect.stringMatching(/framed|raw/),
      'load',
      'start',
      'ready',
      'request',
      'request',
      'exit',
      'unload',
      'load',
      'start',
      'ready',
      'request',
      'kill',
      'exit',
      'start',
      'restart',
      'ready',
      'request',
      'refused',
      'exit',
      'stopped',
    ]);
  }
});

it('an abort stops the demo at the step under way, and its handler with it', async () => {
  const [kind] = handlerKinds.filter((k) => unavailableHandlers[k] === undefined);
  const lines: string[] = [];
  const controller = new AbortController();
  const run = runSampleDemo(
    (line) => {
      lines.push(line);
      if (/ request {2}offset 4096/.test(line)) controller.abort(new Error('enough'));
    },
    { handlers: kind === undefined ? [] : [kind, kind], signal: controller.signal },
  );
  if (kind === undefined) return run;
  await expect(run).rejects.toSatisfy(
    (error: unknown) =>
      isUmdError(error, UmdErrorCode.ABORTED) || (error as Error).message === 'enough',
  );
  const steps = lines.map((line) => line.split(/\s+/)[2]);
  // One handler's demo only, cut after its first request, then stopped.
  expect(steps.filter((step) => step === 'request')).toEqual(['request']);
  expect(steps.at(-1)).toBe('stopped');
  const pid = Number(/handler process (\d+)/.exec(lines.join('\n'))?.[1]);
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
});
