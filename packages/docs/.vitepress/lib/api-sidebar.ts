// Builds the sidebar of the generated API reference (src/api/, written by
// scripts/generate-api.mjs) from the files typedoc produced, so it follows the code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DefaultTheme } from 'vitepress';

/** typedoc-plugin-markdown's folders, in the order a reader looks for them. */
const KIND_FOLDERS: ReadonlyArray<[folder: string, title: string]> = [
  ['classes', 'Classes'],
  ['functions', 'Functions'],
  ['interfaces', 'Interfaces'],
  ['type-aliases', 'Type aliases'],
  ['variables', 'Variables'],
  ['enumerations', 'Enumerations'],
];

/** The import specifier a module folder documents: `index` is the package itself. */
export function moduleSpecifier(packageName: string, moduleFolder: string): string {
  return moduleFolder === 'index' ? packageName : `${packageName}/${moduleFolder}`;
}

function pagesOf(dir: string, link: string): DefaultTheme.SidebarItem[] {
  const groups: DefaultTheme.SidebarItem[] = [];
  for (const [folder, title] of KIND_FOLDERS) {
    const path = join(dir, folder);
    if (!existsSync(path)) continue;
    const items = readdirSync(path)
      .filter((file) => file.endsWith('.md'))
      .sort((a, b) => a.localeCompare(b))
      .map((file) => ({ text: file.slice(0, -3), link: `${link}/${folder}/${file.slice(0, -3)}` }));
    groups.push({ text: title, collapsed: true, items });
  }
  return groups;
}

/**
 * One sidebar section per package: a package with several entry points (`@umd/core`,
 * `@umd/core/handler`, ...) gets one group per entry point.
 */
export function apiSidebar(apiDir: string, packages: ReadonlyArray<{ slug: string; name: string }>): DefaultTheme.SidebarItem[] {
  const sections: DefaultTheme.SidebarItem[] = [];
  for (const { slug, name } of packages) {
    const dir = join(apiDir, slug);
    if (!existsSync(dir)) continue;
    const link = `/api/${slug}`;
    const modules = readdirSync(dir).filter(
      (entry) => statSync(join(dir, entry)).isDirectory() && existsSync(join(dir, entry, 'index.md')) && !KIND_FOLDERS.some(([f]) => f === entry),
    );
    const items =
      modules.length > 0
        ? modules
            .sort((a, b) => (a === 'index' ? -1 : b === 'index' ? 1 : a.localeCompare(b)))
            .map((mod) => ({
              text: moduleSpecifier(name, mod),
              link: `${link}/${mod}/`,
              collapsed: true,
              items: pagesOf(join(dir, mod), `${link}/${mod}`),
            }))
        : pagesOf(dir, link);
    sections.push({ text: name, link: `${link}/`, collapsed: false, items });
  }
  return sections;
}
