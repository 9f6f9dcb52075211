// Builds the sidebar of the generated API reference (src/api/, written by
// scripts/generate-api.mjs: one page per entry point) from the files typedoc produced, so
// it follows the code.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DefaultTheme } from 'vitepress';

/** The import specifier a module page documents: `main` is the package's root entry point. */
export function moduleSpecifier(packageName: string, page: string): string {
  return page === 'main' ? packageName : `${packageName}/${page}`;
}

/** One sidebar group per package, one link per entry point (`@umd/core`, `@umd/core/handler`, ...). */
export function apiSidebar(
  apiDir: string,
  packages: ReadonlyArray<{ slug: string; name: string }>,
): DefaultTheme.SidebarItem[] {
  const sections: DefaultTheme.SidebarItem[] = [];
  for (const { slug, name } of packages) {
    const dir = join(apiDir, slug);
    if (!existsSync(dir)) continue;
    const modules = readdirSync(dir)
      .filter((file) => file.endsWith('.md') && file !== 'index.md')
      .map((file) => file.slice(0, -3))
      .sort((a, b) => (a === 'main' ? -1 : b === 'main' ? 1 : a.localeCompare(b)));
    const items =
      modules.length > 0
        ? modules.map((page) => ({
            text: moduleSpecifier(name, page),
            link: `/api/${slug}/${page}`,
          }))
        : [{ text: name, link: `/api/${slug}/` }];
    sections.push({ text: name, collapsed: false, items });
  }
  return sections;
}
