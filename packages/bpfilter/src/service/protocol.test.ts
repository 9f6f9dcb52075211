import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  IPT_SO_GET_INFO,
  IPT_SO_GET_REVISION_TARGET,
  IPT_SO_SET_ADD_COUNTERS,
  IPT_SO_SET_REPLACE,
  UMD_CMD_TABLE_NAMES,
} from '../abi/constants.js';
import { MBOX_REQUEST_HEADER_SIZE } from '../abi/mbox.js';
import { BPFILTER_SOCKET_ENV, SERVICE_MAX_PAYLOAD } from './protocol.js';

// The preload library is C; its numbers must be the TypeScript side's.
const header = readFileSync(new URL('../../native/bpfilter_preload.h', import.meta.url), 'utf8');
function define(name: string): string {
  const match = new RegExp(`^#define ${name} (.+)$`, 'm').exec(header);
  if (!match) throw new Error(`${name} is not defined in bpfilter_preload.h`);
  return match[1]!.trim();
}

describe('preload header and service protocol', () => {
  it('agree on the option numbers, the table-names command and the header size', () => {
    expect(Number(define('IPT_SO_SET_REPLACE'))).toBe(IPT_SO_SET_REPLACE);
    expect(Number(define('IPT_SO_SET_ADD_COUNTERS'))).toBe(IPT_SO_SET_ADD_COUNTERS);
    expect(Number(define('IPT_SO_GET_INFO'))).toBe(IPT_SO_GET_INFO);
    expect(Number(define('IPT_SO_GET_REVISION_TARGET'))).toBe(IPT_SO_GET_REVISION_TARGET);
    expect(Number(define('BPFILTER_UMD_GET_TABLE_NAMES'))).toBe(UMD_CMD_TABLE_NAMES);
    expect(Number(define('MBOX_REQUEST_SIZE'))).toBe(MBOX_REQUEST_HEADER_SIZE);
    expect(define('BPFILTER_SOCKET_ENV')).toBe(`"${BPFILTER_SOCKET_ENV}"`);
    // The preload reads replies up to umd_wire.h's default maximum: the service's must not exceed it.
    expect(SERVICE_MAX_PAYLOAD).toBeLessThanOrEqual(64 * 1024 * 1024);
  });
});
