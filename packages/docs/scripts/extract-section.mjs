// @ts-check
// Pulls one section out of a Markdown file (a package README) so that a docs page can
// include it at build time instead of a hand-made copy that would drift.

/**
 * The section whose heading matches `heading`, up to the next heading of the same or a
 * higher level, with its headings shifted so that the section's own heading has level
 * `topLevel`. Fenced code is kept byte for byte.
 * @param {string} markdown
 * @param {RegExp} heading
 * @param {number} topLevel
 * @returns {string | undefined}
 */
export function extractSection(markdown, heading, topLevel = 2) {
  const lines = markdown.split(/\r?\n/);
  /** @type {number | undefined} */ let start;
  let level = 0;
  let end = lines.length;
  let fence = '';
  for (let i = 0; i < lines.length; i++) {
    const line = /** @type {string} */ (lines[i]);
    const fenceMatch = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      const marker = /** @type {string} */ (fenceMatch[1]);
      if (!fence) fence = marker;
      else if (marker.startsWith(fence[0] ?? '`') && marker.length >= fence.length) fence = '';
      continue;
    }
    if (fence) continue;
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (!h) continue;
    const hLevel = /** @type {string} */ (h[1]).length;
    if (start === undefined) {
      if (heading.test(/** @type {string} */ (h[2]))) {
        start = i;
        level = hLevel;
      }
    } else if (hLevel <= level) {
      end = i;
      break;
    }
  }
  if (start === undefined) return undefined;
  return `${adaptForSite(lines.slice(start, end), topLevel - level)
    .join('\n')
    .trimEnd()}\n`;
}

/**
 * Shifts heading levels, turns links that are relative to the README's folder (which do
 * not exist on the site) into plain text, and escapes `<` outside code so that VitePress
 * (which compiles pages as Vue templates) shows it as text.
 * @param {string[]} lines
 * @param {number} shift
 */
function adaptForSite(lines, shift) {
  let fence = '';
  return lines.map((line) => {
    const fenceMatch = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fenceMatch) {
      const marker = /** @type {string} */ (fenceMatch[1]);
      if (!fence) fence = marker;
      else if (marker.startsWith(fence[0] ?? '`') && marker.length >= fence.length) fence = '';
      return line;
    }
    if (fence) return line;
    let out = line.replace(
      /^(#{1,6})(\s)/,
      (_, hashes, space) => '#'.repeat(Math.min(6, Math.max(1, hashes.length + shift))) + space,
    );
    // Split on inline code spans; only the text between them is rewritten.
    out = out
      .split(/(`+[^`]*`+)/)
      .map((part, index) =>
        index % 2 === 1
          ? part
          : part
              .replace(/\[([^\]]+)\]\((?!https?:|mailto:)[^)]*\)/g, '$1')
              .replace(/</g, '&lt;')
              .replace(/\{\{/g, '&#123;&#123;'),
      )
      .join('');
    return out;
  });
}
