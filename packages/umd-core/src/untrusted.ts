/**
 * `@umd/core/untrusted`: taking what comes from less trusted hands without letting it hurt
 * the host. A path that someone else may have made a FIFO, a device or a symlink is opened
 * without blocking and kept only as a regular file; text a handler wrote loses its control
 * characters before it reaches a log. The umd packages share these helpers; use them in a
 * driver's host too.
 * @packageDocumentation
 */
export {
  type NotRegularFile,
  type NotRegularFileKind,
  type OpenedRegularFile,
  openRegularFile,
  type OpenRegularFileOptions,
} from './untrusted/regular-file.js';
export { untrustedText, withoutControlCharacters } from './errors/untrusted-text.js';
