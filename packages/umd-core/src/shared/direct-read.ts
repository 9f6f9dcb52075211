/**
 * A payload with at least this much still to come is read straight into its final buffer (the
 * host's direct reads of a reply socket or a child's stdout pipe, the handler's reads of fd 0)
 * instead of through a scratch buffer and a copy. Below it, one read usually brings a whole
 * small frame, or many.
 */
export const DIRECT_READ_MIN = 16 * 1024;
