import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FramedChannel } from '@umd/core';
import { pollUntil } from '@umd/core/testing';
import { buildBlob } from '@umd/build';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Errno,
  IPT_GETINFO_SIZE,
  IPT_REPLACE_HEADER_SIZE,
  IPT_SO_GET_ENTRIES,
  IPT_SO_GET_INFO,
  IPT_SO_SET_REPLACE,
  decodeGetinfo,
  decodeMboxReply,
  encodeGetEntriesRequest,
  encodeMboxRequest,
  fromHex,
  toHex,
} from '../src/abi/index.js';
import { encodeReplaceRequest } from '../src/model/index.js';
import { parseSave } from '../src/text/index.js';
import { rawTable } from './enforce/save-tables.js';
import { OPTION_NUMBERS, loadVectors } from './vectors/replay.js';

// The real handler program: src/handler/main.ts bundled as the package's build does, run
// with node over real pipes, spoken to with @umd/core's FramedChannel.
let dir: string;
let blob: string;
let child: ChildProcess;
let channel: FramedChannel;
let stderr = '';
let exited: Promise<number | null>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bpfilter-handler-'));
  blob = (
    await buildBlob({
      entry: fileURLToPath(new URL('../src/handler/main.ts', import.meta.url)),
      outDir: dir,
      name: 'bpfilter',
    })
  ).file;
  child = spawn(process.execPath, [blob], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { UMD_PROTOCOL: 'framed', PATH: process.env.PATH ?? '' },
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  channel = FramedChannel.fromChild(child);
}, 60_000);

afterAll(async () => {
  channel?.close();
  child?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function send(isSet: boolean, cmd: number, data: Uint8Array, len?: number) {
  const reply = decodeMboxReply(
    await channel.request(encodeMboxRequest({ isSet, cmd, data, len }), { timeoutMs: 10_000 }),
  );
  if (!reply) throw new Error('reply shorter than its status');
  return reply;
}

describe('the bpfilter handler process', () => {
  it('says HELLO as "bpfilter" and passes the health check (get, cmd 0)', async () => {
    const hello = await channel.waitForHello();
    expect(hello.name).toBe('bpfilter');
    expect(await send(false, 0, new Uint8Array())).toEqual({ status: 0, body: new Uint8Array() });
  });

  it('answers the whole iptables-legacy vector exchange with the kernel bytes', async () => {
    for (const step of loadVectors('basic.jsonl')) {
      for (const call of step.calls) {
        const bytes = fromHex(call.hex);
        const isGetBuffer = call.opt === 'IPT_SO_GET_INFO' || call.opt === 'IPT_SO_GET_ENTRIES';
        // Gets: send only the input part of the caller's buffer; len says how big it is.
        const data =
          call.opt === 'IPT_SO_GET_INFO'
            ? bytes.subarray(0, 32)
            : call.opt === 'IPT_SO_GET_ENTRIES'
              ? bytes.subarray(0, 40)
              : bytes;
        const reply = await send(
          call.call === 'set',
          OPTION_NUMBERS[call.opt] ?? -1,
          data,
          call.len,
        );
        expect(reply.status, `${step.iptables}: ${call.opt}`).toBe(call.rc);
        if (isGetBuffer) expect(toHex(reply.body), `${step.iptables}: ${call.opt}`).toBe(call.hex);
      }
    }
  });

  it('refuses a bad table with a negative errno and says why on stderr, then keeps serving', async () => {
    const bad = new Uint8Array(96 + 8);
    bad.set(new TextEncoder().encode('filter'));
    new DataView(bad.buffer).setUint32(36, 1, true); // num_entries
    new DataView(bad.buffer).setUint32(40, 8, true); // size
    new DataView(bad.buffer).setUint32(84, 4, true); // num_counters
    expect((await send(true, 64, bad)).status).toBe(-Errno.EINVAL);
    // Stderr is a pipe of its own: the line can arrive after the reply.
    const why = /SET_REPLACE "filter": entry 0 at offset 0/;
    await pollUntil(() => why.test(stderr));
    expect(stderr).toMatch(why);
    expect((await send(false, 0, new Uint8Array())).status).toBe(0);
  });

  it('keeps a replaced table intact when the next large request reuses its request memory', async () => {
    const raw = encodeGetEntriesRequest('raw', 0).subarray(0, 32); // GET_INFO's input: the name
    const entriesOf = async () => {
      const info = decodeGetinfo((await send(false, IPT_SO_GET_INFO, raw, IPT_GETINFO_SIZE)).body);
      const request = encodeGetEntriesRequest('raw', info.size);
      const reply = await send(false, IPT_SO_GET_ENTRIES, request, request.length + info.size);
      return { numEntries: info.numEntries, bytes: toHex(reply.body) };
    };
    // 400 rules: a request of about 60 KB, above the 16 KiB from which the handler reuses them.
    const drops = Array.from(
      { length: 400 },
      (_, i) => `-A PREROUTING -s 10.0.${i >> 8}.${i & 255}/32 -j DROP`,
    );
    const [table] = parseSave(rawTable(...drops));
    const replace = encodeReplaceRequest(table!, (await entriesOf()).numEntries);
    expect(replace.length).toBeGreaterThan(16 * 1024);
    expect((await send(true, IPT_SO_SET_REPLACE, replace)).status).toBe(0);
    const kept = await entriesOf();
    expect(kept.numEntries).toBe(403);
    // The same length again, its entries garbage: refused, and it lands in the freed memory.
    const garbage = replace.slice();
    garbage.fill(0xaa, IPT_REPLACE_HEADER_SIZE);
    expect((await send(true, IPT_SO_SET_REPLACE, garbage)).status).toBe(-Errno.EINVAL);
    expect(await entriesOf()).toEqual(kept);
  });

  it('exits 0 when its input closes', async () => {
    child.stdin?.end();
    expect(await exited).toBe(0);
  });
});
