// The reference pages agree with the code: every UmdErrorCode has its section on the
// error page (and the page names no code that does not exist), and the wire format's test
// vectors decode with @umd/core's own codec to what the page says they are.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeHello, FrameDecoder, FrameType, UmdErrorCode } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { codeBlocks } from './markdown.js';
import { SRC_DIR } from './site.js';

describe('error codes page', () => {
  const page = readFileSync(join(SRC_DIR, 'reference', 'errors.md'), 'utf8');
  const codes = Object.values(UmdErrorCode);
  const sections = [...page.matchAll(/^## (UMD_[A-Z_]+)\s*$/gm)].map((m) => m[1]);

  it('has a section for every code in UmdErrorCode, in the summary table too', () => {
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) {
      expect(sections, `section "## ${code}"`).toContain(code);
      expect(page, `summary row for ${code}`).toMatch(
        new RegExp(`^\\| \\[\`${code}\`\\]\\(#${code.toLowerCase().replace(/_/g, '-')}\\)`, 'm'),
      );
    }
  });

  it('documents no code that the library does not have', () => {
    const mentioned = new Set(page.match(/\bUMD_[A-Z_]+\b/g));
    for (const code of mentioned)
      expect(codes as string[], `${code} is on the page but not in UmdErrorCode`).toContain(code);
  });

  it('says when it happens and what to do, for each code', () => {
    for (const code of codes) {
      const body = page.split(`## ${code}\n`)[1]!.split(/^## /m)[0]!;
      expect(body, code).toContain('**When.**');
      expect(body, code).toContain('**What to do.**');
    }
  });
});

describe('wire format page', () => {
  const vectors = codeBlocks('reference/wire-format.md')
    .filter((b) => /^([0-9A-F]{2} )+[0-9A-F]{2}\s*$/.test(b.code))
    .map((b) =>
      Uint8Array.from(
        b.code
          .trim()
          .split(/\s+/)
          .map((h) => parseInt(h, 16)),
      ),
    );

  it('has the two test vectors', () => {
    expect(vectors).toHaveLength(2);
  });

  it('the HELLO vector decodes to version 1, 1 MiB, "echo"', () => {
    const frames = new FrameDecoder().push(vectors[0]!);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ type: FrameType.Hello, id: 0 });
    expect(decodeHello(frames[0]!.payload)).toEqual({
      version: 1,
      maxPayload: 1024 * 1024,
      name: 'echo',
    });
  });

  it('the REQUEST vector decodes to id 7 with payload "abc"', () => {
    const frames = new FrameDecoder().push(vectors[1]!);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ type: FrameType.Request, id: 7 });
    expect(new TextDecoder().decode(frames[0]!.payload)).toBe('abc');
  });

  it('the field table matches the header the codec writes', () => {
    const page = readFileSync(join(SRC_DIR, 'reference', 'wire-format.md'), 'utf8');
    for (const [offset, size, field] of [
      ['0', '4', 'magic'],
      ['4', '1', 'type'],
      ['5', '1', 'flags'],
      ['6', '2', 'reserved'],
      ['8', '4', 'id'],
      ['12', '4', 'length'],
    ]) {
      expect(page).toContain(`| ${offset} | ${size} | ${field} |`);
    }
    for (const [name, value] of Object.entries(FrameType)) {
      expect(page, `frame type ${name}`).toContain(`| ${value} | ${name.toUpperCase()} |`);
    }
  });
});
