/**
 * IPv4 targets as the kernel registers them (Linux 6.18): revisions measured with
 * GET_REVISION_TARGET, data sizes from the uapi structs, table/hook/protocol restrictions
 * and checkentry rules from each `xt_*.c` (`target-checks.ts`), each checked against a kernel
 * in a network namespace (test/iptables-validation.test.ts).
 */
import { XT_FUNCTION_MAXNAMELEN } from '../abi/index.js';
import { byteAtMost, Errno, type ExtensionSpec, H, PROTO, registry } from './extension-spec.js';
import {
  checkChecksum,
  checkConnmark,
  checkConnsecmark,
  checkCt,
  checkEcnTarget,
  checkHmark,
  checkIdletimer,
  checkLog,
  checkNflog,
  checkNfqueue,
  checkRateestTarget,
  checkReject,
  checkSecmark,
  checkTcpmss,
  checkTee,
  checkTtl,
  natCompat,
  natRevisionCheck,
  tcpOrUdp,
} from './target-checks.js';
import { checkSetTarget } from './set-checks.js';

/** IPv4 targets: name -> spec. */
export const TARGETS: ReadonlyMap<string, ExtensionSpec> = registry({
  '': { sizes: { 0: 4 } },
  // The kernel's targetsize is the name field alone: GET_ENTRIES zeroes the 2 bytes after it.
  ERROR: { sizes: { 0: XT_FUNCTION_MAXNAMELEN } },
  REJECT: {
    sizes: { 0: 4 },
    table: 'filter',
    hooks: H.IN | H.FWD | H.OUT,
    check: checkReject,
  },
  LOG: {
    sizes: { 0: 32 },
    check: checkLog,
  },
  MASQUERADE: {
    sizes: { 0: 20 },
    table: 'nat',
    hooks: H.POST,
    check: natCompat({ mapIps: 'refused' }),
  },
  SNAT: {
    familyIndependent: true,
    sizes: { 0: 20, 1: 40, 2: 44 },
    table: 'nat',
    hooks: H.POST | H.IN,
    check: natRevisionCheck,
  },
  DNAT: {
    familyIndependent: true,
    sizes: { 0: 20, 1: 40, 2: 44 },
    table: 'nat',
    hooks: H.PRE | H.OUT,
    check: natRevisionCheck,
  },
  REDIRECT: {
    sizes: { 0: 20 },
    table: 'nat',
    hooks: H.PRE | H.OUT,
    check: natCompat({ mapIps: 'refused' }),
  },
  NETMAP: {
    sizes: { 0: 20 },
    table: 'nat',
    hooks: H.PRE | H.IN | H.OUT | H.POST,
    check: natCompat({ mapIps: 'required' }),
  },
  MARK: { sizes: { 2: 8 } },
  CONNMARK: { sizes: { 1: 16, 2: 16 }, check: checkConnmark },
  // Revisions 1 and 2 too copy back only struct xt_ct_target_info's fields (measured on 6.18).
  CT: {
    sizes: { 0: 40, 1: 72, 2: 72 },
    userSizes: { 0: 32, 1: 32, 2: 32 },
    table: 'raw',
    check: checkCt,
  },
  NOTRACK: { sizes: { 0: 0 }, table: 'raw' },
  TRACE: { sizes: { 0: 0 }, table: 'raw' },
  TCPMSS: { sizes: { 0: 2 }, proto: PROTO.TCP, check: checkTcpmss },
  NFLOG: {
    sizes: { 0: 76 },
    check: checkNflog,
  },
  NFQUEUE: { familyIndependent: true, sizes: { 0: 2, 1: 4, 2: 6, 3: 6 }, check: checkNfqueue },
  TEE: {
    sizes: { 1: 40 },
    userSizes: { 1: 32 },
    check: checkTee,
  },
  TPROXY: { sizes: { 0: 16, 1: 28 }, table: 'mangle', hooks: H.PRE, check: tcpOrUdp },
  DSCP: {
    sizes: { 0: 1 },
    table: 'mangle',
    check: byteAtMost(0, 0x3f, Errno.EDOM, 'DSCP: value above 63'),
  },
  TOS: { sizes: { 1: 2 }, table: 'mangle' },
  TTL: {
    sizes: { 0: 2 },
    table: 'mangle',
    check: checkTtl,
  },
  CLASSIFY: { sizes: { 0: 4 }, hooks: H.OUT | H.FWD | H.POST },
  CHECKSUM: {
    sizes: { 0: 1 },
    table: 'mangle',
    check: checkChecksum,
  },
  SET: { sizes: { 0: 64, 1: 8, 2: 16, 3: 20 }, check: checkSetTarget },
  AUDIT: {
    familyIndependent: true,
    sizes: { 0: 1 },
    check: byteAtMost(0, 2, Errno.ERANGE, 'AUDIT: unknown type'),
  },
  CONNSECMARK: {
    sizes: { 0: 1 },
    check: checkConnsecmark,
  },
  SECMARK: {
    sizes: { 0: 264, 1: 264 },
    check: checkSecmark,
  },
  HMARK: {
    sizes: { 0: 60 },
    check: checkHmark,
  },
  IDLETIMER: {
    sizes: { 0: 40, 1: 48 },
    userSizes: { 0: 32, 1: 40 },
    check: checkIdletimer,
  },
  RATEEST: {
    sizes: { 0: 32 },
    userSizes: { 0: 24 },
    check: checkRateestTarget,
  },
  ECN: {
    sizes: { 0: 3 },
    table: 'mangle',
    check: checkEcnTarget,
  },
  SYNPROXY: { sizes: { 0: 4 }, proto: PROTO.TCP, hooks: H.IN | H.FWD },
  TCPOPTSTRIP: { sizes: { 0: 32 }, table: 'mangle', proto: PROTO.TCP },
});
