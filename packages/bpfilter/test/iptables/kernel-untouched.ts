/** The check every run through bpfilter ends with: the namespace's kernel saw nothing of it. */
import { expect } from 'vitest';
import type { NamespaceRun } from './namespace.js';

/** No table in use in the kernel of `run`'s namespace, and nothing for iptables-save there. */
export function expectKernelUntouched(run: NamespaceRun): void {
  expect(run.kernelTableNames).toBe('');
  expect(run.kernelSave).toBe('');
}
