import { c, framed, ipc, raw } from './transports.mjs';
const which = process.argv[2].split(',');
const size = Number(process.argv[3] || 64);
const all = { framed1: framed(1), framed16: framed(16), raw: raw(), json: ipc('json'), adv: ipc('advanced') };
const ts = which.map((w) => all[w]);
for (const t of ts) await t.open(size);
const res = {};
for (let r = 0; r < 12; r++) for (const t of ts) { const n = size > 100000 ? 20 : 3000; const v = await t.run(n) / n / 1000; (res[t.key] ??= []).push(v); }
for (const [k, v] of Object.entries(res)) console.log(k, v.slice(2).sort((a, b) => a - b).map((x) => x.toFixed(0)).join(' '));
for (const t of ts) await t.close();
