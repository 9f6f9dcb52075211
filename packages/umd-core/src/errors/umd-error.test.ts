import { describe, expect, it } from 'vitest';
import { isUmdError, UmdError, UmdErrorCode } from './umd-error.js';

describe('UmdError', () => {
  it('carries its code, cause and detail fields', () => {
    const cause = new Error('boom');
    const error = new UmdError(UmdErrorCode.HANDLER_EXITED, 'handler exited', {
      cause,
      exitCode: 3,
      stderrTail: ['x'],
    });
    expect(error.code).toBe('UMD_HANDLER_EXITED');
    expect(error.cause).toBe(cause);
    expect(error.exitCode).toBe(3);
    expect(error.stderrTail).toEqual(['x']);
    expect(error).toBeInstanceOf(Error);
    expect('signal' in error).toBe(false);
  });

  it('is recognised by brand, also from another copy of the class', () => {
    const foreign = Object.assign(new Error('x'), {
      code: 'UMD_TIMEOUT',
      [Symbol.for('umd.error')]: true,
    });
    expect(isUmdError(foreign)).toBe(true);
    expect(isUmdError(foreign, UmdErrorCode.TIMEOUT)).toBe(true);
    expect(isUmdError(foreign, UmdErrorCode.PROTOCOL)).toBe(false);
    expect(isUmdError(new Error('plain'))).toBe(false);
    expect(isUmdError(null)).toBe(false);
  });
});
