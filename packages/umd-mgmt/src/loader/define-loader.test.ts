import { pathToFileURL } from 'node:url';
import { isUmdError } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { defineLoader, isLoader, unwrapLoader } from './define-loader.js';

const sha256 = 'ab'.repeat(32);

describe('defineLoader', () => {
  it('accepts a JS blob by path or file URL and freezes the result', () => {
    const byPath = defineLoader({
      name: 'echo',
      mode: 'framed',
      script: '/opt/x/echo.blob.mjs',
      sha256,
    });
    expect(byPath.kind).toBe('js');
    expect(byPath.blobPath).toBe('/opt/x/echo.blob.mjs');
    expect(Object.isFrozen(byPath)).toBe(true);
    const byUrl = defineLoader({
      name: 'echo',
      mode: 'raw',
      script: pathToFileURL('/opt/x/echo.blob.mjs'),
      sha256,
    });
    expect(byUrl.blobPath).toBe('/opt/x/echo.blob.mjs');
    expect(isLoader(byUrl)).toBe(true);
  });

  it('accepts a native executable with args, and normalizes the digest to lower case', () => {
    const loader = defineLoader({
      name: 'c-echo',
      mode: 'framed',
      executable: '/opt/echo',
      sha256: sha256.toUpperCase(),
      args: ['-v'],
    });
    expect(loader.kind).toBe('native');
    expect(loader.sha256).toBe(sha256);
    expect(loader.args).toEqual(['-v']);
  });

  it.each([
    ['no blob', { name: 'a', mode: 'framed', sha256 }],
    ['both blobs', { name: 'a', mode: 'framed', sha256, script: '/a', executable: '/b' }],
    ['relative path', { name: 'a', mode: 'framed', sha256, script: 'a.mjs' }],
    ['bad digest', { name: 'a', mode: 'framed', sha256: 'abc', script: '/a' }],
    ['bad mode', { name: 'a', mode: 'json', sha256, script: '/a' }],
    ['bad name', { name: '../x', mode: 'framed', sha256, script: '/a' }],
    ['bad args', { name: 'a', mode: 'framed', sha256, script: '/a', args: [1] }],
  ])('refuses %s with UMD_INVALID_ARGUMENT', (_, spec) => {
    expect(() => defineLoader(spec as never)).toThrow(
      expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }),
    );
  });
});

describe('unwrapLoader', () => {
  const loader = defineLoader({ name: 'echo', mode: 'framed', script: '/a.mjs', sha256 });
  it('takes a loader or a module namespace with a default loader', () => {
    expect(unwrapLoader(loader, 'm')).toBe(loader);
    expect(unwrapLoader({ default: loader }, 'm')).toBe(loader);
  });
  it('refuses anything else with UMD_LOADER', () => {
    for (const value of [undefined, {}, { default: { name: 'x' } }, { ...loader }]) {
      let caught: unknown;
      try {
        unwrapLoader(value, 'm');
      } catch (error) {
        caught = error;
      }
      expect(isUmdError(caught, 'UMD_LOADER')).toBe(true);
    }
  });
});
