// Paths and file walks shared by the docs tests.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DOCS_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SRC_DIR = join(DOCS_ROOT, 'src');
export const DIST_DIR = join(DOCS_ROOT, '.vitepress', 'dist');
export const TMP_DIR = join(DOCS_ROOT, '.tmp');

/** Every file under `dir` whose name ends with `suffix`, as paths relative to `dir` (with `/`). */
export function walk(
  dir: string,
  suffix: string,
  skip: (rel: string) => boolean = () => false,
): string[] {
  const out: string[] = [];
  const visit = (current: string) => {
    for (const entry of readdirSync(current)) {
      const path = join(current, entry);
      const rel = relative(dir, path).split(sep).join('/');
      if (skip(rel)) continue;
      if (statSync(path).isDirectory()) visit(path);
      else if (entry.endsWith(suffix)) out.push(rel);
    }
  };
  visit(dir);
  return out.sort();
}

/** The newest modification time of the files under `dir` (0 when empty). */
export function newestMtime(
  dir: string,
  skip: (rel: string) => boolean = () => false,
  withDirTime = false,
): number {
  if (!existsSync(dir)) return 0;
  // With `withDirTime`, the folder's own time counts: it changes when a file is deleted
  // (e.g. a data/*.json removed), which no remaining file's time shows.
  let newest = withDirTime ? statSync(dir).mtimeMs : 0;
  for (const rel of walk(dir, '', skip))
    newest = Math.max(newest, statSync(join(dir, rel)).mtimeMs);
  return newest;
}
