import { BSON, Decimal128, Double, Int32, Long, Timestamp, type Binary } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { decodeOrdered, unsupportedTypesIn, type LossyValue } from '../../engine/core/bson/ordered.js';
import { FerryError } from '../../engine/core/errors.js';
import { binary, cstring, document, double, element, hex, int32, int64, string } from './bson-helpers.js';

const OID = hex('65a1b2c3d4e5f60718293a4b');

function writtenBack(raw: Buffer, onLossy?: (kind: LossyValue) => void): string {
  return Buffer.from(BSON.serialize(decodeOrdered(raw, onLossy))).toString('hex');
}

const exact: Record<string, Buffer> = {
  'doubles, including -0.0, NaN and infinities': Buffer.concat([
    element(0x01, 'a', double(1.5)),
    element(0x01, 'b', hex('0000000000000080')),
    element(0x01, 'c', hex('000000000000f87f')),
    element(0x01, 'd', hex('000000000000f8ff')),
    element(0x01, 'e', hex('010000000000f07f')),
    element(0x01, 'f', double(Infinity)),
    element(0x01, 'g', double(-Infinity)),
    element(0x01, 'h', double(3)),
  ]),
  'strings, empty and multi-byte': Buffer.concat([
    element(0x02, 'a', string('')),
    element(0x02, 'b', string('naïve café — 東京 🚢')),
    element(0x02, 'c', string('x'.repeat(1000))),
  ]),
  'nested documents and arrays': element(
    0x03,
    'outer',
    document(
      element(0x04, 'list', document(element(0x10, '0', int32(1)), element(0x03, '1', document()))),
      element(0x03, 'empty', document()),
    ),
  ),
  'every binary subtype': Buffer.concat(
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0xff].map((subtype) =>
      element(
        0x05,
        `s${subtype}`,
        binary(
          subtype,
          subtype === 2 ? Buffer.concat([int32(3), hex('010203')]) : hex('00112233445566778899aabbccddeeff'),
        ),
      ),
    ),
  ),
  'an empty binary': element(0x05, 'x', binary(0, Buffer.alloc(0))),
  'a vector binary (subtype 9)': element(0x05, 'x', binary(9, hex('030001ff'))),
  'an ObjectId': element(0x07, 'x', OID),
  booleans: Buffer.concat([element(0x08, 't', hex('01')), element(0x08, 'f', hex('00'))]),
  'dates before and after 1970, and the limits of a JS Date': Buffer.concat([
    element(0x09, 'a', int64(-1n)),
    element(0x09, 'b', int64(-2_208_988_800_000n)),
    element(0x09, 'c', int64(1_700_000_000_123n)),
    element(0x09, 'd', int64(8_640_000_000_000_000n)),
    element(0x09, 'e', int64(-8_640_000_000_000_000n)),
  ]),
  null: element(0x0a, 'x'),
  'a regex with sorted options': element(0x0b, 'x', Buffer.concat([cstring('^a.*b$'), cstring('imsx')])),
  'JavaScript code': element(0x0d, 'x', string('function () { return 1; }')),
  'a symbol': element(0x0e, 'x', string('sym')),
  'code with scope': element(
    0x0f,
    'x',
    (() => {
      const body = Buffer.concat([string('return y'), document(element(0x10, 'y', int32(7)))]);
      return Buffer.concat([int32(body.length + 4), body]);
    })(),
  ),
  'Int32 at its limits': Buffer.concat([
    element(0x10, 'a', int32(2147483647)),
    element(0x10, 'b', int32(-2147483648)),
    element(0x10, 'c', int32(0)),
  ]),
  'timestamps, including the largest': Buffer.concat([
    element(0x11, 'a', Buffer.concat([int32(5), int32(1_700_000_000)])),
    element(0x11, 'b', hex('ffffffffffffffff')),
  ]),
  'Int64 beyond 2^53': Buffer.concat([
    element(0x12, 'a', int64(9_007_199_254_740_993n)),
    element(0x12, 'b', int64(-9_223_372_036_854_775_808n)),
    element(0x12, 'c', int64(1n)),
  ]),
  'Decimal128 values': Buffer.concat([
    element(0x13, 'a', Buffer.from(Decimal128.fromString('1.10').bytes)),
    element(0x13, 'b', Buffer.from(Decimal128.fromString('-0').bytes)),
    element(0x13, 'c', Buffer.from(Decimal128.fromString('NaN').bytes)),
    element(0x13, 'd', Buffer.from(Decimal128.fromString('9.999999999999999999999999999999999E+6144').bytes)),
  ]),
  'MinKey and MaxKey': Buffer.concat([element(0xff, 'lo'), element(0x7f, 'hi')]),
  'integer-like field names after others, which plain objects would reorder': Buffer.concat([
    element(0x10, 'b', int32(1)),
    element(0x10, '1', int32(2)),
    element(0x10, 'a', int32(3)),
    element(0x10, '0', int32(4)),
  ]),
  'field names with dots, dollars and non-ASCII letters': Buffer.concat([
    element(0x10, 'a.b', int32(1)),
    element(0x10, '$price', int32(2)),
    element(0x10, 'größe', int32(3)),
    element(0x10, '', int32(4)),
  ]),
};

describe('decodeOrdered', () => {
  for (const [name, elements] of Object.entries(exact)) {
    it(`writes back ${name} byte for byte`, () => {
      const raw = document(elements);
      expect(writtenBack(raw)).toBe(raw.toString('hex'));
      expect(unsupportedTypesIn(raw)).toEqual([]);
    });
  }

  it('keeps numbers wrapped in their BSON classes', () => {
    const doc = decodeOrdered(
      document(
        element(0x01, 'd', double(3)),
        element(0x10, 'i', int32(3)),
        element(0x12, 'l', int64(3n)),
        element(0x11, 't', Buffer.concat([int32(2), int32(9)])),
      ),
    );
    expect(doc.get('d')).toBeInstanceOf(Double);
    expect(doc.get('i')).toBeInstanceOf(Int32);
    expect(doc.get('l')).toBeInstanceOf(Long);
    expect(doc.get('t')).toEqual(new Timestamp({ t: 9, i: 2 }));
  });

  it('keeps field order, integer-like names included', () => {
    const doc = decodeOrdered(
      document(element(0x0a, 'z'), element(0x0a, '2'), element(0x0a, '10'), element(0x0a, 'a')),
    );
    expect([...doc.keys()]).toEqual(['z', '2', '10', 'a']);
  });

  it('decodes nested documents as Maps and arrays as arrays', () => {
    const doc = decodeOrdered(
      document(element(0x03, 'n', document(element(0x04, 'a', document(element(0x02, '0', string('x'))))))),
    );
    const nested = doc.get('n');
    expect(nested).toBeInstanceOf(Map);
    expect((nested as Map<string, unknown>).get('a')).toEqual(['x']);
  });

  it('does not keep the input buffer alive through binaries and decimals', () => {
    const raw = document(element(0x05, 'b', binary(0, hex('0102'))), element(0x13, 'd', Buffer.alloc(16)));
    const doc = decodeOrdered(raw);
    raw.fill(0xee);
    expect(Buffer.from((doc.get('b') as Binary).buffer).toString('hex')).toBe('0102');
    expect(Buffer.from((doc.get('d') as Decimal128).bytes).toString('hex')).toBe('00'.repeat(16));
  });

  it('accepts a plain Uint8Array', () => {
    const raw = document(element(0x10, 'x', int32(5)));
    const copy = new Uint8Array(raw.length + 3).subarray(3);
    copy.set(raw);
    expect(decodeOrdered(copy).get('x')).toEqual(new Int32(5));
  });

  it('refuses malformed BSON with a FerryError', () => {
    const truncated = document(element(0x02, 'x', string('hello'))).subarray(0, 12);
    expect(() => decodeOrdered(truncated)).toThrow(FerryError);
    const badType = document(element(0x42, 'x'));
    expect(() => decodeOrdered(badType)).toThrow(/unknown type 0x42/);
    const badString = document(element(0x02, 'x', Buffer.concat([int32(100), cstring('a')])));
    expect(() => decodeOrdered(badString)).toThrow(/bad string size/);
  });
});

const lossy: Record<LossyValue, Buffer> = {
  undefined: element(0x06, 'x'),
  dbPointer: element(0x0c, 'x', Buffer.concat([string('db.coll'), OID])),
  dateOutOfRange: element(0x09, 'x', int64(8_640_000_000_000_001n)),
  regexOptions: element(0x0b, 'x', Buffer.concat([cstring('a'), cstring('si')])),
  oldBinaryLength: element(0x05, 'x', binary(2, Buffer.concat([int32(9), hex('0102')]))),
  invalidUtf8: element(0x02, 'x', Buffer.concat([int32(3), hex('c328'), Buffer.from([0])])),
  arrayKeys: element(0x04, 'x', document(element(0x10, '1', int32(1)), element(0x10, '0', int32(2)))),
  duplicateFieldName: Buffer.concat([element(0x10, 'x', int32(1)), element(0x10, 'x', int32(2))]),
};

describe('values the driver cannot write back unchanged', () => {
  for (const [kind, elements] of Object.entries(lossy)) {
    it(`reports ${kind}, and refuses it unless the caller accepts the conversion`, () => {
      const raw = document(element(0x10, 'before', int32(1)), elements);
      expect(unsupportedTypesIn(raw)).toEqual([kind]);
      expect(() => decodeOrdered(raw)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_BSON_VALUE' }));
      const seen: string[] = [];
      const doc = decodeOrdered(raw, (found) => seen.push(found));
      expect(new Set(seen)).toEqual(new Set([kind]));
      expect([...doc.keys()]).toEqual(['before', 'x']);
      expect(writtenBack(raw, () => undefined)).not.toBe(raw.toString('hex'));
    });
  }

  it('writes undefined back as null and a DBPointer as {$ref, $id}', () => {
    const raw = document(lossy.undefined, element(0x0c, 'p', Buffer.concat([string('db.coll'), OID])));
    const doc = decodeOrdered(raw, () => undefined);
    expect(doc.get('x')).toBeNull();
    const pointer = doc.get('p') as Map<string, unknown>;
    expect([...pointer.keys()]).toEqual(['$ref', '$id']);
    expect(pointer.get('$ref')).toBe('db.coll');
  });

  it('reports each kind once, in order of first appearance, from nested values too', () => {
    const raw = document(
      element(0x03, 'a', document(element(0x06, 'u'), element(0x06, 'v'))),
      element(0x04, 'b', document(element(0x0c, '0', Buffer.concat([string('d.c'), OID])))),
    );
    expect(unsupportedTypesIn(raw)).toEqual(['undefined', 'dbPointer']);
  });
});
