/**
 * A bpfilter service with a ruleset restored into it by real iptables-legacy-restore (through
 * `bpfilter exec`), and an API client connected to it: the setup of the classification tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bpfilter } from '@umd/bpfilter';
import { expect } from 'vitest';
import { runInNamespace, type ServiceProcess, startService } from './namespace.js';

export interface RestoredService {
  service: ServiceProcess;
  api: Bpfilter;
  /** Stops the client and the service. */
  stop(): Promise<void>;
}

/** Starts a service and restores `rules` (iptables-restore text) into it. */
export async function restoredService(rules: string): Promise<RestoredService> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfilter-rules-'));
  const service = await startService();
  try {
    const file = join(dir, 'rules');
    writeFileSync(file, rules);
    const run = await runInNamespace([{ program: 'restore', stdinFile: file }], {
      socketPath: service.socketPath,
    });
    expect(run.results[0]).toMatchObject({ status: 0, stderr: '' });
    const api = await Bpfilter.connect(service.socketPath);
    return {
      service,
      api,
      stop: async () => {
        await api.stop();
        await service.stop();
      },
    };
  } catch (error) {
    await service.stop();
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
