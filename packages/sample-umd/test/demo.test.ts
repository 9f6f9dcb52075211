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
