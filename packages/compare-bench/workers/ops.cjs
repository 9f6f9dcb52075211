// The two jobs every contender runs: echo (the payload back) and JSON parse (the number of
// top-level entries of a JSON text). Shared by every worker and handler of the comparison.
exports.echo = function echo(data) {
  return data;
};

exports.parse = function parse(text) {
  return exports.count(JSON.parse(text));
};

/** parse()'s answer for a value already parsed (umd's typed handler gets the value). */
exports.count = function count(value) {
  return Array.isArray(value) ? value.length : Object.keys(value).length;
};

/** The robustness cases: what a misbehaving job does. */
exports.fault = function fault(kind) {
  if (kind === 'throw') throw new Error('job failed');
  if (kind === 'exit') process.exit(1);
  if (kind === 'hang') for (;;);
  if (kind === 'memory') {
    const hoard = [];
    for (;;) hoard.push(new Array(1e5).fill(hoard.length));
  }
  if (kind === 'segfault') process.kill(process.pid, 'SIGSEGV');
  return 'ok';
};
