import { describe, expect, it } from 'vitest';
import {
  decodeMboxReply,
  encodeMboxRequest,
  Errno,
  readU16,
  readU32,
  UMD_CMD_KERNEL_SETS,
  writeCString,
  writeU32,
} from '../abi/index.js';
import { createHandlerCore } from './core.js';
import { ipsetAnswerFault, ipsetRequestRefusal, ipsetSockopt } from './ipset-sockopt.js';

function request(op: number, size: number, version = 7): Uint8Array {
  const buffer = new Uint8Array(size);
  writeU32(buffer, 0, op);
  writeU32(buffer, 4, version);
  return buffer;
}

// libxt_set's exchanges (ip_set_req_version, ip_set_req_get_set[_family]) as a kernel without sets answers them.
describe('SO_IP_SET', () => {
  it('answers the protocol version', () => {
    const reply = ipsetSockopt(request(0x100, 8, 0));
    expect(reply.status).toBe(0);
    expect(readU32(reply.body!, 4)).toBe(7);
  });
  it('knows no set by name (index IPSET_INVALID_ID), with or without a family', () => {
    const byName = request(0x6, 40);
    writeCString(byName, 8, 32, 'f2b-sshd');
    expect(readU16(ipsetSockopt(byName).body!, 8)).toBe(0xffff);
    const byFamily = request(0x8, 44);
    writeCString(byFamily, 12, 32, 'f2b-sshd');
    expect(readU16(ipsetSockopt(byFamily).body!, 12)).toBe(0xffff);
  });
  it('refuses wrong lengths, old protocols and unknown ops with the kernel errno', () => {
    expect(ipsetSockopt(new Uint8Array(2)).status).toBe(-Errno.EINVAL);
    expect(ipsetSockopt(request(0x100, 12)).status).toBe(-Errno.EINVAL);
    expect(ipsetSockopt(request(0x6, 39)).status).toBe(-Errno.EINVAL);
    expect(ipsetSockopt(request(0x6, 40, 5)).status).toBe(-Errno.EPROTO);
    expect(ipsetSockopt(request(0x99, 40)).status).toBe(-Errno.EBADMSG);
    const far = request(0x7, 40);
    far[8] = 0xff;
    far[9] = 0x01;
    expect(ipsetSockopt(far).status).toBe(-Errno.ENOENT);
  });
});

// What may reach the kernel when the front end enforces (enforce/kernel-ipsets.ts).
describe('SO_IP_SET requests and answers checked around the kernel', () => {
  it('lets only the four requests libxt_set sends through, each of its exact size', () => {
    for (const [op, size] of [
      [0x100, 8],
      [0x6, 40],
      [0x7, 40],
      [0x8, 44],
    ] as const)
      expect(ipsetRequestRefusal(request(op, size))).toBeUndefined();
    // IP_SET_OP_GET_BYNAME with a longer buffer, the ops ipset(8) itself no longer uses, none.
    expect(ipsetRequestRefusal(request(0x6, 44))?.status).toBe(-Errno.EINVAL);
    for (const op of [0x1, 0x2, 0x3, 0x4, 0x5, 0x9, 0x101])
      expect(ipsetRequestRefusal(request(op, 40))?.status).toBe(-Errno.EBADMSG);
    expect(ipsetRequestRefusal(new Uint8Array(4096))?.status).toBe(-Errno.EPROTO);
  });
  it("takes an answer of the same length whose op and version are the request's", () => {
    const byName = request(0x6, 40);
    const answer = byName.slice();
    answer[8] = 3;
    expect(ipsetAnswerFault(byName, answer)).toBeUndefined();
    expect(ipsetAnswerFault(byName, answer.subarray(0, 39))).toMatch(/39 bytes/);
    answer[4] = 6;
    expect(ipsetAnswerFault(byName, answer)).toMatch(/op or version/);
    // A version request's answer carries the kernel's version.
    const version = request(0x100, 8, 0);
    expect(ipsetAnswerFault(version, Uint8Array.of(0, 1, 0, 0, 7, 0, 0, 0))).toBeUndefined();
  });
});

describe('UMD_CMD_KERNEL_SETS', () => {
  it("makes the handler take the kernel's set indexes", () => {
    const core = createHandlerCore();
    expect(core.store.kernelSets).toBe(false);
    const reply = core.handle(
      encodeMboxRequest({ isSet: true, cmd: UMD_CMD_KERNEL_SETS, pid: 1, addr: 0n }),
    );
    expect(decodeMboxReply(reply)?.status).toBe(0);
    expect(core.store.kernelSets).toBe(true);
  });
});
