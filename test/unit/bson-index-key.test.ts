import { describe, expect, it } from 'vitest';
import { encodeDocument } from '../../engine/sandbox/bson/encode.js';
import { indexKeys, keyString, keyValueDocument } from '../../engine/sandbox/bson/index-key.js';
import { getKeyValues, getPath, getPathValues } from '../../engine/sandbox/bson/path.js';
import {
  Binary,
  BSONSymbol,
  BsonType,
  Decimal128,
  Double,
  Int32,
  Long,
  ObjectId,
  RawDocument,
  RawValue,
  Timestamp,
  type BsonDoc,
  type BsonValue,
} from '../../engine/sandbox/bson/values.js';
import { hex } from './bson-helpers.js';

const doc = (...entries: [string, BsonValue][]): BsonDoc => new Map(entries);
const i = (n: number): Int32 => new Int32(n);
const undef = new RawValue(BsonType.undefined, Buffer.alloc(0));

describe('path lookup', () => {
  const sample = doc(
    ['a', [doc(['b', i(1)]), doc(['b', [i(2), i(3)]]), doc(['c', i(4)]), i(5), [doc(['b', i(6)])]]],
    ['n', doc(['m', doc(['k', 'deep'])])],
    ['arr', [i(10), i(20), doc(['1', 'field one'])]],
    ['raw', new RawDocument(encodeDocument(doc(['x', i(7)])))],
  );

  it('getPath follows documents and array indexes without traversal', () => {
    expect(getPath(sample, 'n.m.k')).toBe('deep');
    expect(getPath(sample, 'arr.1')).toEqual(i(20));
    expect(getPath(sample, 'a.b')).toBeUndefined();
    expect(getPath(sample, 'raw.x')).toEqual(i(7));
    expect(getPath(sample, 'missing.x')).toBeUndefined();
  });

  it('getPathValues traverses arrays of documents but not nested arrays', () => {
    expect(getPathValues(sample, 'a.b')).toEqual([i(1), [i(2), i(3)]]);
    expect(getPathValues(sample, 'arr.1')).toEqual([i(20), 'field one']);
    expect(getPathValues(sample, 'a.0.b')).toEqual([i(1)]);
    expect(getPathValues(sample, 'a.4.0.b')).toEqual([i(6)]);
    expect(getPathValues(sample, 'zzz')).toEqual([]);
  });

  it('getKeyValues expands arrays and counts missing fields as null', () => {
    expect(getKeyValues(sample, 'a.b')).toEqual([i(1), i(2), i(3), null, null, null]);
    expect(getKeyValues(sample, 'zzz')).toEqual([null]);
    expect(getKeyValues(doc(['a', []]), 'a')).toEqual([undef]);
    expect(getKeyValues(doc(['a', []]), 'a.b')).toEqual([null]);
    expect(getKeyValues(doc(['a', [[i(1)], i(2)]]), 'a')).toEqual([[i(1)], i(2)]);
  });
});

describe('keyString', () => {
  it('makes values equal under compareValues collide', () => {
    const one = [i(1), Long.fromBigInt(1n), new Double(1), Decimal128.fromString('1.000')].map(keyString);
    expect(new Set(one).size).toBe(1);
    expect(keyString(new Double(-0))).toBe(keyString(i(0)));
    expect(keyString(Decimal128.fromString('-0E+10'))).toBe(keyString(i(0)));
    expect(keyString('a')).toBe(keyString(new BSONSymbol('a')));
    expect(keyString(new Double(NaN))).toBe(keyString(new RawValue(BsonType.double, hex('010000000000f07f'))));
    expect(keyString(doc(['a', i(1)]))).toBe(keyString(new RawDocument(encodeDocument(doc(['a', new Double(1)])))));
  });

  it('keeps different values apart', () => {
    const values: BsonValue[] = [
      null,
      undef,
      i(1),
      new Double(1.5),
      Decimal128.fromString('0.1'),
      new Double(0.1),
      Long.fromBigInt(2n ** 63n - 1n),
      new Double(2 ** 63),
      '1',
      'a|b',
      doc(['a', i(1)]),
      doc(['a', '1']),
      doc(['b', i(1)]),
      [i(1)],
      [i(1), i(2)],
      [[i(1), i(2)]],
      new Binary(hex('01'), 0),
      new Binary(hex('01'), 4),
      new ObjectId('65a1b2c3d4e5f60718293a4b'),
      true,
      new Date(1),
      new Timestamp({ t: 0, i: 1 }),
      Long.fromBigInt(1n << 32n),
    ];
    expect(new Set(values.map(keyString)).size).toBe(values.length);
  });
});

describe('indexKeys', () => {
  const pattern = (...fields: string[]): BsonDoc => new Map(fields.map((field) => [field, i(1)]));

  it('indexes a missing field as null unless the index is sparse', () => {
    expect(indexKeys(doc(['x', i(1)]), pattern('a'))).toEqual(indexKeys(doc(['a', null]), pattern('a')));
    expect(indexKeys(doc(['x', i(1)]), pattern('a'), { sparse: true })).toBeNull();
    expect(indexKeys(doc(['a', null]), pattern('a'), { sparse: true })).toHaveLength(1);
    expect(indexKeys(doc(['b', i(1)]), pattern('a', 'b'), { sparse: true })).toHaveLength(1);
  });

  it('expands multikey arrays into one key per distinct element', () => {
    const keys = indexKeys(doc(['a', [i(1), new Double(1), i(2)]]), pattern('a'));
    expect(keys).toHaveLength(2);
    expect(keys).toEqual(indexKeys(doc(['a', [Long.fromBigInt(2n), i(1)]]), pattern('a'))?.reverse());
    expect(indexKeys(doc(['a', [doc(['b', i(1)]), doc(['b', i(2)])]]), pattern('a.b'))).toHaveLength(2);
  });

  it('combines compound fields', () => {
    const keys = indexKeys(doc(['a', [i(1), i(2)]], ['b', 'x']), pattern('a', 'b'));
    expect(keys).toHaveLength(2);
    expect(keys).toContain(indexKeys(doc(['a', i(1)], ['b', 'x']), pattern('a', 'b'))?.[0]);
    expect(indexKeys(doc(['a', i(1)], ['b', 'x']), pattern('a', 'b'))).not.toEqual(
      indexKeys(doc(['a', i(1)], ['b', 'y']), pattern('a', 'b')),
    );
    // The same values under different fields must not collide either.
    expect(indexKeys(doc(['a', 'x|1']), pattern('a', 'b'))).not.toEqual(
      indexKeys(doc(['a', 'x'], ['b', '1']), pattern('a', 'b')),
    );
  });

  it('treats hashed and text key types as plain values', () => {
    const hashed = new Map<string, BsonValue>([['a', 'hashed']]);
    expect(indexKeys(doc(['a', i(3)]), hashed)).toEqual(indexKeys(doc(['a', new Double(3)]), hashed));
  });

  it('gives the keyValue document of a duplicate key', () => {
    const keyPattern = new Map<string, BsonValue>([
      ['a', i(1)],
      ['b.c', i(-1)],
    ]);
    const subject = doc(['a', [i(1), i(2)]], ['b', doc(['c', 'x'])]);
    expect(keyValueDocument(subject, keyPattern)).toEqual(doc(['a', i(1)], ['b.c', 'x']));
    const second = indexKeys(doc(['a', i(2)], ['b', doc(['c', 'x'])]), keyPattern)?.[0];
    expect(keyValueDocument(subject, keyPattern, second)).toEqual(doc(['a', i(2)], ['b.c', 'x']));
    expect(keyValueDocument(doc(), keyPattern)).toEqual(doc(['a', null], ['b.c', null]));
  });
});
