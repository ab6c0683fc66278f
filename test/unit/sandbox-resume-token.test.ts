import { describe, expect, it } from 'vitest';
import { compareValues } from '../../engine/sandbox/bson/compare.js';
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  type BsonDoc,
  type BsonValue,
} from '../../engine/sandbox/bson/values.js';
import {
  compareResumeTokens,
  eventToken,
  highWaterMarkToken,
  parseResumeToken,
  type ResumeToken,
} from '../../engine/sandbox/changestream/resume-token.js';
import { CommandError } from '../../engine/sandbox/errors.js';

const doc = (...entries: [string, BsonValue][]): BsonDoc => new Map(entries);
const uuid = (hex: string): Binary => new Binary(Buffer.from(hex, 'hex'), Binary.SUBTYPE_UUID);
const UUID_A = uuid('cdffc2d506504f98b11edbf328641438');
const UUID_B = uuid('d802a00ab9e24901a92c71e85cc9ed82');

function insertToken(clusterTime: Timestamp, id: BsonValue, options: { txnOpIndex?: number; uuid?: Binary } = {}) {
  return eventToken({
    clusterTime,
    txnOpIndex: options.txnOpIndex ?? 0,
    uuid: options.uuid ?? UUID_A,
    eventIdentifier: doc(['operationType', 'insert'], ['documentKey', doc(['_id', id])]),
  });
}

const hexOf = (token: ResumeToken): string => String(token.document.get('_data'));
const sign = (n: number): number => Math.sign(n);

function expectCode(run: () => unknown, code: number): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).code).toBe(code);
    return;
  }
  throw new Error(`expected error ${code}`);
}

describe('resume token layout', () => {
  it('encodes an insert event exactly as mongod 8.0 does', () => {
    // A token mongod 8.0 produced for an insert with an ObjectId _id.
    const token = insertToken(new Timestamp({ t: 0x66b518c6, i: 1 }), new ObjectId('66b518c657c4c7204e91e80f'));
    expect(hexOf(token)).toBe(
      '8266B518C6000000012B042C0100296E5A1004CDFFC2D506504F98B11EDBF328641438463C6F7065726174696F6E54797065003C696E736572740046646F63756D656E744B65790046645F6964006466B518C657C4C7204E91E80F000004',
    );
    expect(token.document.has('_typeBits')).toBe(false);
  });

  it('encodes a string _id exactly as mongod 8.0 does', () => {
    const token = eventToken({
      clusterTime: new Timestamp({ t: 0x65580539, i: 1 }),
      txnOpIndex: 0,
      uuid: uuid('a7f55a5b35bd4c7db2cd56c6cfea9c49'),
      eventIdentifier: doc(['operationType', 'update'], ['documentKey', doc(['_id', 'beer'])]),
    });
    expect(hexOf(token)).toBe(
      '8265580539000000012B042C0100296E5A1004A7F55A5B35BD4C7DB2CD56C6CFEA9C49463C6F7065726174696F6E54797065003C7570646174650046646F63756D656E744B657900463C5F6964003C6265657200000004',
    );
  });

  it('encodes a high-water mark as cluster time, version 2, type 0 and a null UUID', () => {
    expect(hexOf(highWaterMarkToken(new Timestamp({ t: 0x65a0f4a3, i: 1 })))).toBe('8265A0F4A3000000012B0429296E1404');
  });

  it('starts with 0x82 and the big-endian cluster time', () => {
    const key = insertToken(new Timestamp({ t: 1_700_000_000, i: 77 }), new Int32(1)).key;
    expect(key[0]).toBe(0x82);
    expect(key.readUInt32BE(1)).toBe(1_700_000_000);
    expect(key.readUInt32BE(5)).toBe(77);
  });

  it('reports type bits when a number in the document key is not an int', () => {
    const token = insertToken(new Timestamp({ t: 1, i: 1 }), new Double(1.5));
    expect(token.document.get('_typeBits')).toBeInstanceOf(Binary);
    expect(insertToken(new Timestamp({ t: 1, i: 1 }), new Int32(2)).document.has('_typeBits')).toBe(false);
  });
});

describe('resume token order', () => {
  it('orders by cluster time, then high-water mark before events, then transaction position', () => {
    const t1 = new Timestamp({ t: 100, i: 1 });
    const t2 = new Timestamp({ t: 100, i: 2 });
    const t3 = new Timestamp({ t: 101, i: 1 });
    const ordered = [
      highWaterMarkToken(t1),
      insertToken(t1, new Int32(9)),
      insertToken(t1, new Int32(1), { txnOpIndex: 1 }),
      insertToken(t1, new Int32(1), { txnOpIndex: 300 }),
      highWaterMarkToken(t2),
      insertToken(t2, new Int32(1)),
      insertToken(t2, new Int32(1), { uuid: UUID_B }),
      highWaterMarkToken(t3),
    ];
    const shuffled = [...ordered].reverse().sort(compareResumeTokens);
    expect(shuffled.map(hexOf)).toEqual(ordered.map(hexOf));
  });

  it('puts an invalidate right after the event that caused it', () => {
    const identifier = doc(['operationType', 'drop']);
    const clusterTime = new Timestamp({ t: 5, i: 5 });
    const drop = eventToken({ clusterTime, txnOpIndex: 0, uuid: UUID_A, eventIdentifier: identifier });
    const invalidate = eventToken({
      clusterTime,
      txnOpIndex: 0,
      uuid: UUID_A,
      eventIdentifier: identifier,
      fromInvalidate: true,
    });
    const next = highWaterMarkToken(new Timestamp({ t: 5, i: 6 }));
    expect(compareResumeTokens(drop, invalidate)).toBeLessThan(0);
    expect(compareResumeTokens(invalidate, next)).toBeLessThan(0);
  });

  it('orders document keys as MongoDB compares the values', () => {
    const values: BsonValue[] = [
      new MinKey(),
      null,
      new Double(-Infinity),
      new Double(-1e300),
      Long.fromBigInt(-(2n ** 63n)),
      new Double(-12345.678),
      new Int32(-300),
      new Int32(-1),
      new Double(-0.25),
      new Double(-1e-310),
      new Int32(0),
      new Double(1e-310),
      new Double(0.1),
      new Int32(1),
      new Double(1.5),
      new Int32(255),
      new Double(255.5),
      new Int32(256),
      Long.fromNumber(2 ** 40),
      new Double(2 ** 53 + 2),
      Long.fromBigInt(2n ** 63n - 1n),
      new Double(1e300),
      new Double(Infinity),
      '',
      'a',
      'a\u0000',
      'a\u0000b',
      'ab',
      'é',
      doc(),
      doc(['a', new Int32(1)]),
      doc(['a', new Int32(2)]),
      doc(['b', new Int32(1)]),
      [],
      [new Int32(1)],
      [new Int32(1), new Int32(2)],
      new Binary(Buffer.from([1, 2]), 0),
      new Binary(Buffer.from([1, 2, 3]), 0),
      new ObjectId('000000000000000000000001'),
      new ObjectId('ffffffffffffffffffffffff'),
      false,
      true,
      new Date(-1000),
      new Date(0),
      new Date(1000),
      new Timestamp({ t: 1, i: 2 }),
      new Timestamp({ t: 2, i: 1 }),
      new BSONRegExp('a', 'i'),
      new BSONRegExp('b', ''),
      new Code('x'),
      new MaxKey(),
    ];
    const clusterTime = new Timestamp({ t: 9, i: 9 });
    const tokens = values.map((value) => insertToken(clusterTime, value));
    for (let i = 0; i < values.length; i++)
      for (let j = 0; j < values.length; j++)
        expect([i, j, sign(compareResumeTokens(tokens[i], tokens[j]))]).toEqual([
          i,
          j,
          sign(compareValues(values[i], values[j])),
        ]);
  });

  it('treats numbers of different types but equal value as the same key', () => {
    const clusterTime = new Timestamp({ t: 9, i: 9 });
    const keys = [new Int32(7), Long.fromNumber(7), new Double(7), Decimal128.fromString('7')].map(
      (value) => insertToken(clusterTime, value).key,
    );
    for (const key of keys) expect(key.equals(keys[0])).toBe(true);
  });

  it('orders symbols with the strings they spell', () => {
    const clusterTime = new Timestamp({ t: 9, i: 9 });
    const symbol = insertToken(clusterTime, new BSONSymbol('abc'));
    const string = insertToken(clusterTime, 'abc');
    expect(compareResumeTokens(symbol, string)).toBe(0);
  });
});

describe('reading resume tokens', () => {
  it('reads back every field of its own tokens', () => {
    const clusterTime = new Timestamp({ t: 1_700_000_123, i: 4 });
    const token = eventToken({
      clusterTime,
      txnOpIndex: 3,
      uuid: UUID_B,
      eventIdentifier: doc(['operationType', 'drop']),
      fromInvalidate: true,
    });
    const read = parseResumeToken(token.document);
    expect(read.clusterTime.equals(clusterTime)).toBe(true);
    expect(read.version).toBe(2);
    expect(read.tokenType).toBe(128);
    expect(read.txnOpIndex).toBe(3);
    expect(read.fromInvalidate).toBe(true);
    expect(Buffer.from(read.uuid?.buffer ?? []).toString('hex')).toBe('d802a00ab9e24901a92c71e85cc9ed82');
    expect(read.key.equals(token.key)).toBe(true);
  });

  it('reads high-water marks and tokens in lower case hex', () => {
    const token = highWaterMarkToken(new Timestamp({ t: 42, i: 1 }));
    const read = parseResumeToken(doc(['_data', hexOf(token).toLowerCase()]));
    expect(read.tokenType).toBe(0);
    expect(read.uuid).toBeUndefined();
    expect(compareResumeTokens(read, token)).toBe(0);
  });

  it('rejects a token whose _data is not a string', () => {
    expectCode(() => parseResumeToken(doc(['_data', new Int32(1)])), 40647);
  });

  it('rejects a token that is not hex', () => {
    expectCode(() => parseResumeToken(doc(['_data', 'xyz'])), 9);
  });

  it('rejects an empty or truncated token', () => {
    expectCode(() => parseResumeToken(doc(['_data', ''])), 40649);
    const hex = hexOf(insertToken(new Timestamp({ t: 1, i: 1 }), new Int32(1)));
    expect(() => parseResumeToken(doc(['_data', hex.slice(0, 30)]))).toThrow(CommandError);
  });
});
