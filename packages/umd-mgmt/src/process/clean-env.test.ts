import { describe, expect, it } from 'vitest';
import { buildHandlerEnv } from './clean-env.js';

describe('buildHandlerEnv', () => {
  const host = { PATH: '/bin', HOME: '/root', LANG: 'C.UTF-8', NODE_OPTIONS: '--require /evil.js', NODE_EXTRA_CA_CERTS: '/ca.pem', AWS_SECRET: 's' };

  it('keeps only allow-listed host variables and sets UMD_PROTOCOL', () => {
    expect(buildHandlerEnv('raw', {}, host)).toEqual({ PATH: '/bin', HOME: '/root', LANG: 'C.UTF-8', UMD_PROTOCOL: 'raw' });
  });

  it('adds the caller extras but refuses NODE_OPTIONS and UMD_PROTOCOL overrides', () => {
    expect(buildHandlerEnv('framed', { DEBUG_LEVEL: '2' }, host)).toMatchObject({ DEBUG_LEVEL: '2', UMD_PROTOCOL: 'framed' });
    expect(() => buildHandlerEnv('framed', { NODE_OPTIONS: '--allow-fs-write=*' }, host)).toThrow(/NODE_OPTIONS/);
    expect(() => buildHandlerEnv('framed', { UMD_PROTOCOL: 'raw' }, host)).toThrow(/UMD_PROTOCOL/);
  });
});
