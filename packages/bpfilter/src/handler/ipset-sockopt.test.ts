import { describe, expect, it } from 'vitest';
import { Errno, readU16, readU32, writeCString, writeU32 } from '../abi/index.js';
import { ipsetSockopt } from './ipset-sockopt.js';

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
