import { describe, expect, it } from 'vitest';
import { fixtureLoader, managed, str, text } from './helpers/fixtures.js';

describe('smoke', () => {
  it('echoes through a JS handler', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    expect(str(await m.request(text('hello')))).toBe('hello');
    expect(m.state).toBe('running');
  });
});
