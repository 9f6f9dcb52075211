import { describe, expect, it } from 'vitest';
import {
  bytes,
  codec,
  ContractViolation,
  defineContract,
  json,
  type StandardSchemaResult,
  type StandardSchemaV1,
  structured,
} from './index.js';
import { isUmdError, UmdErrorCode } from '../errors/umd-error.js';

/** A tiny Standard Schema validator: an object whose listed keys have the given typeof. */
function shape<T>(fields: Record<string, string>, async = false): StandardSchemaV1<unknown, T> {
  const validate = (value: unknown): StandardSchemaResult<T> => {
    if (typeof value !== 'object' || value === null)
      return { issues: [{ message: 'not an object' }] };
    const issues = Object.entries(fields)
      .filter(([key, type]) => typeof (value as Record<string, unknown>)[key] !== type)
      .map(([key, type]) => ({ message: `expected a ${type}`, path: [key] }));
    return issues.length ? { issues } : { value: value as T };
  };
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: async ? async (v) => validate(v) : validate,
    },
  };
}

const violation = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as ContractViolation;
  }
  throw new Error('expected a ContractViolation');
};

describe('codecs', () => {
  it('json round-trips plain data and refuses bytes that are not UTF-8 JSON', () => {
    const c = json<{ a: number[] }>();
    expect(c.decode(c.encode({ a: [1, 2] }))).toEqual({ a: [1, 2] });
    expect(() => c.decode(new Uint8Array([0xff, 0xfe]))).toThrow();
    expect(() => c.decode(new TextEncoder().encode('{"a":'))).toThrow();
    expect(() => json().encode(undefined)).toThrow(/no JSON form/);
  });

  it('json reads ASCII and other UTF-8 alike, copies what it keeps, and still refuses malformed UTF-8', () => {
    const c = json<unknown>();
    const encode = (text: string) => new TextEncoder().encode(text);
    expect(c.decode(encode('{"s":"é ü 漢 🙂"}'))).toEqual({ s: 'é ü 漢 🙂' });
    // A view into a larger buffer (a reused request buffer): only the view is read.
    const framed = encode('xx["ascii",1]yy');
    expect(c.decode(framed.subarray(2, 13))).toEqual(['ascii', 1]);
    // From about 1 MiB Node makes an ASCII string outside the heap: still a copy of the input.
    const big = encode(`["${'a'.repeat(1_200_000)}"]`);
    const value = c.decode(big) as string[];
    big.fill(0x62, 2, big.length - 2);
    expect(value[0]).toBe('a'.repeat(1_200_000));
    // A byte-order mark is skipped as before; malformed UTF-8 after ASCII is refused.
    expect(c.decode(new Uint8Array([0xef, 0xbb, 0xbf, ...encode('[2]')]))).toEqual([2]);
    expect(() => c.decode(new Uint8Array([...encode('["a'), 0x80, ...encode('"]')]))).toThrow();
  });

  it('structured clone keeps Map, Set, Date, BigInt and typed arrays', () => {
    const c = structured<unknown>();
    const value = {
      map: new Map([['k', new Set([1, 2])]]),
      at: new Date(86_400_000),
      big: 2n ** 70n,
      bytes: new Uint8Array([1, 2, 3]),
    };
    expect(c.decode(c.encode(value))).toEqual(value);
    expect(() => c.decode(new Uint8Array([0xff, 0x0f, 0x99]))).toThrow();
  });

  it('bytes passes the payload through and refuses anything else', () => {
    const payload = new Uint8Array([9, 8, 7]);
    expect(bytes().encode(payload)).toBe(payload);
    expect(() => bytes().encode('text' as unknown as Uint8Array)).toThrow(/not a Uint8Array/);
  });

  it('declare decodeCopies only where the value owns its memory (serveContract reuses buffers then)', () => {
    expect(json().decodeCopies).toBe(true);
    expect(structured().decodeCopies).toBe(true);
    expect(bytes().decodeCopies).not.toBe(true); // its value is the payload itself
    const spec = { name: 'own', encode: (v: Uint8Array) => v, decode: (b: Uint8Array) => b };
    expect(codec(spec).decodeCopies).toBe(false);
    expect(codec({ ...spec, decodeCopies: true }).decodeCopies).toBe(true);
  });
});

describe('defineContract', () => {
  const Sum = defineContract({
    name: 'sum',
    request: json(shape<{ a: number; b: number }>({ a: 'number', b: 'number' })),
    reply: json(shape<{ sum: number }>({ sum: 'number' })),
  });

  it('encodes and decodes both ways, validating each value', () => {
    const request = Sum.encodeRequest({ a: 1, b: 2 }) as Uint8Array;
    expect(Sum.decodeRequest(request)).toEqual({ a: 1, b: 2 });
    const reply = Sum.encodeReply({ sum: 3 }) as Uint8Array;
    expect(Sum.decodeReply(reply)).toEqual({ sum: 3 });
  });

  it('refuses what the validator refuses, with its issues and path', () => {
    const error = violation(() => Sum.decodeReply(new TextEncoder().encode('{"sum":"3"}')));
    expect(error).toBeInstanceOf(ContractViolation);
    expect(error.message).toBe('sum: invalid reply: sum: expected a number');
    expect(error.issues).toEqual([{ message: 'expected a number', path: ['sum'] }]);
    expect(() => Sum.encodeRequest({ a: 1 } as { a: number; b: number })).toThrow(
      /invalid request: b: expected a number/,
    );
  });

  // Found by walking the packages' exports: ContractViolation was the one error class of
  // @umd/core without a code, invisible to isUmdError.
  it('is a UmdError with code UMD_CONTRACT_VIOLATION, from the validator and from the codec', () => {
    const refused = violation(() => Sum.decodeReply(new TextEncoder().encode('{"sum":"3"}')));
    const undecodable = violation(() => Sum.decodeRequest(new Uint8Array([1, 2, 3])));
    const Loose = defineContract({ request: json(), reply: json() });
    const unencodable = violation(() => Loose.encodeReply({ big: 1n }));
    for (const error of [refused, undecodable, unencodable]) {
      expect(error.code).toBe('UMD_CONTRACT_VIOLATION');
      expect(isUmdError(error, UmdErrorCode.CONTRACT_VIOLATION)).toBe(true);
      expect(error.name).toBe('ContractViolation');
    }
  });

  it('reports undecodable bytes as a violation naming the codec', () => {
    const error = violation(() => Sum.decodeReply(new Uint8Array([1, 2, 3])));
    expect(error.message).toMatch(/^sum: invalid reply: not valid json \(3 bytes\)/);
  });

  it('supports async validators', async () => {
    const Async = defineContract({
      request: json(shape<{ a: number }>({ a: 'number' }, true)),
      reply: bytes(),
    });
    const encoded = Async.encodeRequest({ a: 1 });
    expect(encoded).toBeInstanceOf(Promise);
    expect(await Async.decodeRequest(await encoded)).toEqual({ a: 1 });
    await expect(Async.decodeRequest(new TextEncoder().encode('{}'))).rejects.toThrow(
      /a: expected a number/,
    );
  });

  it('takes codecs of your own, and refuses what is not a codec', () => {
    const u32 = codec<number>({
      name: 'u32',
      encode: (n) => new Uint8Array(new Uint32Array([n]).buffer),
      decode: (b) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(0, true),
    });
    const Offsets = defineContract({ request: u32, reply: bytes() });
    expect(Offsets.decodeRequest(Offsets.encodeRequest(4096) as Uint8Array)).toBe(4096);
    expect(() => defineContract({ request: {} as never, reply: bytes() })).toThrow(
      expect.objectContaining({
        code: 'UMD_INVALID_ARGUMENT',
        message: expect.stringContaining('must be a codec'),
      }),
    );
    expect(() => defineContract(null as never)).toThrow(
      expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }),
    );
  });
});

describe('structured()', () => {
  it('decodes typed arrays and Buffers into bytes of their own: the input may be reused after the call', () => {
    const codec = structured<{
      bytes: Uint8Array;
      floats: Float64Array;
      buf: Buffer;
      view: DataView;
    }>();
    const value = {
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([1.5, -2]),
      buf: Buffer.from('abc'),
      view: new DataView(new Uint8Array([9, 8]).buffer),
    };
    const input = new Uint8Array(codec.encode(value));
    const decoded = codec.decode(input) as typeof value;
    input.fill(0xff); // the caller reuses its buffer for the next message
    expect(decoded.bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(decoded.floats).toEqual(new Float64Array([1.5, -2]));
    expect(Buffer.isBuffer(decoded.buf) && decoded.buf.toString()).toBe('abc');
    expect(decoded.view).toBeInstanceOf(DataView);
    expect([decoded.view.getUint8(0), decoded.view.getUint8(1)]).toEqual([9, 8]);
    for (const part of [decoded.bytes, decoded.floats, decoded.buf, decoded.view])
      expect(part.buffer).not.toBe(input.buffer);
  });
});
