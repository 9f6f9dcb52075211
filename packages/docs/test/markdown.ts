// Reads the Markdown sources of the site the way VitePress sees them.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SRC_DIR, walk } from './site.js';

export interface CodeBlock {
  /** Page path relative to src/, e.g. `guide/handler-typescript.md`. */
  page: string;
  /** 1-based line of the opening fence in the page (after includes). */
  line: number;
  /** Fence language, lower-cased (`ts`, `c`, `sh`, ...). */
  lang: string;
  /** The words after the language, e.g. `{3}` or `[main.ts]`. */
  meta: string;
  code: string;
}

/**
 * The pages of the site: every Markdown file under src/ except the generated API reference
 * (its code blocks are declarations printed from the code itself) and the partials that
 * pages include (they are checked inside the pages that include them).
 */
export function sitePages(): string[] {
  return walk(
    SRC_DIR,
    '.md',
    (rel) => rel.startsWith('api/') || rel.startsWith('parts/') || rel.startsWith('public/'),
  );
}

/** A page's Markdown with `<!--@include: path-->` lines replaced by the included file. */
export function pageSource(page: string): string {
  const file = join(SRC_DIR, page);
  return readFileSync(file, 'utf8').replace(
    /<!--\s*@include:\s*(.*?)\s*-->/g,
    (_, target: string) => readFileSync(join(dirname(file), target), 'utf8'),
  );
}

/** Every fenced code block of a page. */
export function codeBlocks(page: string): CodeBlock[] {
  const lines = pageSource(page).split('\n');
  const blocks: CodeBlock[] = [];
  let open: { fence: string; lang: string; meta: string; line: number; body: string[] } | undefined;
  lines.forEach((text, index) => {
    if (open) {
      if (text.trim().startsWith(open.fence) && text.trim().replace(/[`~]/g, '') === '') {
        blocks.push({
          page,
          line: open.line,
          lang: open.lang,
          meta: open.meta,
          code: `${open.body.join('\n')}\n`,
        });
        open = undefined;
      } else {
        open.body.push(text);
      }
      return;
    }
    const match = /^\s*(`{3,}|~{3,})\s*([\w+-]*)\s*(.*)$/.exec(text);
    if (match)
      open = {
        fence: match[1]!,
        lang: match[2]!.toLowerCase(),
        meta: match[3]!,
        line: index + 1,
        body: [],
      };
  });
  return blocks;
}
