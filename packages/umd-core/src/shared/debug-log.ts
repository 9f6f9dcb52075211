import { debuglog } from 'node:util';

/** The `NODE_DEBUG=umd` log of the transport (Node's `util.debuglog`): which read path each channel took, and why. */
export const debug = debuglog('umd');
