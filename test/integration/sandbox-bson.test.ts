import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Binary,
  BSON,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  type Filter,
  UUID,
  Int32,
  Long,
  MaxKey,
  MinKey,
  MongoClient,
  ObjectId,
  Timestamp,
} from 'mongodb';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';
import { RawConnection, opMsg } from '../support/raw-wire.js';

let server: ServerUnderTest;
let client: MongoClient;
/** Documents whose _id may be of any BSON type. */
type IdValue =
  | string
  | number
  | boolean
  | Date
  | Double
  | Int32
  | Long
  | Decimal128
  | ObjectId
  | Binary
  | Timestamp
  | MinKey
  | MaxKey
  | { [field: string]: unknown };
type AnyIdDocument = { _id: IdValue; [field: string]: unknown };
const byId = (id: unknown): Filter<AnyIdDocument> => ({ _id: id }) as Filter<AnyIdDocument>;
const dbName = uniqueDbName('bson');

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri).connect();
});

afterAll(async () => {
  await client?.db(dbName).dropDatabase();
  await client?.close();
  await server?.stop();
});

/** One BSON element built by hand: type byte, name, value bytes. */
function element(type: number, name: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), Buffer.from(`${name}\0`), value]);
}
function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  return b;
}
function string(value: string): Buffer {
  const bytes = Buffer.from(`${value}\0`);
  return Buffer.concat([int32(bytes.length), bytes]);
}
function documentOf(...elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  return Buffer.concat([int32(body.length + 5), body, Buffer.from([0])]);
}
function double(bytesHex: string): Buffer {
  return Buffer.from(bytesHex, 'hex');
}
function int64(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(value, 0);
  return b;
}

/** A document holding every BSON type, including the deprecated ones no driver can write. */
function everyTypeDocument(id: number): Buffer {
  const oid = Buffer.from('65a1b2c3d4e5f60718293a4b', 'hex');
  const binary = (subtype: number, data: Buffer): Buffer =>
    Buffer.concat([int32(data.length), Buffer.from([subtype]), data]);
  return documentOf(
    element(0x10, '_id', int32(id)),
    element(0x01, 'double', double('1f85eb51b81e0940')),
    element(0x01, 'negativeZero', double('0000000000000080')),
    element(0x01, 'nan', double('000000000000f87f')),
    element(0x01, 'nanPayload', double('010000000000f07f')),
    element(0x01, 'infinity', double('000000000000f07f')),
    element(0x02, 'string', string('héllo wörld')),
    element(0x03, 'object', documentOf(element(0x10, 'b', int32(1)), element(0x10, '1', int32(2)))),
    element(0x04, 'array', documentOf(element(0x10, '0', int32(1)), element(0x02, '1', string('two')))),
    element(0x05, 'binGeneric', binary(0, Buffer.from([1, 2, 3]))),
    element(0x05, 'binFunction', binary(1, Buffer.from([4]))),
    element(0x05, 'binOld', binary(2, Buffer.concat([int32(2), Buffer.from([9, 9])]))),
    element(0x05, 'binUuidOld', binary(3, Buffer.alloc(16, 7))),
    element(0x05, 'binUuid', binary(4, Buffer.alloc(16, 8))),
    element(0x05, 'binMd5', binary(5, Buffer.alloc(16, 9))),
    element(0x05, 'binEncrypted', binary(6, Buffer.from([1]))),
    element(0x05, 'binColumn', binary(7, Buffer.from([2]))),
    element(0x05, 'binSensitive', binary(8, Buffer.from([3]))),
    element(0x05, 'binUser', binary(0x80, Buffer.from([4, 5]))),
    element(0x06, 'undefined', Buffer.alloc(0)),
    element(0x07, 'objectId', oid),
    element(0x08, 'true', Buffer.from([1])),
    element(0x08, 'false', Buffer.from([0])),
    element(0x09, 'date', int64(1_700_000_000_123n)),
    element(0x09, 'dateBefore1970', int64(-2_208_988_800_000n)),
    element(0x0a, 'null', Buffer.alloc(0)),
    element(0x0b, 'regex', Buffer.from('^a.*b$\0imsx\0')),
    element(0x0c, 'dbPointer', Buffer.concat([string('db.coll'), oid])),
    element(0x0d, 'code', string('function () { return 1; }')),
    element(0x0e, 'symbol', string('sym')),
    element(
      0x0f,
      'codeWithScope',
      (() => {
        const code = string('x + 1');
        const scope = documentOf(element(0x10, 'x', int32(41)));
        return Buffer.concat([int32(4 + code.length + scope.length), code, scope]);
      })(),
    ),
    element(0x10, 'int32', int32(-123)),
    element(0x11, 'timestamp', Buffer.concat([int32(7), int32(1_700_000_000)])),
    element(0x12, 'int64', int64(-(2n ** 62n))),
    element(0x13, 'decimal', Buffer.from('01000000000000000000000000403000', 'hex')),
    element(0xff, 'minKey', Buffer.alloc(0)),
    element(0x7f, 'maxKey', Buffer.alloc(0)),
    element(0x10, 'a1', int32(1)),
    element(0x10, '10', int32(2)),
  );
}

describe('BSON storage', () => {
  it('returns every BSON type byte for byte as it was inserted, deprecated types included', async () => {
    const original = everyTypeDocument(1);
    const connection = await RawConnection.connect(Number(new URL(server.uri).port));
    try {
      const reply = await connection.request(opMsg({ insert: 'everyType', $db: dbName }, { documents: [original] }));
      expect(reply.document.n).toBe(1);
    } finally {
      connection.close();
    }
    const [stored] = await client
      .db(dbName)
      .collection<AnyIdDocument>('everyType')
      .find(byId(1), { raw: true })
      .toArray();
    expect(Buffer.from(stored as unknown as Uint8Array).equals(original)).toBe(true);
  });

  it('keeps the exact bytes of documents written through the driver', async () => {
    const doc = {
      _id: new ObjectId(),
      d: new Double(1),
      i: new Int32(1),
      l: Long.fromNumber(1),
      dec: Decimal128.fromString('1.10'),
      neg0: new Double(-0),
      bin: new Binary(Buffer.from('abc'), 4),
      re: new BSONRegExp('a+', 'i'),
      sym: new BSONSymbol('s'),
      code: new Code('x'),
      ts: new Timestamp({ t: 1, i: 2 }),
      min: new MinKey(),
      max: new MaxKey(),
      nested: { z: 1, a: [1, { b: null }] },
      date: new Date(-1),
    };
    const collection = client.db(dbName).collection('driverTypes');
    await collection.insertOne(doc);
    const [stored] = await collection.find({ _id: doc._id }, { raw: true }).toArray();
    expect(Buffer.from(stored as unknown as Uint8Array).equals(Buffer.from(BSON.serialize(doc)))).toBe(true);
  });

  it('stores _id first, as mongod does, when the client put it elsewhere', async () => {
    const connection = await RawConnection.connect(Number(new URL(server.uri).port));
    try {
      const doc = documentOf(element(0x10, 'a', int32(1)), element(0x10, '_id', int32(5)));
      await connection.request(opMsg({ insert: 'idFirst', $db: dbName }, { documents: [doc] }));
    } finally {
      connection.close();
    }
    const [stored] = await client.db(dbName).collection('idFirst').find().toArray();
    expect(Object.keys(stored)).toEqual(['_id', 'a']);
  });
});

describe('comparison order', () => {
  const ids = [
    new MaxKey(),
    'b',
    { a: 1 },
    new Binary(Buffer.from([1])),
    new ObjectId('65a1b2c3d4e5f60718293a4b'),
    true,
    new Date(0),
    new Timestamp({ t: 1, i: 1 }),
    new Double(2.5),
    Long.fromNumber(3),
    new Int32(1),
    Decimal128.fromString('4'),
    new MinKey(),
    'a',
  ];

  // (null is left out: drivers replace a null _id with a generated ObjectId.)
  it('sorts mixed-type _id values in MongoDB order', async () => {
    const collection = client.db(dbName).collection<AnyIdDocument>('mixedIds');
    await collection.insertMany(ids.map((_id) => ({ _id })));
    const sorted = await collection.find({}, { promoteValues: false }).sort({ _id: 1 }).toArray();
    const kinds = sorted.map(({ _id }): string => {
      const id: unknown = _id;
      if (id instanceof Date) return 'Date';
      if (typeof id === 'object' && id !== null) return '_bsontype' in id ? String(id._bsontype) : 'object';
      return typeof id;
    });
    expect(kinds).toEqual([
      'MinKey',
      'Int32',
      'Double',
      'Long',
      'Decimal128',
      'string',
      'string',
      'object',
      'Binary',
      'ObjectId',
      'boolean',
      'Date',
      'Timestamp',
      'MaxKey',
    ]);
  });

  it('keeps _id range queries within the bound type bracket', async () => {
    const collection = client.db(dbName).collection<AnyIdDocument>('mixedIds');
    const numeric = await collection.find(byId({ $gte: 0, $lt: 100 })).toArray();
    expect(numeric).toHaveLength(4);
    const strings = await collection
      .find(byId({ $gt: '' }))
      .sort({ _id: 1 })
      .toArray();
    expect(strings.map(({ _id }) => _id)).toEqual(['a', 'b']);
  });
});

describe('range queries over non-numeric types', () => {
  it('splits UUID _ids into ranges that cover every document exactly once', async () => {
    const collection = client.db(dbName).collection<AnyIdDocument>('uuids');
    await collection.insertMany(Array.from({ length: 600 }, () => ({ _id: new UUID() })));
    const sorted = (
      await collection
        .find({}, { projection: { _id: 1 } })
        .sort({ _id: 1 })
        .toArray()
    ).map(({ _id }) => _id);
    const bounds = [sorted[0], sorted[150], sorted[300], sorted[450]];
    let covered = 0;
    for (let i = 0; i < bounds.length; i++) {
      const range = i + 1 < bounds.length ? { $gte: bounds[i], $lt: bounds[i + 1] } : { $gte: bounds[i] };
      covered += await collection.countDocuments(byId(range));
    }
    expect(covered).toBe(600);
  });

  it('orders Timestamps by seconds then increment in range queries', async () => {
    const collection = client.db(dbName).collection<{ _id: number; ts: Timestamp }>('timestamps');
    await collection.insertMany([
      { _id: 1, ts: new Timestamp({ t: 2, i: 1 }) },
      { _id: 2, ts: new Timestamp({ t: 10, i: 1 }) },
      { _id: 3, ts: new Timestamp({ t: 100, i: 2 }) },
    ]);
    const later = await collection.find({ ts: { $gt: new Timestamp({ t: 5, i: 0 }) } }).toArray();
    expect(later.map(({ _id }) => _id)).toEqual([2, 3]);
  });
});
