import { Aggregator, Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import { encodeDocument } from '../../engine/sandbox/bson/encode.js';
import { fromMatchValue, toMatchDocument, toMatchValue } from '../../engine/sandbox/bson/match-view.js';
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  BsonType,
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
import { hex } from './bson-helpers.js';

const doc = (...entries: [string, BsonValue][]): BsonDoc => new Map(entries);
const oid = new ObjectId('65a1b2c3d4e5f60718293a4b');

const sample = (): BsonDoc =>
  doc(
    ['_id', oid],
    ['d', new Double(1.5)],
    ['i', new Int32(7)],
    ['l', Long.fromBigInt(2n ** 60n)],
    ['dec', Decimal128.fromString('2.5')],
    ['s', 'text'],
    ['sym', new BSONSymbol('sym')],
    ['1', true],
    ['__proto__', doc(['polluted', true])],
    ['arr', [new Int32(1), doc(['x', new Double(2)]), [new Int32(3)]]],
    ['re', new BSONRegExp('^a', 'i')],
    ['rex', new BSONRegExp('a # comment', 'x')],
    ['date', new Date(-1000)],
    ['ts', new Timestamp({ t: 5, i: 1 })],
    ['bin', new Binary(hex('0102'), 4)],
    ['min', new MinKey()],
    ['max', new MaxKey()],
    ['raw', new RawDocument(encodeDocument(doc(['y', new Int32(9)])))],
    ['undef', new RawValue(BsonType.undefined, Buffer.alloc(0))],
    ['nan', new RawValue(BsonType.double, hex('010000000000f07f'))],
    ['nil', null],
  );

describe('toMatchValue', () => {
  it('unwraps numbers, symbols and regexes and turns documents into objects', () => {
    const view = toMatchDocument(sample());
    expect(view.d).toBe(1.5);
    expect(view.i).toBe(7);
    expect(view.l).toBe(2 ** 60);
    expect(view.dec).toBe(2.5);
    expect(view.sym).toBe('sym');
    expect(view.re).toEqual(/^a/i);
    expect(view.rex).toBeInstanceOf(BSONRegExp);
    expect(view.arr).toEqual([1, { x: 2 }, [3]]);
    expect(view.raw).toEqual({ y: 9 });
    expect(view.nan).toBeNaN();
    expect(view._id).toBe(oid);
    expect(view.ts).toBeInstanceOf(Timestamp);
    expect(view.nil).toBeNull();
  });

  it('keeps "__proto__" an own field without touching the prototype', () => {
    const view = toMatchDocument(sample());
    expect(Object.getPrototypeOf(view)).toBe(Object.prototype);
    expect(Object.keys(view)).toContain('__proto__');
    expect(Object.getOwnPropertyDescriptor(view, '__proto__')?.value).toEqual({ polluted: true });
    expect((view as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('turns a Timestamp into no number even though js-bson derives it from Long', () => {
    expect(toMatchValue(new Timestamp({ t: 1, i: 2 }))).toBeInstanceOf(Timestamp);
  });

  it('lets mingo match across number types and on BSON objects', () => {
    const view = toMatchDocument(sample());
    expect(new Query({ i: 7, d: { $gt: 1 }, l: { $gte: 2 ** 60 } }).test(view)).toBe(true);
    expect(new Query({ _id: new ObjectId(oid.toHexString()) }).test(view)).toBe(true);
    expect(new Query({ 'arr.x': 2 }).test(view)).toBe(true);
    expect(new Query({ s: /^te/ }).test(view)).toBe(true);
    expect(new Query({ i: 8 }).test(view)).toBe(false);
  });
});

describe('fromMatchValue', () => {
  it('maps plain values to BSON types', () => {
    expect(fromMatchValue(5)).toEqual(new Int32(5));
    expect(fromMatchValue(2 ** 31)).toEqual(new Double(2 ** 31));
    expect(fromMatchValue(1.5)).toEqual(new Double(1.5));
    expect(Object.is((fromMatchValue(-0) as Double).value, -0)).toBe(true);
    expect(fromMatchValue(2n ** 40n)).toEqual(Long.fromBigInt(2n ** 40n));
    expect(fromMatchValue(/a.b/gim)).toEqual(new BSONRegExp('a.b', 'im'));
    expect(fromMatchValue(undefined)).toBeNull();
    const out = fromMatchValue({ a: 1, b: [2.5, { c: 'x' }] });
    expect(out).toEqual(doc(['a', new Int32(1)], ['b', [new Double(2.5), doc(['c', 'x'])]]));
  });

  it('round-trips the typed view exactly when mingo changed nothing', () => {
    const original = sample();
    const back = fromMatchValue(toMatchDocument(original), original);
    expect(back).toBe(original);
  });

  it('keeps the types of untouched fields and the order of integer-like names', () => {
    const original = sample();
    const view = toMatchDocument(original);
    view.i = 8;
    view.added = 1;
    const back = fromMatchValue(view, original) as BsonDoc;
    expect([...back.keys()]).toEqual([...original.keys(), 'added']);
    expect(back.get('i')).toEqual(new Int32(8));
    for (const name of ['d', 'l', 'dec', 'sym', 're', 'rex', 'ts', 'raw', 'undef', 'nan', '__proto__', 'arr', 'date']) {
      expect(back.get(name), name).toBe(original.get(name));
    }
  });

  it('restores per index inside arrays and per field inside documents', () => {
    const original = doc(['a', [new Double(1), Long.fromBigInt(2n), doc(['x', new Double(3)], ['y', new Int32(4)])]]);
    const back = fromMatchValue({ a: [1, 5, { x: 3, y: 6 }] }, original) as BsonDoc;
    const a = back.get('a') as BsonValue[];
    expect(a[0]).toBe((original.get('a') as BsonValue[])[0]);
    expect(a[1]).toEqual(new Int32(5));
    expect(a[2]).toEqual(doc(['x', new Double(3)], ['y', new Int32(6)]));
    expect((a[2] as BsonDoc).get('x')).toBe(((original.get('a') as BsonValue[])[2] as BsonDoc).get('x'));
  });

  it('brings back aggregation output with the original types', () => {
    const original = sample();
    const [out] = new Aggregator([{ $project: { d: 1, l: 1, sym: 1, twice: { $multiply: ['$i', 2] } } }]).run([
      toMatchDocument(original),
    ]);
    const back = fromMatchValue(out, original) as BsonDoc;
    expect(back.get('_id')).toBe(oid);
    expect(back.get('d')).toBe(original.get('d'));
    expect(back.get('l')).toBe(original.get('l'));
    expect(back.get('sym')).toBe(original.get('sym'));
    expect(back.get('twice')).toEqual(new Int32(14));
  });

  it('does not restore -0 for a computed 0', () => {
    const original = doc(['z', new Double(-0)]);
    expect(fromMatchValue({ z: 0 }, original)).toEqual(doc(['z', new Int32(0)]));
  });
});
