import { describe, expect, it } from 'vitest';
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
} from '../../engine/sandbox/bson/values.js';
import { binary, cstring, document, double, element, hex, int32, int64, string } from './bson-helpers.js';

const T = BsonType;
const OID = hex('65a1b2c3d4e5f60718293a4b');

function roundTrip(buf: Buffer): void {
  expect(encodeDocument(decodeDocument(buf)).toString('hex')).toBe(buf.toString('hex'));
}

const cases: Record<string, Buffer> = {
  'double 1.5': element(T.double, 'x', double(1.5)),
  'double -0.0': element(T.double, 'x', hex('0000000000000080')),
  'double canonical NaN': element(T.double, 'x', hex('000000000000f87f')),
  'double NaN with payload': element(T.double, 'x', hex('010000000000f07f')),
  'double negative NaN': element(T.double, 'x', hex('000000000000f8ff')),
  'double infinities': Buffer.concat([
    element(T.double, 'a', double(Infinity)),
    element(T.double, 'b', double(-Infinity)),
  ]),
  'double subnormal': element(T.double, 'x', hex('0100000000000000')),
  'string unicode and NUL': Buffer.concat([
    element(T.string, 'a', string('héllo €𝄞')),
    element(T.string, 'b', string('a\0b')),
  ]),
  'empty string': element(T.string, 'x', string('')),
  'embedded document': element(T.object, 'x', document(element(T.int, 'y', int32(1)))),
  'empty document': element(T.object, 'x', document()),
  'nested arrays': element(
    T.array,
    'x',
    document(
      element(
        T.array,
        '0',
        document(element(T.int, '0', int32(1)), element(T.array, '1', document(element(T.int, '0', int32(2))))),
      ),
      element(T.array, '1', document()),
      element(T.object, '2', document()),
    ),
  ),
  undefined: element(T.undefined, 'x'),
  objectId: element(T.objectId, 'x', OID),
  booleans: Buffer.concat([element(T.bool, 't', Buffer.from([1])), element(T.bool, 'f', Buffer.from([0]))]),
  'dates around the epoch': Buffer.concat([
    element(T.date, 'a', int64(0n)),
    element(T.date, 'b', int64(-1n)),
    element(T.date, 'c', int64(-2208988800000n)),
    element(T.date, 'd', int64(1700000000123n)),
  ]),
  'dates out of JS range': Buffer.concat([
    element(T.date, 'a', int64(9223372036854775807n)),
    element(T.date, 'b', int64(-9223372036854775808n)),
    element(T.date, 'c', int64(8640000000000001n)),
  ]),
  null: element(T.null, 'x'),
  'regex sorted options': element(T.regex, 'x', Buffer.concat([cstring('^a.*b$'), cstring('imsx')])),
  'regex unsorted options': element(T.regex, 'x', Buffer.concat([cstring('a'), cstring('xi')])),
  'regex options unknown to js-bson': element(T.regex, 'x', Buffer.concat([cstring('a'), cstring('ag')])),
  'regex empty': element(T.regex, 'x', Buffer.concat([cstring(''), cstring('')])),
  dbPointer: element(T.dbPointer, 'x', Buffer.concat([string('db.coll'), OID])),
  javascript: element(T.javascript, 'x', string('function () { return 1; }')),
  symbol: element(T.symbol, 'x', string('sym')),
  'code with scope': element(
    T.javascriptWithScope,
    'x',
    (() => {
      const body = Buffer.concat([string('return x'), document(element(T.int, 'x', int32(7)))]);
      return Buffer.concat([int32(body.length + 4), body]);
    })(),
  ),
  'int32 extremes': Buffer.concat([element(T.int, 'a', int32(-2147483648)), element(T.int, 'b', int32(2147483647))]),
  'timestamp extremes': Buffer.concat([
    element(T.timestamp, 'a', hex('ffffffffffffffff')),
    element(T.timestamp, 'b', hex('0100000002000000')),
  ]),
  'long extremes': Buffer.concat([
    element(T.long, 'a', int64(-9223372036854775808n)),
    element(T.long, 'b', int64(9223372036854775807n)),
    element(T.long, 'c', int64(-1n)),
  ]),
  'decimal128 values': Buffer.concat([
    element(T.decimal, 'a', Buffer.from(Decimal128.fromString('1.5').bytes)),
    element(T.decimal, 'b', Buffer.from(Decimal128.fromString('-0').bytes)),
    element(T.decimal, 'c', Buffer.from(Decimal128.fromString('NaN').bytes)),
    element(T.decimal, 'd', Buffer.from(Decimal128.fromString('-Infinity').bytes)),
    element(T.decimal, 'e', Buffer.from(Decimal128.fromString('1E+6144').bytes)),
    element(T.decimal, 'f', hex('0123456789abcdef0123456789abcdef')),
  ]),
  'minKey and maxKey': Buffer.concat([element(T.minKey, 'a'), element(T.maxKey, 'b')]),
  'odd field names': Buffer.concat([
    element(T.int, 'b', int32(1)),
    element(T.int, '1', int32(2)),
    element(T.int, '__proto__', int32(3)),
    element(T.int, '', int32(4)),
    element(T.int, 'a.b', int32(5)),
    element(T.int, '$x', int32(6)),
    element(T.int, 'ключ', int32(7)),
    element(T.int, '0', int32(8)),
  ]),
};

for (const subtype of [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x80]) {
  const data = subtype === 2 ? Buffer.concat([int32(3), hex('aabbcc')]) : hex('00112233445566778899aabbccddeeff');
  cases[`binary subtype 0x${subtype.toString(16)}`] = element(T.binData, 'x', binary(subtype, data));
}
cases['binary empty'] = element(T.binData, 'x', binary(0, Buffer.alloc(0)));
cases['binary subtype 2 with a wrong inner length'] = element(
  T.binData,
  'x',
  binary(2, Buffer.concat([int32(9), hex('aa')])),
);

describe('BSON codec round trip', () => {
  for (const [name, elements] of Object.entries(cases)) {
    it(`keeps ${name} byte for byte`, () => roundTrip(document(elements)));
  }

  it('keeps every case together in one document', () => {
    roundTrip(document(...Object.entries(cases).map(([name, bytes]) => element(T.object, name, document(bytes)))));
  });
});

describe('BSON decoding into the typed view', () => {
  const decodeOne = (bytes: Buffer): unknown => decodeDocument(document(bytes)).get('x');

  it('keeps number types apart', () => {
    const doc = decodeDocument(
      document(element(T.double, 'd', double(1)), element(T.int, 'i', int32(1)), element(T.long, 'l', int64(1n))),
    );
    expect(doc.get('d')).toBeInstanceOf(Double);
    expect(doc.get('i')).toBeInstanceOf(Int32);
    expect(doc.get('l')).toBeInstanceOf(Long);
  });

  it('keeps the field order, integer-like names included', () => {
    expect([...decodeDocument(document(cases['odd field names'])).keys()]).toEqual([
      'b',
      '1',
      '__proto__',
      '',
      'a.b',
      '$x',
      'ключ',
      '0',
    ]);
  });

  it('treats "__proto__" as a plain field', () => {
    const doc = decodeDocument(document(cases['odd field names']));
    expect(doc.get('__proto__')).toEqual(new Int32(3));
  });

  it('uses the classes for common types', () => {
    expect(decodeOne(cases['objectId'])).toBeInstanceOf(ObjectId);
    expect(decodeOne(cases['symbol'])).toBeInstanceOf(BSONSymbol);
    expect(decodeOne(cases['javascript'])).toBeInstanceOf(Code);
    expect(decodeOne(cases['regex sorted options'])).toBeInstanceOf(BSONRegExp);
    expect(decodeOne(cases['binary subtype 0x4'])).toBeInstanceOf(Binary);
    expect(decodeOne(element(T.timestamp, 'x', hex('0100000002000000')))).toEqual(new Timestamp({ t: 2, i: 1 }));
    expect(decodeDocument(document(cases['minKey and maxKey'])).get('a')).toBeInstanceOf(MinKey);
    expect(decodeDocument(document(cases['minKey and maxKey'])).get('b')).toBeInstanceOf(MaxKey);
    expect(decodeOne(element(T.date, 'x', int64(-86400000n)))).toEqual(new Date(-86400000));
  });

  it('keeps types js-bson cannot round-trip as raw bytes', () => {
    for (const name of ['undefined', 'dbPointer', 'code with scope', 'double NaN with payload', 'binary subtype 0x2']) {
      expect(decodeOne(cases[name]), name).toBeInstanceOf(RawValue);
    }
    expect(decodeOne(cases['regex unsorted options'])).toBeInstanceOf(RawValue);
    expect(decodeDocument(document(cases['dates out of JS range'])).get('a')).toBeInstanceOf(RawValue);
  });

  it('embeds a RawDocument verbatim', () => {
    const inner = document(element(T.int, 'b', int32(1)), element(T.undefined, 'c'));
    const encoded = encodeDocument(new Map([['a', new RawDocument(inner)]]));
    expect(encoded.toString('hex')).toBe(document(element(T.object, 'a', inner)).toString('hex'));
  });
});
