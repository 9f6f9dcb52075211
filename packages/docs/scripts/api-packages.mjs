// @ts-check
/**
 * The packages of the API reference: folder under packages/, the slug under /api/ and the
 * npm name. One list for the generator (scripts/generate-api.mjs) and the sidebar.
 */
export const API_PACKAGES = [
  { dir: 'umd-core', slug: 'core', name: '@umd/core' },
  { dir: 'umd-mgmt', slug: 'mgmt', name: '@umd/mgmt' },
  { dir: 'umd-build', slug: 'build', name: '@umd/build' },
  { dir: 'sample-umd', slug: 'sample-umd', name: '@umd/sample-umd' },
  { dir: 'bpfilter', slug: 'bpfilter', name: '@umd/bpfilter' },
  { dir: 'pgp', slug: 'pgp', name: '@umd/pgp' },
];
