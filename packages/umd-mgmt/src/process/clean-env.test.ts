import { describe, expect, it } from 'vitest';
import { buildHandlerEnv, TUNED_ALLOCATOR_ENV } from './clean-env.js';

describe('buildHandlerEnv', () => {
  const host = {
    PATH: '/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    NODE_OPTIONS: '--require /evil.js',
    NODE_EXTRA_CA_CERTS: '/ca.pem',
    AWS_SECRET: 's',
    MALLOC_TOP_PAD_: '1',
    MALLOC_ARENA_MAX: '1',
  };

  it('keeps only allow-listed host variables and sets UMD_PROTOCOL', () => {
    expect(buildHandlerEnv('raw', {}, host)).toEqual({
      PATH: '/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      UMD_PROTOCOL: 'raw',
    });
  });

  it('adds the caller extras but refuses NODE_OPTIONS and UMD_PROTOCOL overrides', () => {
    expect(buildHandlerEnv('framed', { DEBUG_LEVEL: '2' }, host)).toMatchObject({
      DEBUG_LEVEL: '2',
      UMD_PROTOCOL: 'framed',
    });
    expect(() => buildHandlerEnv('framed', { NODE_OPTIONS: '--allow-fs-write=*' }, host)).toThrow(
      /NODE_OPTIONS/,
    );
    expect(() => buildHandlerEnv('framed', { UMD_PROTOCOL: 'raw' }, host)).toThrow(/UMD_PROTOCOL/);
  });

  it("adds the manager's defaults with its own values (never the host's), which extras override", () => {
    expect(buildHandlerEnv('framed', {}, host, TUNED_ALLOCATOR_ENV)).toEqual({
      PATH: '/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      MALLOC_MMAP_THRESHOLD_: '268435456',
      MALLOC_TRIM_THRESHOLD_: '1073741824',
      MALLOC_TOP_PAD_: '67108864',
      UMD_PROTOCOL: 'framed',
    });
    expect(
      buildHandlerEnv('framed', { MALLOC_TOP_PAD_: '0' }, host, TUNED_ALLOCATOR_ENV)
        .MALLOC_TOP_PAD_,
    ).toBe('0');
  });
});
