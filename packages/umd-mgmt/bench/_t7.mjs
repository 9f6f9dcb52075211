import { spawn } from 'node:child_process';
import { once } from 'node:events';
const env = { PATH: process.env.PATH, UMD_PROTOCOL: 'framed' };
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1].toFixed(1);
const perm = (f) => ['--experimental-permission', `--allow-fs-read=${f}`, '--disable-warning=ExperimentalWarning', f];
const variants = { a: ['/tmp/cs/a.cjs'], aPerm: perm('/tmp/cs/a.cjs'), stderr: ['/tmp/cs/b.cjs'], sab: ['/tmp/cs/c.cjs'], cjsBlob: perm('/tmp/cs/h.blob.cjs') };
const toData = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < 15; i++) for (const [k, args] of Object.entries(variants)) {
  const t = performance.now();
  const c = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  c.stdout.once('data', () => { toData[k].push(performance.now() - t); c.stdin.end(); });
  await once(c, 'exit');
}
console.log('first byte', Object.fromEntries(Object.entries(toData).map(([k, v]) => [k, v.length ? med(v) : '-'])));
