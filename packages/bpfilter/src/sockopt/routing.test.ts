import { describe, expect, it } from 'vitest';
import { isRoutedGet, isRoutedSet } from './routing.js';

describe('routing (kernel ip_setsockopt/ip_getsockopt ranges)', () => {
  it('routes sets 64..65 and gets 64..67 only', () => {
    expect([63, 64, 65, 66, 64.5, -64].map(isRoutedSet)).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect([63, 64, 65, 66, 67, 68, 0x1001].map(isRoutedGet)).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
