import { describe, expect, it } from 'vitest';
import { isUmdError } from '../errors/umd-error.js';
import { checkObject, invalidArgument, readingOptions } from './check-options.js';

const throwing = {
  get signal(): never {
    throw new Error('getter threw');
  },
};

class OtherError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

describe('readingOptions', () => {
  it('turns a getter that throws into UMD_INVALID_ARGUMENT, with the throw as its cause', () => {
    const caught = (() => {
      try {
        readingOptions('Owner', 'its options', () => throwing.signal);
      } catch (error) {
        return error;
      }
    })();
    expect(isUmdError(caught)).toBe(true);
    expect(caught).toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
      message: 'Owner: reading its options threw: getter threw',
    });
    expect((caught as Error).cause).toBeInstanceOf(Error);
  });

  it('lets its own checks through unchanged', () => {
    const own = invalidArgument('Owner', 'timeoutMs must be a number');
    expect(() =>
      readingOptions('Owner', 'its options', () => {
        throw own;
      }),
    ).toThrow(own);
  });

  it("reports with another package's error family when given one", () => {
    const errors = {
      invalid: (message: string, cause: unknown) => new OtherError('OTHER_BAD', message, { cause }),
      isOwn: (error: unknown) => error instanceof OtherError,
    };
    expect(() => readingOptions(undefined, 'the options', () => throwing.signal, errors)).toThrow(
      expect.objectContaining({
        code: 'OTHER_BAD',
        message: 'reading the options threw: getter threw',
      }),
    );
    const own = new OtherError('OTHER_OWN', 'now must be a valid Date');
    expect(() =>
      readingOptions(
        undefined,
        'the options',
        () => {
          throw own;
        },
        errors,
      ),
    ).toThrow(own);
    // A UmdError is not this family's own: it is reported as the family's error too.
    const umd = invalidArgument(undefined, 'nested');
    expect(() =>
      readingOptions(
        undefined,
        'the options',
        () => {
          throw umd;
        },
        errors,
      ),
    ).toThrow(expect.objectContaining({ code: 'OTHER_BAD' }));
  });
});

describe('checkObject', () => {
  it('takes an object, and {} for null or undefined', () => {
    const bag = { a: 1 };
    expect(checkObject(bag, 'options', 'Owner')).toBe(bag);
    expect(checkObject(null, 'options', 'Owner')).toEqual({});
    expect(checkObject(undefined, 'options', 'Owner')).toEqual({});
  });

  it('refuses a value that is no options bag, an array included, with UMD_INVALID_ARGUMENT', () => {
    const notBags = [new Map([['timeoutMs', 5]]), new Set(), new WeakMap(), Promise.resolve({})];
    const data = [new Uint8Array(0), new DataView(new ArrayBuffer(1)), new ArrayBuffer(0)];
    const others = [new Date(0), /x/, Object(5), new Proxy([], {})];
    for (const value of [[], [{ a: 1 }], 5, 'x', true, () => {}, ...notBags, ...data, ...others]) {
      const caught = (() => {
        try {
          checkObject(value, 'options', 'Owner');
        } catch (error) {
          return error;
        }
      })();
      expect(caught, String(value)).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
      expect((caught as Error).message).toMatch(/^Owner: options must be an object, got /);
    }
    expect(() => checkObject([], 'options', 'Owner')).toThrow('got an array');
    expect(() => checkObject(new Map(), 'options', 'Owner')).toThrow('got a Map');
    expect(() => checkObject(Promise.resolve({}), 'options', 'Owner')).toThrow('got a promise');
    expect(() => checkObject(new Uint8Array(2), 'options', 'Owner')).toThrow('got binary data');
  });

  it('takes an object of a class, one without a prototype, and a proxy of an object', () => {
    class Options {
      timeoutMs = 5;
    }
    for (const bag of [new Options(), Object.create(null), new Proxy({ a: 1 }, {})])
      expect(checkObject(bag, 'options', 'Owner')).toBe(bag);
  });
});
