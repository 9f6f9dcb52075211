import { describe, expect, it } from 'vitest';
import { createHandlerCore } from '../src/handler/core.js';
import { classify } from './handler-core-requests.js';
import {
  CAPTURED_PACKETS,
  capture,
  capturedTableEntries,
  installCapturedTables,
  LO_PATH,
} from './vectors/classify-capture.js';

// classify.json: packets a real kernel classified (see capture-classify.mjs): the filter and
// mangle tables before and after, as GET_ENTRIES returned them, counters included.
describe('classification against a real kernel', () => {
  it('counts exactly what the kernel counted for the same packets, hook after hook, filter and mangle', () => {
    const core = createHandlerCore();
    installCapturedTables(core);
    for (const name of ['filter', 'mangle'] as const)
      expect(capturedTableEntries(core, name)).toBe(capture.tables[name].before);

    const journeys: string[] = [];
    for (const packet of CAPTURED_PACKETS) {
      const steps: string[] = [];
      for (const [table, hook, side] of LO_PATH) {
        const reply = classify(
          core,
          table,
          hook,
          side === 'out' ? { ...packet, outInterface: 'lo' } : { ...packet, inInterface: 'lo' },
        );
        steps.push(`${table}/${hook} ${reply.verdict}`);
        if (reply.verdict !== 'ACCEPT') break;
      }
      journeys.push(steps.join(', '));
    }
    expect(journeys.join('\n')).not.toMatch(/CANNOT_EVALUATE/);
    for (const name of ['filter', 'mangle'] as const)
      expect(capturedTableEntries(core, name), name).toBe(capture.tables[name].after);
  });
});
