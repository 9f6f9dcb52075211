import { readFileSync } from 'node:fs';
import { defineLoader, UmdManager } from '@umd/mgmt';
const dir = '/work/main/packages/umd-mgmt/test/fixtures/.built/';
const man = JSON.parse(readFileSync(dir + 'native-echo.blob.json'));
const loader = defineLoader({ name: 'n', mode: 'framed', executable: dir + man.file, sha256: man.sha256 });
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1].toFixed(2);
const r = { start: [], ready: [], reply: [] };
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  const m = new UmdManager({ name: 'x', loader, restartBudget: { maxStarts: 1000, windowMs: 1 } });
  m.on('start', () => r.start.push(performance.now() - t0));
  m.on('ready', () => r.ready.push(performance.now() - t0));
  await m.request(new Uint8Array(64));
  r.reply.push(performance.now() - t0);
  await m.stop();
}
console.log(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, med(v)])));
