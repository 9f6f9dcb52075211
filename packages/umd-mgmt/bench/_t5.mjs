import { spawn } from 'node:child_process';
import { once } from 'node:events';
const blob = '/work/main/packages/umd-mgmt/test/fixtures/.built/echo.blob.mjs';
const env = { PATH: process.env.PATH, UMD_PROTOCOL: 'framed' };
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1].toFixed(1);
const perm = ['--experimental-permission', `--allow-fs-read=${blob}`, '--disable-warning=ExperimentalWarning'];
const variants = {
  e0: ['-e', '0'],
  e0write: ['-e', 'require("fs").writeSync(1, "x")'],
  minMjs: ['/tmp/cs/min.mjs'],
  minMjsPerm: ['--experimental-permission', `--allow-fs-read=/tmp/cs/min.mjs`, '/tmp/cs/min.mjs'],
  blob: [blob],
  blobPerm: [...perm, blob],
};
const toData = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const toExit = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < 15; i++) for (const [k, args] of Object.entries(variants)) {
  const t = performance.now();
  const c = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
  c.stdout.once('data', () => { toData[k].push(performance.now() - t); c.stdin.end(); });
  if (k === 'e0') c.stdin.end();
  await once(c, 'exit');
  toExit[k].push(performance.now() - t);
}
console.log('first byte', Object.fromEntries(Object.entries(toData).map(([k, v]) => [k, v.length ? med(v) : '-'])));
console.log('exit', Object.fromEntries(Object.entries(toExit).map(([k, v]) => [k, med(v)])));
