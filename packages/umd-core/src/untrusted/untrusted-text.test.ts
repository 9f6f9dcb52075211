import { describe, expect, it } from 'vitest';
import { untrustedText, withoutControlCharacters } from '../untrusted.js';

describe('untrusted text', () => {
  it('shows every C0, DEL and C1 control character as ?, keeping the length', () => {
    const text = 'a\u0000b\u001b[31mc\u007fd\u009be\nf\tg';
    const clean = withoutControlCharacters(text);
    expect(clean).toBe('a?b?[31mc?d?e?f?g');
    expect(clean.length).toBe(text.length);
  });

  it('untrustedText cuts at max characters, marks the cut, and cleans', () => {
    expect(untrustedText('ab\u001bcdef', 4)).toBe('ab?c...');
    expect(untrustedText('abcd', 4)).toBe('abcd');
  });
});
