/**
 * Splits one iptables-restore rule line into arguments, as iptables-restore does: blanks
 * separate, single or double quotes group, and inside quotes a backslash escapes the next
 * character.
 */
export function tokenizeLine(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === '\\' && i + 1 < line.length) {
        current += line[++i];
      } else if (c === quote) {
        quote = undefined;
      } else {
        current += c;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inToken = true;
    } else if (c === ' ' || c === '\t') {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += c;
      inToken = true;
    }
  }
  if (quote !== undefined) throw new SyntaxError(`unterminated ${quote} quote`);
  if (inToken) tokens.push(current);
  return tokens;
}
