// The request of each job, shared by compare.mjs and sched-probe.mjs.

/** An ASCII string of `size` bytes (echo), or a JSON array text of about `size` bytes (parse). */
export function payloadText(op, size) {
  if (op === 'echo') return 'x'.repeat(size);
  const item = '{"id":12345,"name":"item","tags":["a","b"],"ok":true}';
  const n = Math.max(1, Math.floor((size - 2) / (item.length + 1)));
  const text = `[${Array(n).fill(item).join(',')}]`;
  return text.length > size ? '[1]' : text;
}
