/**
 * The bpfilter loader (the kernel's `bpfilter_umh` blob carrier): the bundled handler in
 * `dist/blobs/bpfilter.blob.mjs` and the SHA-256 it had at build time. The manager imports
 * this module lazily, on the first routed socket option.
 */
import { defineLoader, type Loader } from '@umd/mgmt';
// Inlined by tsup at build time: the digest is part of this module's code, not read at run time.
import manifest from '../dist/blobs/bpfilter.blob.json' with { type: 'json' };

/** The bpfilter handler: framed protocol, run with this Node under its permission model. */
const loader: Loader = defineLoader({
  name: 'bpfilter',
  mode: 'framed',
  script: new URL(`./blobs/${manifest.file}`, import.meta.url),
  sha256: manifest.sha256,
});

export default loader;
