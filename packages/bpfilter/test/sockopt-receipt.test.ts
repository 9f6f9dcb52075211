/**
 * A replace of a kept table is kept as the front end built it from the request, on the
 * handler's receipt (the digest of the table it took): a handler whose receipt is of another
 * table fails the replace, and the previous table stays, in the front end and in the handler.
 */
import { BpfilterSockopt } from '@umd/bpfilter';
import { describe, expect, it } from 'vitest';
import { decodeGetinfo, encodeGetEntriesRequest, toHex } from '../src/abi/index.js';
import { encodeReplaceRequest } from '../src/model/index.js';
import { parseSave } from '../src/text/parse-save.js';
import { fixtureHandler, handlerGet } from './helpers.js';
import { OPTION_NUMBERS } from './vectors/replay.js';

const GET_INFO = OPTION_NUMBERS.IPT_SO_GET_INFO!;
const GET_ENTRIES = OPTION_NUMBERS.IPT_SO_GET_ENTRIES!;
const SET_REPLACE = OPTION_NUMBERS.IPT_SO_SET_REPLACE!;

const table = (port: number) =>
  parseSave(
    '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n' +
      `-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport ${port} -j ACCEPT\nCOMMIT\n`,
  )[0]!;

/** GET_INFO and GET_ENTRIES of filter, from the front end and from its handler, as hex. */
async function filterAnswers(sockopt: BpfilterSockopt) {
  const name = new Uint8Array(84);
  name.set(new TextEncoder().encode('filter'));
  const info = await sockopt.getsockopt(GET_INFO, name);
  const { size } = decodeGetinfo(info.data!);
  const request = new Uint8Array(40 + size);
  request.set(encodeGetEntriesRequest('filter', size));
  const kept = await sockopt.getsockopt(GET_ENTRIES, request);
  const handler = await handlerGet(sockopt, GET_ENTRIES, request);
  return { kept: toHex(info.data!) + toHex(kept.data!), handler: toHex(handler.data!) };
}

describe('the receipt of a replace', () => {
  const liar = fixtureHandler('receipt-liar-handler.mjs');

  it('of another table than the one sent: UMD_PROTOCOL, and the previous table stays', async () => {
    const loader = liar();
    const sockopt = new BpfilterSockopt({ loader: async () => loader });
    try {
      await filterAnswers(sockopt);
      // Not kept yet: a plain SET_REPLACE, read back (the liar is honest there).
      const first = await sockopt.setsockopt(SET_REPLACE, encodeReplaceRequest(table(22), 4));
      expect(first.status).toBe(0);
      const before = await filterAnswers(sockopt);
      const state = JSON.stringify(sockopt.exportState());
      // Kept: UMD_CMD_REPLACE, and the liar took a table with another source address.
      const second = sockopt.setsockopt(SET_REPLACE, encodeReplaceRequest(table(80), 5));
      await expect(second).rejects.toMatchObject({
        code: 'UMD_PROTOCOL',
        message: expect.stringContaining('the previous table stays'),
      });
      const after = await filterAnswers(sockopt);
      expect(after.kept).toBe(before.kept);
      // The handler got the kept table back.
      expect(after.handler).toBe(before.handler);
      expect(JSON.stringify(sockopt.exportState())).toBe(state);
    } finally {
      await sockopt.stop();
    }
  });
});
