import { describe, expect, it } from 'vitest';
import { isUmdError, UmdErrorCode } from '@umd/core';
import { driverNames } from './names.js';

describe('driverNames', () => {
  it('spells a kebab-case name every way the template needs', () => {
    expect(driverNames('my-driver')).toEqual({
      packageName: 'my-driver',
      name: 'my-driver',
      pascal: 'MyDriver',
      constant: 'MY_DRIVER',
    });
    expect(driverNames('crc32')).toMatchObject({ pascal: 'Crc32', constant: 'CRC32' });
  });

  it('keeps a given scope, or adds the default one', () => {
    expect(driverNames('@acme/tls-probe').packageName).toBe('@acme/tls-probe');
    expect(driverNames('tls-probe', '@umd')).toMatchObject({
      packageName: '@umd/tls-probe',
      name: 'tls-probe',
    });
  });

  it.each([
    '',
    'My-Driver',
    '1driver',
    'my_driver',
    'my--driver',
    'driver-',
    '../x',
    'a b',
    '@/x',
    'acme/x',
    'x'.repeat(51),
  ])('refuses %j', (input) => {
    let error: unknown;
    try {
      driverNames(input);
    } catch (caught) {
      error = caught;
    }
    expect(isUmdError(error, UmdErrorCode.INVALID_ARGUMENT)).toBe(true);
  });
});
