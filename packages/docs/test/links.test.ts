// No broken internal link: every <a href> and <img src> of the built site that points into
// the site resolves to a file of the build, and every #anchor to an id on the target page.
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST_DIR, walk } from './site.js';

interface Link {
  from: string;
  url: string;
}

const pages = walk(DIST_DIR, '.html');
const htmlCache = new Map<string, string>();
const html = (page: string) => {
  let text = htmlCache.get(page);
  if (text === undefined) {
    text = readFileSync(join(DIST_DIR, page), 'utf8');
    htmlCache.set(page, text);
  }
  return text;
};

/** Decodes the few entities VitePress writes into attribute values. */
const unescapeEntities = (value: string) =>
  value
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"');

function linksOf(page: string): Link[] {
  const links: Link[] = [];
  const text = html(page);
  for (const match of text.matchAll(/<(?:a|link)\b[^>]*?\shref="([^"]*)"/g))
    links.push({ from: page, url: unescapeEntities(match[1]!) });
  for (const match of text.matchAll(/<(?:img|script)\b[^>]*?\ssrc="([^"]*)"/g))
    links.push({ from: page, url: unescapeEntities(match[1]!) });
  return links;
}

function idsOf(page: string): Set<string> {
  return new Set(
    [...html(page).matchAll(/\sid="([^"]*)"/g)].map((m) =>
      decodeURIComponent(unescapeEntities(m[1]!)),
    ),
  );
}

/** The dist file a site URL names, the way VitePress' own server resolves it. */
function targetFile(fromPage: string, path: string): string | undefined {
  const base = path.startsWith('/') ? path.slice(1) : posix.join(posix.dirname(fromPage), path);
  const clean = decodeURIComponent(base);
  const candidates =
    clean === '' || clean.endsWith('/')
      ? [`${clean}index.html`]
      : [clean, `${clean}.html`, `${clean}/index.html`];
  return candidates.find((c) => existsSync(join(DIST_DIR, c)));
}

/** Problems with one link, or an empty list. */
function check(link: Link): string[] {
  const { url, from } = link;
  if (/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(url)) return []; // external (https:, mailto:, data:)
  const [pathPart = '', hash] = url.split('#', 2);
  const path = pathPart.split('?')[0]!;
  const target = path === '' ? from : targetFile(from, path);
  if (!target) return [`${from}: ${url} -> no such file`];
  if (hash && target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(hash))) {
    return [`${from}: ${url} -> no id "${hash}" in ${target}`];
  }
  return [];
}

describe('internal links of the built site', () => {
  it('has the pages of the site (guard against an empty build)', () => {
    for (const page of [
      'index.html',
      'guide/what-is-a-umd.html',
      'guide/getting-started.html',
      'guide/architecture.html',
      'guide/handler-typescript.html',
      'guide/handler-c.html',
      'guide/security.html',
      'guide/performance.html',
      'guide/comparison.html',
      'bpfilter/iptables.html',
      'bpfilter/migration.html',
      'pgp/index.html',
      'reference/wire-format.html',
      'reference/errors.html',
      'reference/api.html',
      'api/core/index.html',
      'api/core/main.html',
      'api/core/handler.html',
      'api/mgmt/index.html',
      'api/build/index.html',
      'api/sample-umd/index.html',
      'api/pgp/index.html',
      'api/bpfilter/index.html',
    ]) {
      expect(pages, page).toContain(page);
    }
  });

  it('detects a broken link and a broken anchor (guard against a check that cannot fail)', () => {
    expect(check({ from: 'index.html', url: '/guide/no-such-page.html' })).toHaveLength(1);
    expect(
      check({ from: 'index.html', url: '/reference/errors.html#no-such-anchor' }),
    ).toHaveLength(1);
    expect(check({ from: 'index.html', url: '/reference/errors.html#umd-protocol' })).toEqual([]);
  });

  it('every page links to the source and to the issue tracker named in the root package.json', () => {
    const root = JSON.parse(
      readFileSync(join(DIST_DIR, '..', '..', '..', '..', 'package.json'), 'utf8'),
    );
    const source = root.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(source).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    // 404.html is VitePress' bare not-found page, without the nav and the footer.
    for (const page of pages.filter((p) => p !== '404.html')) {
      const urls = linksOf(page).map((link) => link.url);
      expect(urls, page).toContain(source);
      expect(urls, page).toContain(root.bugs.url);
    }
  });

  it('every internal link and anchor resolves', () => {
    const problems = pages.flatMap((page) => linksOf(page).flatMap(check));
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
