import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { defineLoader, UmdManager } from '@umd/mgmt';
const dir = '/work/main/packages/umd-mgmt/test/fixtures/.built/';
const man = JSON.parse(readFileSync(dir + 'echo.blob.json'));
const loader = defineLoader({ name: 'n', mode: 'framed', script: dir + man.file, sha256: man.sha256 });
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1].toFixed(1);
const r = { e0: [], e0spawn: [], start: [], ready: [], reply: [], stop: [] };
for (let i = 0; i < 15; i++) {
  let t0 = performance.now();
  const c = spawn(process.execPath, ['-e', '0'], { env: { PATH: process.env.PATH }, stdio: 'ignore' });
  c.once('spawn', () => r.e0spawn.push(performance.now() - t0));
  await once(c, 'exit'); r.e0.push(performance.now() - t0);
  t0 = performance.now();
  const m = new UmdManager({ name: 'x', loader, restartBudget: { maxStarts: 1000, windowMs: 1 } });
  m.on('start', () => r.start.push(performance.now() - t0));
  m.on('ready', () => r.ready.push(performance.now() - t0));
  await m.request(new Uint8Array(64));
  r.reply.push(performance.now() - t0);
  t0 = performance.now();
  await m.stop();
  r.stop.push(performance.now() - t0);
}
console.log(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, med(v)])));
