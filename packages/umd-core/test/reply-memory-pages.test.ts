import { existsSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { hostAddon } from '../src/channel/native-helper.js';

// Reply blocks are not advised MADV_HUGEPAGE: on a VM whose balloon reports free pages to the
// hypervisor, a fresh huge page can cost far more than the 512 small pages it replaces, and a
// burst of large replies starts with fresh blocks (the umd-mgmt README, session 20).
const SMAPS = '/proc/self/smaps';

/** Mappings of this process advised MADV_HUGEPAGE (`hg` in their VmFlags). */
function hugePageAdvised(): number {
  return readFileSync(SMAPS, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('VmFlags:') && line.split(/\s+/).includes('hg')).length;
}

it.runIf(process.platform === 'linux' && existsSync(SMAPS))(
  'a large reply block is mapped without MADV_HUGEPAGE',
  () => {
    const addon = hostAddon();
    expect(addon, 'the native helper is built and loads').toBeDefined();
    const before = hugePageAdvised();
    // 4 MiB: a block of 2 MiB and more starts on a 2 MiB boundary, as huge pages would need.
    const block = addon!.block(4 * 1024 * 1024) as ArrayBuffer;
    expect(block.byteLength).toBe(4 * 1024 * 1024);
    new Uint8Array(block).fill(1);
    expect(hugePageAdvised()).toBe(before);
  },
);
