import { spawn } from 'node:child_process';
import { once } from 'node:events';
const env = { PATH: process.env.PATH, UMD_PROTOCOL: 'framed' };
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1].toFixed(1);
const perm = (f) => ['--experimental-permission', `--allow-fs-read=${f}`, '--disable-warning=ExperimentalWarning', f];
const variants = { e0: ['-e', '0'], e0w: ['-e', 'require("fs").writeSync(1,"x")'], minMjs: ['/tmp/cs/min.mjs'], cjs: perm('/tmp/cs/h.blob.cjs'), esm: perm('/tmp/cs/h.blob.mjs') };
const toData = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const toExit = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < 21; i++) for (const [k, args] of Object.entries(variants)) {
  const t = performance.now();
  const c = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  c.stdout.once('data', () => { toData[k].push(performance.now() - t); c.stdin.end(); });
  if (k === 'e0') c.stdin.end();
  await once(c, 'exit');
  toExit[k].push(performance.now() - t);
}
console.log('first byte', Object.fromEntries(Object.entries(toData).map(([k, v]) => [k, v.length ? med(v) : '-'])));
console.log('exit', Object.fromEntries(Object.entries(toExit).map(([k, v]) => [k, med(v)])));
