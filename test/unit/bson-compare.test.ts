import { describe, expect, it } from 'vitest';
import {
  canonicalTypeOrder,
  compareDocumentsBySortSpec,
  compareStrings,
  compareValues,
  valuesEqual,
} from '../../engine/sandbox/bson/compare.js';
import { decodeDocument } from '../../engine/sandbox/bson/decode.js';
import { encodeDocument } from '../../engine/sandbox/bson/encode.js';
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  BsonType,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  RawDocument,
  RawValue,
  Timestamp,
  type BsonDoc,
  type BsonValue,
} from '../../engine/sandbox/bson/values.js';
import { cstring, document, element, hex, int32, string } from './bson-helpers.js';

const doc = (...entries: [string, BsonValue][]): BsonDoc => new Map(entries);
const dec = (s: string): Decimal128 => Decimal128.fromString(s);
const long = (n: bigint): Long => Long.fromBigInt(n);
const undef = new RawValue(BsonType.undefined, Buffer.alloc(0));
const dbPointer = (ns: string, oid: string): RawValue =>
  new RawValue(BsonType.dbPointer, Buffer.concat([string(ns), hex(oid)]));
const codeWithScope = (code: string, scope: Buffer): RawValue => {
  const body = Buffer.concat([string(code), scope]);
  return new RawValue(BsonType.javascriptWithScope, Buffer.concat([int32(body.length + 4), body]));
};
const sign = (n: number): number => Math.sign(n);

/** Asserts that `values` are in strictly ascending order, pairwise in every combination. */
function expectAscending(values: BsonValue[]): void {
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < values.length; j++) {
      expect(sign(compareValues(values[i], values[j])), `${i} vs ${j}`).toBe(sign(i - j));
    }
  }
}

function expectEqual(a: BsonValue, b: BsonValue): void {
  expect(compareValues(a, b)).toBe(0);
  expect(compareValues(b, a)).toBe(0);
}

describe('compareValues across types', () => {
  it('follows the canonical type order', () => {
    expectAscending([
      new MinKey(),
      undef,
      null,
      new Int32(5),
      'a',
      doc(['a', new Int32(1)]),
      [],
      new Binary(Buffer.from('a')),
      new ObjectId('65a1b2c3d4e5f60718293a4b'),
      false,
      new Date(0),
      new Timestamp({ t: 0, i: 0 }),
      new BSONRegExp('a', ''),
      dbPointer('db.c', '65a1b2c3d4e5f60718293a4b'),
      new Code('x'),
      codeWithScope('x', document()),
      new MaxKey(),
    ]);
  });

  it('reports the canonical type numbers mongod uses', () => {
    expect(canonicalTypeOrder(new MinKey())).toBe(-1);
    expect(canonicalTypeOrder(undef)).toBe(0);
    expect(canonicalTypeOrder(null)).toBe(5);
    expect(canonicalTypeOrder(long(1n))).toBe(10);
    expect(canonicalTypeOrder(new BSONSymbol('a'))).toBe(15);
    expect(canonicalTypeOrder(new RawDocument(document()))).toBe(20);
    expect(canonicalTypeOrder(new Code('x', { a: 1 }))).toBe(65);
    expect(canonicalTypeOrder(new MaxKey())).toBe(127);
  });

  it('treats values of single-value types as equal', () => {
    expectEqual(new MinKey(), new MinKey());
    expectEqual(new MaxKey(), new MaxKey());
    expectEqual(null, null);
    expectEqual(undef, new RawValue(BsonType.undefined, Buffer.alloc(0)));
  });
});

describe('compareValues on numbers', () => {
  it('compares Int32, Long, Double and Decimal128 by value', () => {
    expectEqual(new Int32(1), long(1n));
    expectEqual(new Int32(1), new Double(1));
    expectEqual(long(1n), dec('1.000'));
    expectEqual(new Double(0.5), dec('0.50'));
    expectEqual(new Double(-0), new Int32(0));
    expectEqual(dec('-0'), new Double(0));
    expectEqual(dec('0E+300'), new Int32(0));
    expectEqual(new Double(Infinity), dec('Infinity'));
    expectEqual(new Double(-Infinity), dec('-Infinity'));
    expect(valuesEqual(new Int32(1), new Double(1.5))).toBe(false);
    // Timestamp extends Long in js-bson, but it is no number.
    expect(compareValues(new Timestamp({ t: 0, i: 1 }), long(1n))).toBe(1);
  });

  it('orders NaN equal to NaN and below every other number', () => {
    const payloadNaN = new RawValue(BsonType.double, hex('010000000000f07f'));
    expectEqual(new Double(NaN), dec('NaN'));
    expectEqual(new Double(NaN), payloadNaN);
    expectAscending([
      new Double(NaN),
      new Double(-Infinity),
      long(-(2n ** 63n)),
      new Int32(0),
      dec('1E+6000'),
      new Double(Infinity),
    ]);
    expect(compareValues(null, new Double(NaN))).toBe(-1);
  });

  it('compares Long with Double exactly beyond 2^53', () => {
    const big = 2n ** 53n;
    expect(compareValues(long(big + 1n), new Double(2 ** 53))).toBe(1);
    expect(compareValues(new Double(2 ** 53), long(big + 1n))).toBe(-1);
    expectEqual(long(big), new Double(2 ** 53));
    // 2^63 - 1 is not representable as a double; the nearest double is 2^63.
    expect(compareValues(long(2n ** 63n - 1n), new Double(2 ** 63))).toBe(-1);
    expect(compareValues(long(-(2n ** 63n)), new Double(-(2 ** 63)))).toBe(0);
    expect(compareValues(long(3n), new Double(2.5))).toBe(1);
    expect(compareValues(long(-3n), new Double(-2.5))).toBe(-1);
    expect(compareValues(long(2n), new Double(2.5))).toBe(-1);
  });

  it('compares Decimal128 with Double exactly', () => {
    // The double nearest 0.1 is slightly above it.
    expect(compareValues(dec('0.1'), new Double(0.1))).toBe(-1);
    expect(compareValues(dec('0.1000000000000000055511151231257828'), new Double(0.1))).toBe(1);
    expect(compareValues(dec('-1E-6176'), new Int32(0))).toBe(-1);
    expect(compareValues(dec('9.999999999999999999999999999999999E+6144'), new Double(Number.MAX_VALUE))).toBe(1);
    // The smallest subnormal double is 4.94065…E-324.
    expect(compareValues(dec('4.9E-324'), new Double(Number.MIN_VALUE))).toBe(-1);
    expect(compareValues(dec('5E-324'), new Double(Number.MIN_VALUE))).toBe(1);
    expectAscending([
      dec('-10'),
      new Int32(-9),
      dec('-1.5'),
      new Double(-1),
      dec('0'),
      dec('1E-10'),
      long(2n),
      dec('2.0000001'),
    ]);
  });
});

describe('compareValues within a type', () => {
  it('compares strings byte-wise as UTF-8, with Symbol equal to String', () => {
    expectAscending(['', 'A', 'B', 'a', 'aa', 'b', 'é', '\uffff', '𝄞']);
    expectEqual('abc', new BSONSymbol('abc'));
    // UTF-16 code units would put the surrogate pair of U+1D11E below U+FFFF.
    expect(compareStrings('\uffff', '𝄞')).toBe(-1);
    expect(compareValues('a\0b', 'a')).toBe(1);
  });

  it('compares documents by type, then field name, then value, shorter first', () => {
    expectAscending([
      doc(),
      doc(['a', null]),
      doc(['a', new Int32(1)]),
      doc(['a', new Int32(1)], ['b', new Int32(0)]),
      doc(['a', new Int32(2)]),
      doc(['b', new Int32(0)]),
      doc(['a', 'x']),
    ]);
    expectEqual(doc(['a', new Int32(1)]), doc(['a', new Double(1)]));
    expect(
      valuesEqual(doc(['a', new Int32(1)], ['b', new Int32(2)]), doc(['b', new Int32(2)], ['a', new Int32(1)])),
    ).toBe(false);
  });

  it('decodes RawDocument values to compare them', () => {
    const raw = new RawDocument(encodeDocument(doc(['a', new Int32(1)])));
    expectEqual(raw, doc(['a', new Long(1)]));
    expect(compareValues(raw, doc(['a', new Int32(2)]))).toBe(-1);
  });

  it('compares arrays element by element', () => {
    expectAscending([[], [null], [new Int32(1)], [new Int32(1), new Int32(0)], [new Int32(2)], ['a'], [[]]]);
  });

  it('compares binaries by length, then subtype, then bytes', () => {
    const subtype2 = new RawValue(BsonType.binData, Buffer.concat([int32(5), Buffer.from([2]), int32(1), hex('00')]));
    expectAscending([
      new Binary(hex('ff'), 0x80),
      new Binary(hex('0000'), 0),
      new Binary(hex('0001'), 0),
      new Binary(hex('0000'), 4),
      new Binary(hex('00000000'), 0),
      subtype2,
    ]);
    expectEqual(
      subtype2,
      decodeDocument(document(element(BsonType.binData, 'x', subtype2.bytes))).get('x') as BsonValue,
    );
  });

  it('compares ObjectIds, booleans, dates and timestamps', () => {
    expectAscending([
      new ObjectId('000000000000000000000000'),
      new ObjectId('000000000000000000000001'),
      new ObjectId('ff0000000000000000000000'),
    ]);
    expectAscending([false, true]);
    const farPast = new RawValue(BsonType.date, Buffer.from(hex('0000000000000080')));
    const farFuture = new RawValue(BsonType.date, Buffer.from(hex('ffffffffffffff7f')));
    expectAscending([farPast, new Date(-86400000), new Date(0), new Date(1), farFuture]);
    expectAscending([
      new Timestamp({ t: 1, i: 0xffffffff }),
      new Timestamp({ t: 2, i: 0 }),
      new Timestamp({ t: 2, i: 1 }),
      new Timestamp({ t: 0xffffffff, i: 0 }),
    ]);
  });

  it('compares regexes by pattern, then options', () => {
    const unsorted = new RawValue(BsonType.regex, Buffer.concat([cstring('a'), cstring('mi')]));
    expectAscending([new BSONRegExp('a', ''), new BSONRegExp('a', 'i'), unsorted, new BSONRegExp('b', '')]);
  });

  it('compares DBPointers by size, then bytes', () => {
    const oid = '65a1b2c3d4e5f60718293a4b';
    expectAscending([
      dbPointer('db.b', oid),
      dbPointer('db.c', oid),
      dbPointer('db.c', 'ff' + oid.slice(2)),
      dbPointer('db.aa', oid),
    ]);
  });

  it('compares code, and code with scope by code then scope', () => {
    expectAscending([new Code('a'), new Code('b')]);
    const scope1 = document(element(BsonType.int, 'x', int32(1)));
    const scope2 = document(element(BsonType.int, 'x', int32(2)));
    expectAscending([codeWithScope('a', scope2), codeWithScope('b', scope1), codeWithScope('b', scope2)]);
    expectEqual(codeWithScope('b', scope1), new Code('b', { x: 1 }));
  });
});

describe('compareDocumentsBySortSpec', () => {
  const sortBy = (spec: BsonDoc, docs: BsonDoc[]): number[] =>
    [...docs].sort(compareDocumentsBySortSpec(spec)).map((d) => (d.get('_id') as Int32).value);
  const id = (n: number, ...fields: [string, BsonValue][]): BsonDoc => doc(['_id', new Int32(n)], ...fields);

  it('sorts mixed types in canonical order, missing as null', () => {
    const docs = [
      id(1, ['a', 'x']),
      id(2, ['a', new Int32(3)]),
      id(3),
      id(4, ['a', new Double(1.5)]),
      id(5, ['a', null]),
      id(6, ['a', new MinKey()]),
      id(7, ['a', long(2n)]),
    ];
    const spec = doc(['a', new Int32(1)]);
    expect(sortBy(spec, docs)).toEqual([6, 3, 5, 4, 7, 2, 1]);
    expect(sortBy(doc(['a', new Int32(-1)]), docs)).toEqual([1, 2, 7, 4, 3, 5, 6]);
  });

  it('uses the smallest array element ascending and the largest descending', () => {
    const docs = [
      id(1, ['a', [new Int32(1), new Int32(10)]]),
      id(2, ['a', new Int32(5)]),
      id(3, ['a', [new Int32(3), new Int32(4)]]),
      id(4, ['a', []]),
      id(5),
    ];
    expect(sortBy(doc(['a', new Int32(1)]), docs)).toEqual([4, 5, 1, 3, 2]);
    expect(sortBy(doc(['a', new Double(-1)]), docs)).toEqual([1, 2, 3, 5, 4]);
  });

  it('follows dotted paths through arrays of documents', () => {
    const docs = [
      id(1, ['a', [doc(['b', new Int32(7)]), doc(['b', new Int32(2)])]]),
      id(2, ['a', doc(['b', new Int32(5)])]),
      id(3, ['a', [doc(['b', new Int32(3)]), doc(['c', new Int32(1)])]]),
    ];
    expect(sortBy(doc(['a.b', new Int32(1)]), docs)).toEqual([3, 1, 2]);
    expect(sortBy(doc(['a.b', new Int32(-1)]), docs)).toEqual([1, 2, 3]);
  });

  it('breaks ties with later fields and keeps equal keys equal', () => {
    const docs = [
      id(1, ['a', new Int32(1)], ['b', 'y']),
      id(2, ['a', new Double(1)], ['b', 'z']),
      id(3, ['a', long(0n)], ['b', 'x']),
    ];
    expect(sortBy(doc(['a', new Int32(1)], ['b', new Int32(-1)]), docs)).toEqual([3, 2, 1]);
    expect(compareDocumentsBySortSpec(doc(['a', new Int32(1)]))(docs[0], docs[1])).toBe(0);
  });

  it('ignores $meta sort fields', () => {
    const compare = compareDocumentsBySortSpec(doc(['score', doc(['$meta', 'textScore'])], ['a', new Int32(1)]));
    expect(compare(id(1, ['a', new Int32(2)]), id(2, ['a', new Int32(1)]))).toBe(1);
  });
});
