// iptables-save text encoded by iptables-legacy-restore itself (through a plain `bpfilter
// serve` in this namespace) and read back as models, for the extensions bpfilter's own text
// format does not read.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bpfilter } from '@umd/bpfilter';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** The tables of `text` (its `*name` lines, in order) as models. */
export async function restoredTables(text) {
  const dir = mkdtempSync(join(tmpdir(), 'bpfilter-legacy-restore-'));
  const socket = join(dir, 'bpfilter.sock');
  const service = spawn(process.execPath, [CLI, 'serve', '--socket', socket], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    let log = '';
    while (!log.includes('listening on')) log += (await once(service.stderr, 'data'))[0];
    execFileSync(
      process.execPath,
      [CLI, 'exec', '--socket', socket, '--', 'iptables-legacy-restore'],
      { input: text, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const bpfilter = await Bpfilter.connect(socket);
    const names = [...text.matchAll(/^\*(\w+)$/gm)].map((m) => m[1]);
    const tables = [];
    for (const name of names) tables.push(await bpfilter.listTable(name));
    await bpfilter.stop();
    return tables;
  } finally {
    service.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
