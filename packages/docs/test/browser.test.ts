// Opens the built site in headless Chromium (Debian's package, driven by playwright-core),
// served by a tiny HTTP server on localhost, visits every page, and fails on any console
// error, page error or failed request. Saves screenshots of the home and architecture pages
// into screenshots/ (gitignored).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_DIR, DOCS_ROOT, walk } from './site.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) {
  throw new Error(
    `${CHROMIUM} not found and CI is set: install Debian's chromium package (apt-get install -y chromium)`,
  );
}
if (!haveChromium) {
  console.warn(
    `SKIPPED browser test: ${CHROMIUM} not found (apt-get install -y chromium); it is required when CI is set`,
  );
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain',
};

/** Serves .vitepress/dist as VitePress' preview would (`/x` -> x.html, `/x/` -> x/index.html). */
function serveDist(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname).replace(
      /\.\.+/g,
      '',
    );
    const candidates = path.endsWith('/')
      ? [`${path}index.html`]
      : [path, `${path}.html`, `${path}/index.html`];
    const file = candidates
      .map((c) => join(DIST_DIR, c))
      .find((f) => existsSync(f) && statSync(f).isFile());
    if (!file) {
      res
        .writeHead(404, { 'content-type': 'text/html' })
        .end(readFileSync(join(DIST_DIR, '404.html')));
      return;
    }
    res
      .writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!haveChromium)('the built site in headless Chromium', () => {
  let server: Server;
  let context: BrowserContext;
  let origin: string;
  let profile: string;

  beforeAll(async () => {
    server = await serveDist();
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'umd-docs-chromium-'));
    // A fresh profile per run (playwright passes it to Chromium as --user-data-dir).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => server?.close(resolve));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const pages = walk(DIST_DIR, '.html').filter((p) => p !== '404.html');

  it('visits every page with no console error, page error or failed request', {
    timeout: 600_000,
  }, async () => {
    expect(pages.length).toBeGreaterThan(15);
    const page = await context.newPage();
    const problems: string[] = [];
    let current = '';
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${current}: console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${current}: page error: ${error.message}`));
    page.on('requestfailed', (request) => {
      // Leaving a page cancels VitePress' prefetches of linked pages (net::ERR_ABORTED):
      // a cancellation, not a failure. Missing files show up as HTTP 404 below.
      const reason = request.failure()?.errorText ?? '';
      if (reason !== 'net::ERR_ABORTED')
        problems.push(`${current}: request failed: ${request.url()} ${reason}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400)
        problems.push(`${current}: HTTP ${response.status()} ${response.url()}`);
    });
    for (const file of pages) {
      current = file;
      const started = Date.now();
      const url = `${origin}/${file === 'index.html' ? '' : file}`;
      const response = await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
      expect(response?.status(), url).toBe(200);
      // The page hydrated: VitePress' app root holds the rendered content.
      await page.waitForSelector('#app .VPContent', { timeout: 15_000 });
      if (process.env.DOCS_TEST_TIMING) console.log(file, Date.now() - started);
    }
    await page.close();
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('renders the home page and the architecture diagram; saves screenshots', async () => {
    const shots = join(DOCS_ROOT, 'screenshots');
    mkdirSync(shots, { recursive: true });
    const page = await context.newPage();

    await page.goto(`${origin}/`, { waitUntil: 'networkidle' });
    await expect(page.locator('.VPHero .name').textContent()).resolves.toContain('umd');
    await page.screenshot({ path: join(shots, 'home.png'), fullPage: true });

    await page.goto(`${origin}/guide/architecture.html`, { waitUntil: 'networkidle' });
    const diagram = page.locator('img[src$="architecture.svg"]');
    await diagram.scrollIntoViewIfNeeded();
    // The SVG loaded and has its size (a broken image has naturalWidth 0).
    await expect(
      diagram.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth),
    ).resolves.toBeGreaterThan(100);
    await page.screenshot({ path: join(shots, 'architecture.png'), fullPage: true });
    await page.close();
  });
  it.each([
    ['light', 1280],
    ['dark', 1280],
    ['light', 390],
    ['dark', 390],
  ] as const)(
    'the performance chart in %s mode at %i px: four series, readable, within the page; saves a screenshot',
    async (scheme, width) => {
      const shots = join(DOCS_ROOT, 'screenshots');
      mkdirSync(shots, { recursive: true });
      const page = await context.newPage();
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${origin}/guide/performance.html`, { waitUntil: 'networkidle' });
      const chart = page.locator('.bench-chart');
      await chart.scrollIntoViewIfNeeded();
      const seen = await chart.evaluate((element) => {
        const luminance = (css: string) => {
          const [r, g, b] = (css.match(/[\d.]+/g) ?? []).map(Number).map((v) => {
            const c = v / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
        };
        const contrast = (a: string, b: string) => {
          const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
          return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05);
        };
        const background = getComputedStyle(document.body).backgroundColor;
        const svg = element.querySelector('svg')!.getBoundingClientRect();
        const legend = Array.from(element.querySelectorAll('.bench-legend li'));
        const fills = [0, 1, 2, 3].map(
          (i) => getComputedStyle(element.querySelector(`rect.series-${i}`)!).fill,
        );
        const label = element.querySelector('svg text.size')!;
        return {
          dark: document.documentElement.classList.contains('dark'),
          legend: legend.map((li) => li.textContent),
          legendRight: Math.max(...legend.map((li) => li.getBoundingClientRect().right)),
          svgRight: svg.right,
          fills,
          barContrast: Math.min(...fills.map((fill) => contrast(fill, background))),
          textContrast: contrast(getComputedStyle(label).fill, background),
          // The size label's height on screen, in CSS pixels.
          labelPx: label.getBoundingClientRect().height,
          viewport: window.innerWidth,
        };
      });
      expect(seen.dark).toBe(scheme === 'dark');
      expect(seen.legend).toEqual([
        expect.stringMatching(/^umd default/),
        expect.stringMatching(/^umd fastest opt-in/),
        expect.stringMatching(/^Node's IPC/),
        'C socketpair (the limit)',
      ]);
      expect(new Set(seen.fills).size).toBe(4);
      expect(seen.barContrast).toBeGreaterThanOrEqual(3);
      expect(seen.textContrast).toBeGreaterThanOrEqual(4.5);
      expect(seen.labelPx).toBeGreaterThanOrEqual(9);
      expect(seen.svgRight).toBeLessThanOrEqual(seen.viewport);
      expect(seen.legendRight).toBeLessThanOrEqual(seen.viewport);
      await chart.screenshot({ path: join(shots, `performance-chart-${scheme}-${width}.png`) });
      await page.close();
    },
  );
});
