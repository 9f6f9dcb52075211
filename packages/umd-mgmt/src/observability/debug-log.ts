import { debuglog } from 'node:util';

/** The `NODE_DEBUG=umd` log of the management layer (Node's `util.debuglog`). */
export const debug = debuglog('umd');
