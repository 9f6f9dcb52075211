/** Transferable public keys (RFC 9580 section 10.1): key, user and subkey packets in order. */
import type { KeyDescription, KeyPacket, SignaturePacket } from '../contract.js';
import { bad, SECRET_KEYS, unsupported } from './bad.js';
import { b64, Cursor, keyShape, readFields } from './fields.js';
import { checkMarker, type RawPacket, whole } from './packets.js';
import { parseSignature } from './signature.js';

/** Parses a key packet body (tag 6 or 14). */
export function parseKeyPacket(bytes: Uint8Array, packet: RawPacket, block: number): KeyPacket {
  const [start, end] = whole(packet);
  const c = new Cursor(bytes, start, end);
  const version = c.u(1);
  if (version !== 4 && version !== 6) bad(`key version ${version} is not supported`);
  const created = c.u(4);
  const algorithm = c.u(1);
  // Version 6 states the material's length: it must be exactly what the fields take.
  if (version === 6 && c.u(4) !== c.left) bad('key: material length does not match the packet');
  const material = readFields(c, keyShape(algorithm));
  if (c.left !== 0) bad(`key: ${c.left} bytes after the key material`);
  return { block, at: start, tag: packet.tag as 6 | 14, version, created, algorithm, material };
}

/** Groups the packets of a keyring into transferable public keys. */
export function parseKeys(
  bytes: Uint8Array,
  packets: RawPacket[],
  block: number,
): KeyDescription[] {
  const keys: KeyDescription[] = [];
  let sigs: SignaturePacket[] | undefined;
  for (const packet of packets) {
    const current = keys.at(-1);
    switch (packet.tag) {
      case 6: {
        const key: KeyDescription = {
          primary: parseKeyPacket(bytes, packet, block),
          sigs: [],
          users: [],
          subkeys: [],
        };
        keys.push(key);
        sigs = key.sigs;
        break;
      }
      case 13:
      case 17: {
        if (!current) bad('user ID before any key');
        const [start, end] = whole(packet);
        const user = {
          block,
          at: start,
          tag: packet.tag as 13 | 17,
          data: b64(bytes.subarray(start, end)),
        };
        const entry = { user, sigs: [] };
        current.users.push(entry);
        sigs = entry.sigs;
        break;
      }
      case 14: {
        if (!current) bad('subkey before any key');
        const entry = { key: parseKeyPacket(bytes, packet, block), sigs: [] };
        current.subkeys.push(entry);
        sigs = entry.sigs;
        break;
      }
      case 2: {
        if (!sigs) bad('signature before any key');
        const [start, end] = whole(packet);
        // As gpg, a signature of another version makes the whole keyring unreadable.
        sigs.push(parseSignature(bytes, start, end, block));
        break;
      }
      case 5:
      case 7:
        unsupported(SECRET_KEYS);
        break;
      case 10:
        checkMarker(bytes, packet);
        break;
      case 12:
        // Trust packets carry nothing a verifier needs.
        break;
      default:
        // As gpg, any other packet (an encrypted session key, say) makes the keyring unreadable.
        bad(`packet of tag ${packet.tag} in a keyring`);
    }
  }
  return keys;
}
