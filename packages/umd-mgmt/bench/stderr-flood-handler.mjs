// A hostile bench handler: says HELLO, then writes stderr lines as fast as the pipe takes them.
import { writeSync } from 'node:fs';
import { serve } from '@umd/core/handler';

serve((payload) => payload, { name: 'stderr-flood' });
const lines = Buffer.from('flooding the host with stderr\n'.repeat(2048));
const flood = () => {
  try {
    writeSync(2, lines);
  } catch {
    // EAGAIN: the host reads no faster than it chooses to
  }
  setImmediate(flood);
};
setImmediate(flood);
