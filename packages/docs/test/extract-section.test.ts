import { describe, expect, it } from 'vitest';
import { extractSection } from '../scripts/extract-section.mjs';

const readme = [
  '# @umd/bpfilter',
  'intro',
  '## Install',
  'npm i',
  '## iptables walkthrough',
  'Run <this> in a [namespace](./docs/ns.md), see [site](https://example.org).',
  '### Step 1',
  '```sh',
  '# not a heading',
  'iptables -A INPUT -j <chain>',
  '```',
  '## API',
  'more',
].join('\n');

describe('extractSection', () => {
  it('takes the section up to the next heading of its level, with its sub-headings, shifted', () => {
    const section = extractSection(readme, /walkthrough/i, 2) ?? '';
    expect(section.split('\n')[0]).toBe('## iptables walkthrough');
    expect(section).toContain('### Step 1');
    expect(section).not.toContain('## API');
    expect(section).not.toContain('npm i');
  });

  it('keeps code byte for byte, escapes < outside code, drops relative links', () => {
    const section = extractSection(readme, /walkthrough/i, 2) ?? '';
    expect(section).toContain('# not a heading\niptables -A INPUT -j <chain>');
    expect(section).toContain('Run &lt;this> in a namespace, see [site](https://example.org).');
  });

  it('returns undefined when there is no such section', () => {
    expect(extractSection(readme, /nothing/i, 2)).toBeUndefined();
  });
});
