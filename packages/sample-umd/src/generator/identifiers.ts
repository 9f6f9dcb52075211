/**
 * The template's classes and functions are named after the driver (`__PASCAL__Manager`); a
 * name can make one of them equal to a name the same template imports: a driver called `umd`
 * would declare `UmdManager` beside the `UmdManager` its manager imports from `@umd/mgmt`,
 * and would not compile. The generator refuses such a name up front.
 */

// `import a from`, `import { b, type c as d } from`, `import type { e } from` (one or more lines).
const IMPORT = /\bimport\s+(?:type\s+)?(?:(\w+)\s*,?\s*)?(?:\{([^}]*)\})?\s*from\s/g;
const NAMED_AFTER_DRIVER = /\w*__(?:PASCAL|CONSTANT)__\w*/g;

/** The local names that `import` declarations in `text` bind. */
export function importedNames(text: string): string[] {
  const names: string[] = [];
  for (const [, defaultName, braces] of text.matchAll(IMPORT)) {
    if (defaultName) names.push(defaultName);
    for (const part of (braces ?? '').split(',')) {
      const local = part
        .trim()
        .split(/\s+as\s+/)
        .at(-1)
        ?.replace(/^type\s+/, '');
      if (local) names.push(local);
    }
  }
  return names;
}

/**
 * The identifiers named after the driver that would equal an imported name in the same
 * template (`fill` puts the driver's names into a template text), sorted; none is good.
 */
export function collidingIdentifiers(
  templateTexts: readonly string[],
  fill: (text: string) => string,
): string[] {
  const imported = new Set(templateTexts.flatMap(importedNames));
  const made = new Set(templateTexts.flatMap((text) => text.match(NAMED_AFTER_DRIVER) ?? []));
  return [...made]
    .map(fill)
    .filter((name) => imported.has(name))
    .sort();
}
