import { describe, expect, it } from 'vitest';
import { parseBlobCliArgs } from './blob-cli-args.js';

describe('umd-blob arguments', () => {
  it('parses bundle and digest forms', () => {
    expect(parseBlobCliArgs(['src/h.ts', '--name', 'h', '--out-dir', 'dist/blobs'])).toEqual({
      kind: 'bundle',
      entry: 'src/h.ts',
      name: 'h',
      outDir: 'dist/blobs',
      minify: true,
      sourcemap: true,
      format: 'auto',
    });
    expect(
      parseBlobCliArgs(['h.ts', '--name', 'h', '--out-dir', 'o', '--no-sourcemap']),
    ).toMatchObject({
      sourcemap: false,
      minify: true,
    });
    expect(parseBlobCliArgs(['--digest', 'dist/blobs/h'])).toEqual({
      kind: 'digest',
      file: 'dist/blobs/h',
      name: undefined,
    });
    expect(parseBlobCliArgs(['--digest', 'x', '--name', 'h'])).toMatchObject({ name: 'h' });
  });
  it('refuses incomplete or mixed arguments', () => {
    expect(() => parseBlobCliArgs(['src/h.ts'])).toThrow(/--name/);
    expect(() => parseBlobCliArgs([])).toThrow(/entry/);
    expect(() => parseBlobCliArgs(['a', '--digest', 'b'])).toThrow();
    expect(() =>
      parseBlobCliArgs(['a', '--name', 'a', '--out-dir', 'd', '--format', 'umd']),
    ).toThrow(/format/);
  });
});
