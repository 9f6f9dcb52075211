import { describe, expect, it } from 'vitest';
import { selectLayout } from './generate.js';
import {
  placeholdNames,
  stripSampleOnly,
  templateProblems,
  toTemplate,
} from './template-source.js';

describe('stripSampleOnly', () => {
  it('drops the marked blocks and their markers', () => {
    const text = ['a', '  // #region sample-only', 'b', '  // #endregion', 'c'].join('\n');
    expect(stripSampleOnly(text, 'x.ts')).toBe('a\nc');
  });

  it('refuses nested or unclosed blocks', () => {
    expect(() =>
      stripSampleOnly('// #region sample-only\n// #region sample-only\n// #endregion', 'x.ts'),
    ).toThrow(/x.ts:2: .*inside another/);
    expect(() => stripSampleOnly('a\n// #region sample-only\nb', 'x.ts')).toThrow(
      /x.ts:2: .*never closed/,
    );
  });
});

describe('placeholdNames and templateProblems', () => {
  it('replaces every spelling of the name', () => {
    expect(
      placeholdNames(
        "import { createSampleManager } from '@umd/sample-umd'; // sample-umd, SAMPLE, 'sample'",
      ),
    ).toBe(
      "import { create__PASCAL__Manager } from '__PACKAGE_NAME__'; // __NAME__, __CONSTANT__, '__NAME__'",
    );
    expect(placeholdNames("import { packageConfig } from '../../tsup.config.base.js';")).toContain(
      "'__BASE__/tsup.config.base.js'",
    );
  });

  it('accepts the kebab name where a dash or a dot fits, not inside an identifier', () => {
    expect(
      templateProblems("name: '__NAME__', file: '__NAME__.blob.json', `${'__NAME__'}-x`", 'a.ts'),
    ).toEqual([]);
    expect(templateProblems('const __NAME__Manager = 1;', 'a.ts')).toEqual([
      expect.stringMatching(/a.ts:1: .*inside an identifier/),
    ]);
    expect(templateProblems('await __NAME__.check(1);', 'a.ts')).toEqual([
      expect.stringMatching(/inside an identifier/),
    ]);
  });

  it('refuses leftovers of the name, in any case, and region markers', () => {
    expect(toTemplate('// the sample driver', 'b.ts')).toBe('// the __NAME__ driver');
    expect(() => toTemplate('const samples = 1;', 'b.ts')).toThrow(/inside an identifier/);
    expect(templateProblems('# The Samples', 'README.md')).toEqual([
      expect.stringMatching(/name is left/),
    ]);
    expect(templateProblems('// #endregion', 'c.ts')).toEqual([
      expect.stringMatching(/region marker/),
    ]);
  });
});

describe('selectLayout', () => {
  const readme =
    'top\n<!-- workspace -->\nW\n<!-- /workspace -->\n<!-- standalone -->\nS\n<!-- /standalone -->\nend';
  it('keeps the parts for one layout, without their markers', () => {
    expect(selectLayout(readme, 'workspace')).toBe('top\nW\nend');
    expect(selectLayout(readme, 'standalone')).toBe('top\nS\nend');
  });
});
