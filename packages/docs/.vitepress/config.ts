import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitepress';
import { API_PACKAGES } from '../scripts/api-packages.mjs';
import { apiSidebar } from './lib/api-sidebar.js';

const apiDir = fileURLToPath(new URL('../src/api', import.meta.url));

// Where the source and the issue tracker are: the repository's package.json says it once.
const repository = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { repository: { url: string }; bugs: { url: string } };
const sourceUrl = repository.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
const issuesUrl = repository.bugs.url;

const guide = [
  {
    text: 'Introduction',
    items: [
      { text: 'What is a user mode driver?', link: '/guide/what-is-a-umd' },
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'Architecture', link: '/guide/architecture' },
    ],
  },
  {
    text: 'Writing handlers',
    items: [
      { text: 'In TypeScript', link: '/guide/handler-typescript' },
      { text: 'In C (from the wire format)', link: '/guide/handler-c' },
      { text: 'In Rust (from the wire format)', link: '/guide/handler-rust' },
    ],
  },
  {
    text: 'Operating',
    items: [
      { text: 'Security model', link: '/guide/security' },
      { text: 'Performance', link: '/guide/performance' },
      { text: 'Compared with alternatives', link: '/guide/comparison' },
    ],
  },
  {
    text: 'bpfilter',
    items: [
      { text: 'iptables walkthrough', link: '/bpfilter/iptables' },
      { text: 'Enforcement', link: '/bpfilter/enforcement' },
      { text: 'Enforcement: the bench history', link: '/bpfilter/enforcement-history' },
      { text: 'Moving from kernel iptables', link: '/bpfilter/migration' },
    ],
  },
  {
    text: 'pgp',
    items: [{ text: 'OpenPGP and RPM verification', link: '/pgp/' }],
  },
  {
    text: 'Reference',
    items: [
      { text: 'Wire format', link: '/reference/wire-format' },
      { text: 'Error codes', link: '/reference/errors' },
      { text: 'API reference', link: '/reference/api' },
    ],
  },
];

export default defineConfig({
  title: 'umd',
  description:
    'User mode drivers for Node.js: hand risky work to an isolated helper process over a pipe.',
  srcDir: 'src',
  // Partials included into pages (e.g. the bpfilter walkthrough synced from its README).
  srcExclude: ['parts/**'],
  lastUpdated: false,
  cleanUrls: false,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/logo.svg' }]],
  markdown: {
    // Offline and deterministic: no language is fetched at build time.
    theme: { light: 'github-light', dark: 'github-dark' },
  },
  themeConfig: {
    logo: '/logo.svg',
    nav: [
      { text: 'Guide', link: '/guide/what-is-a-umd' },
      { text: 'Wire format', link: '/reference/wire-format' },
      { text: 'Errors', link: '/reference/errors' },
      { text: 'API', link: '/reference/api' },
      { text: 'Source', link: sourceUrl },
      { text: 'Issues', link: issuesUrl },
    ],
    socialLinks: [{ icon: 'github', link: sourceUrl, ariaLabel: 'Source on GitHub' }],
    editLink: { pattern: `${sourceUrl}/edit/main/packages/docs/src/:path`, text: 'Edit this page' },
    sidebar: {
      '/api/': [
        { text: 'Back to the guide', link: '/guide/what-is-a-umd' },
        ...apiSidebar(apiDir, API_PACKAGES),
      ],
      '/': guide,
    },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
    footer: {
      message: `MIT licensed. <a href="${sourceUrl}">Source</a> · <a href="${issuesUrl}">Report an issue</a>. The API reference is generated from the TSDoc comments of the packages at build time.`,
    },
  },
  vite: {
    // Keep the build offline: nothing in the site is loaded from the network.
    server: { fs: { allow: ['..'] } },
    // The one chunk over vite's 500 kB default is the local search index (every page's text),
    // which the site loads only when a reader opens the search box.
    build: { chunkSizeWarningLimit: 1024 },
  },
});
