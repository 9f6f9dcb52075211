/**
 * The front end reads a SET_REPLACE's table before the handler has checked it: the early
 * compile and the candidate the receipt is compared with. Whatever the request's bytes, both
 * must end at once with a result or a typed refusal (a match of size 0 once spun the front
 * end's main thread for good).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTable } from '../enforce/compile-table.js';
import { EnforcementError } from '../enforce/errors.js';
import { tableOfReplace } from '../enforce/early-compile.js';
import { encodeReplaceRequest } from '../model/index.js';
import { parseSave } from '../text/parse-save.js';
import { replaceCandidate } from './replace-candidate.js';

const TEXT =
  '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n' +
  '-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT\n' +
  '-A INPUT -i eth0 -p icmp -m icmp --icmp-type 8 -j web\n' +
  '-A INPUT -d 192.168.1.0/24 -p tcp -m tcp --sport 1000:2000 -j REJECT\n' +
  '-A FORWARD -j web\n-A web -p udp -m udp --sport 53 -j ACCEPT\n-A web -j RETURN\nCOMMIT\n';

const [TABLE] = parseSave(TEXT);
const REQUEST = encodeReplaceRequest(TABLE!, 4);

/** Sizes and offsets a crafted header would carry, and any byte. */
const edit = fc.record({
  at: fc.nat(REQUEST.length - 4),
  kind: fc.constantFrom('u16', 'u32', 'u8'),
  value: fc.oneof(fc.constantFrom(0, 1, 2, 8, 32, 0xffff), fc.nat(REQUEST.length), fc.nat(255)),
});

function mutated(edits: { at: number; kind: string; value: number }[]): Uint8Array {
  const bytes = REQUEST.slice();
  const view = new DataView(bytes.buffer);
  for (const { at, kind, value } of edits) {
    if (kind === 'u16') view.setUint16(at, value & 0xffff, true);
    else if (kind === 'u32') view.setUint32(at, value, true);
    else bytes[at] = value & 0xff;
  }
  return bytes;
}

/** What the front end does with a request before the handler answers. */
function readUnchecked(request: Uint8Array): void {
  replaceCandidate(request);
  const table = tableOfReplace(request);
  if (table === undefined) return;
  for (const netlink of [true, false]) {
    try {
      compileTable({ ...table, netlink });
    } catch (error) {
      if (!(error instanceof RangeError || error instanceof EnforcementError)) throw error;
    }
  }
}

describe('a SET_REPLACE read before the handler checked it', () => {
  it('the table as sent: a candidate and a compiled table', () => {
    expect(replaceCandidate(REQUEST)).toBeDefined();
    expect(() => readUnchecked(REQUEST)).not.toThrow();
  });

  it('any edit of its headers, sizes, offsets or bytes ends with a result or a typed refusal', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        readUnchecked(mutated(edits));
      }),
      { numRuns: 5000 },
    );
  });
});
