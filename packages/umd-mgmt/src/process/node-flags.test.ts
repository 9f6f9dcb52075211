import { describe, expect, it } from 'vitest';
import { nodeArgsFor, permissionFlag, tunedNodeFlags } from './node-flags.js';

describe('permission flags', () => {
  it('prefers --permission, falls back to --experimental-permission', () => {
    expect(permissionFlag(new Set(['--permission', '--experimental-permission']))).toBe(
      '--permission',
    );
    expect(permissionFlag(new Set(['--experimental-permission']))).toBe(
      '--experimental-permission',
    );
    expect(permissionFlag(new Set())).toBeUndefined();
  });

  it('knows the running node', () => {
    expect(permissionFlag()).toMatch(/^--(experimental-)?permission$/);
  });

  it('grants read access to the blob only, and nothing else', () => {
    const args = nodeArgsFor(
      '/tmp/umd-x/echo.blob.mjs',
      { maxOldSpaceSizeMb: 64 },
      new Set(['--experimental-permission', '--disable-warning']),
    );
    expect(args).toEqual([
      '--experimental-permission',
      '--allow-fs-read=/tmp/umd-x/echo.blob.mjs',
      '--disable-warning=ExperimentalWarning',
      '--max-old-space-size=64',
      '/tmp/umd-x/echo.blob.mjs',
    ]);
    expect(args.some((a) => /allow-(fs-write|child-process|worker|addons|wasi)/.test(a))).toBe(
      false,
    );
  });

  it('adds the GC flags when asked, after the memory cap', () => {
    const args = nodeArgsFor('/b.mjs', {
      permission: false,
      maxOldSpaceSizeMb: 8,
      singleThreadedGc: true,
      minSemiSpaceSizeMb: 4,
    });
    expect(args).toEqual([
      '--max-old-space-size=8',
      '--single-threaded-gc',
      '--min-semi-space-size=4',
      '/b.mjs',
    ]);
    const off = { permission: false, singleThreadedGc: false, minSemiSpaceSizeMb: 0 };
    expect(nodeArgsFor('/b.mjs', off)).toEqual(['/b.mjs']);
  });

  it('runs unsandboxed only when asked', () => {
    expect(nodeArgsFor('/b.mjs', { permission: false })).toEqual(['/b.mjs']);
    expect(() => nodeArgsFor('/b.mjs', {}, new Set())).toThrow(/permission/);
  });

  it('caps the young generation on V8 13 (Node 24) only', () => {
    const cap = ['--scavenger-max-new-space-capacity-mb=8'];
    expect(tunedNodeFlags('13.6.233.17-node.63')).toEqual(cap);
    for (const v8 of ['11.3.244.8-node.38', '12.4.254.21-node.57', '14.6.202.34-node.40'])
      expect(tunedNodeFlags(v8), v8).toEqual([]);
  });
});
