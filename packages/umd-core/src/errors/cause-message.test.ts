import { describe, expect, it } from 'vitest';
import { causeMessage } from './cause-message.js';

describe('causeMessage', () => {
  it('names whatever was thrown', () => {
    expect(causeMessage(new TypeError('bad'))).toBe('bad');
    expect(causeMessage({ message: 'from another realm' })).toBe('from another realm');
    expect(causeMessage('no')).toBe('no');
    expect(causeMessage(null)).toBe('null');
    expect(causeMessage(undefined)).toBe('undefined');
    expect(causeMessage(42n)).toBe('42');
    expect(causeMessage(Symbol('s'))).toBe('Symbol(s)');
    const hostile = {
      toString() {
        throw new Error('no string for you');
      },
    };
    expect(causeMessage(hostile)).toBe('[object Object]');
  });
});
