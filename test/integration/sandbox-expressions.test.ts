// Aggregation and query operators whose answers depend on BSON types, through the official driver:
// $type and $isNumber, the $type query operator, $min/$max/$first/$last over values beyond 2^53 and
// across types, $bsonSize, $toString of Long, Decimal128 and ObjectId, and $collStats' storageStats.
import {
  Binary,
  BSON,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  MongoClient,
  ObjectId,
  Timestamp,
  type Db,
  type Document,
} from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';
import { serverError } from '../support/server-error.js';

let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
const dbName = uniqueDbName('expressions');
const exact = { promoteValues: false, promoteLongs: false };
const BIG = 2n ** 60n;

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri).connect();
  db = client.db(dbName);
});

afterAll(async () => {
  await client?.db(dbName).dropDatabase();
  await client?.close();
  await server?.stop();
});

beforeEach(async () => {
  await db.dropDatabase();
});

interface Item {
  _id: unknown;
  [field: string]: unknown;
}

const items = () => db.collection<Item>('items');

/** One value of each BSON type, with the $type alias and $isNumber mongod reports for it. */
const TYPED_VALUES: [unknown, string, boolean][] = [
  [new MinKey(), 'minKey', false],
  [new MaxKey(), 'maxKey', false],
  [new Double(NaN), 'double', true],
  [new Double(2), 'double', true],
  [new Int32(2), 'int', true],
  [Long.fromNumber(2), 'long', true],
  [Decimal128.fromString('3'), 'decimal', true],
  ['s', 'string', false],
  [new BSONSymbol('s'), 'symbol', false],
  [new Binary(Buffer.from([1])), 'binData', false],
  [new ObjectId(), 'objectId', false],
  [true, 'bool', false],
  [new Date(0), 'date', false],
  [null, 'null', false],
  [new BSONRegExp('a', 'i'), 'regex', false],
  [new Code('f'), 'javascript', false],
  [new Code('f', { a: 1 }), 'javascriptWithScope', false],
  [new Timestamp({ t: 1, i: 1 }), 'timestamp', false],
  [{ a: 1 }, 'object', false],
  [[1], 'array', false],
];

async function seedTypedValues(): Promise<void> {
  await items().insertMany(TYPED_VALUES.map(([v], i) => ({ _id: i, v })));
}

describe('$type and $isNumber', () => {
  it('name the BSON type of every stored value as mongod does', async () => {
    await seedTypedValues();
    const out = await items()
      .aggregate([{ $sort: { _id: 1 } }, { $project: { _id: 0, t: { $type: '$v' }, n: { $isNumber: '$v' } } }])
      .toArray();
    expect(out).toEqual(TYPED_VALUES.map(([, t, n]) => ({ t, n })));
  });

  it('report a missing field as missing and not a number', async () => {
    await items().insertOne({ _id: 1 });
    const [out] = await items()
      .aggregate([{ $project: { _id: 0, t: { $type: '$nope' }, n: { $isNumber: '$nope' } } }])
      .toArray();
    expect(out).toEqual({ t: 'missing', n: false });
  });

  it('type computed values by their MongoDB alias', async () => {
    await items().insertOne({ _id: 1, a: { b: Long.fromNumber(1) } });
    const [out] = await items()
      .aggregate([
        {
          $project: {
            _id: 0,
            sum: { $type: { $add: [1, 2] } },
            fraction: { $type: { $divide: [1, 4] } },
            text: { $type: { $concat: ['a', 'b'] } },
            nested: { $type: '$a.b' },
            root: { $type: '$$ROOT' },
          },
        },
      ])
      .toArray();
    expect(out).toEqual({ sum: 'int', fraction: 'double', text: 'string', nested: 'long', root: 'object' });
  });

  it('keep telling types apart after stages that copy documents', async () => {
    await items().insertOne({
      _id: 1,
      v: Long.fromNumber(2),
      w: Decimal128.fromString('1'),
      list: [{ x: 1 }, { x: 2 }],
    });
    const types = { _id: 0, v: { $type: '$v' }, w: { $type: '$w' } };
    const pipelines: Document[][] = [
      [{ $addFields: { extra: 1 } }],
      [{ $unwind: '$list' }, { $limit: 1 }],
      [{ $lookup: { from: 'items', localField: '_id', foreignField: '_id', as: 'self' } }],
      [{ $unset: 'list' }],
      [{ $facet: { inner: [{ $skip: 0 }] } }, { $unwind: '$inner' }, { $replaceWith: '$inner' }],
    ];
    for (const pipeline of pipelines) {
      const out = await items()
        .aggregate([...pipeline, { $project: types }])
        .toArray();
      expect(out, JSON.stringify(pipeline)).toEqual([{ v: 'long', w: 'decimal' }]);
    }
  });

  it('answer the same in a find projection', async () => {
    await items().insertOne({ _id: 1, v: Long.fromNumber(2) });
    const [out] = await items()
      .find({}, { projection: { _id: 0, t: { $type: '$v' }, n: { $isNumber: '$v' } } })
      .toArray();
    expect(out).toEqual({ t: 'long', n: true });
  });

  it('refuse more than one argument', async () => {
    await items().insertOne({ _id: 1 });
    const error = await serverError(() =>
      items()
        .aggregate([{ $project: { t: { $type: ['$a', '$b'] } } }])
        .toArray(),
    );
    expect(error.code).toBe(16020);
    expect(error.message).toBe('Expression $type takes exactly 1 arguments. 2 were passed in.');
  });
});

describe('$type in a query filter', () => {
  it('finds values by alias and by numeric type code', async () => {
    await seedTypedValues();
    const ids = async (type: unknown) =>
      (
        await items()
          .find({ v: { $type: type } }, { sort: { _id: 1 } })
          .toArray()
      ).map((doc) => doc._id);
    expect(await ids('long')).toEqual([5]);
    expect(await ids(18)).toEqual([5]);
    expect(await ids('decimal')).toEqual([6]);
    expect(await ids('double')).toEqual([2, 3]);
    expect(await ids('int')).toEqual([4, 19]);
    expect(await ids('number')).toEqual([2, 3, 4, 5, 6, 19]);
    expect(await ids('symbol')).toEqual([8]);
    expect(await ids('objectId')).toEqual([10]);
    expect(await ids(-1)).toEqual([0]);
    expect(await ids('maxKey')).toEqual([1]);
    expect(await ids('javascriptWithScope')).toEqual([16]);
    expect(await ids(['long', 'decimal'])).toEqual([5, 6]);
  });

  it('matches an array by its elements and as an array', async () => {
    await items().insertMany([
      { _id: 1, v: [Long.fromNumber(1), 'x'] },
      { _id: 2, v: [1.5] },
    ]);
    const ids = async (type: string) =>
      (
        await items()
          .find({ v: { $type: type } })
          .toArray()
      ).map((doc) => doc._id);
    expect(await ids('long')).toEqual([1]);
    expect(await ids('string')).toEqual([1]);
    expect(await ids('array')).toEqual([1, 2]);
  });

  it('refuses unknown type names and codes as mongod does', async () => {
    await items().insertOne({ _id: 1 });
    const alias = await serverError(() =>
      items()
        .find({ v: { $type: 'foo' } })
        .toArray(),
    );
    expect(alias.code).toBe(2);
    expect(alias.message).toBe('Unknown type name alias: foo');
    const code = await serverError(() =>
      items()
        .find({ v: { $type: 99 } })
        .toArray(),
    );
    expect(code.code).toBe(2);
    expect(code.message).toBe('Invalid numerical type code: 99');
    const kind = await serverError(() =>
      items()
        .find({ v: { $type: true } })
        .toArray(),
    );
    expect(kind.code).toBe(14);
  });
});

describe('$min, $max, $first and $last', () => {
  it('return a Long beyond 2^53 exactly from $group', async () => {
    await items().insertMany([{ _id: 1 }, { _id: Long.fromBigInt(BIG + 1n) }]);
    const [out] = await items()
      .aggregate([{ $group: { _id: null, max: { $max: '$_id' }, min: { $min: '$_id' } } }], exact)
      .toArray();
    expect(out).toEqual({ _id: null, max: Long.fromBigInt(BIG + 1n), min: new Int32(1) });
  });

  it('give the stored smallest and largest _id of every BSON type', async () => {
    const ids = [
      new ObjectId('000000000000000000000002'),
      new ObjectId('000000000000000000000001'),
      'b',
      'a',
      new Date(2000),
      new Date(1000),
      Long.fromBigInt(BIG + 3n),
      Long.fromBigInt(BIG + 1n),
      Decimal128.fromString('1.000000000000000000000000000000002'),
      Decimal128.fromString('1.000000000000000000000000000000001'),
      new Binary(Buffer.from([2])),
      new Binary(Buffer.from([1])),
      new Int32(7),
      new Double(2.5),
      new Double(1.5),
    ];
    await items().insertMany(ids.map((_id) => ({ _id })));
    const out = await items()
      .aggregate(
        [{ $group: { _id: { $type: '$_id' }, min: { $min: '$_id' }, max: { $max: '$_id' } } }, { $sort: { _id: 1 } }],
        exact,
      )
      .toArray();
    expect(out).toEqual([
      { _id: 'binData', min: ids[11], max: ids[10] },
      { _id: 'date', min: ids[5], max: ids[4] },
      { _id: 'decimal', min: ids[9], max: ids[8] },
      { _id: 'double', min: ids[14], max: ids[13] },
      { _id: 'int', min: ids[12], max: ids[12] },
      { _id: 'long', min: ids[7], max: ids[6] },
      { _id: 'objectId', min: ids[1], max: ids[0] },
      { _id: 'string', min: 'a', max: 'b' },
    ]);
  });

  it('sort Longs beyond 2^53 exactly and keep $first and $last of the order exact', async () => {
    await items().insertMany([2n, 0n, 1n].map((n) => ({ _id: Long.fromBigInt(BIG + n) })));
    const sorted = await items()
      .aggregate([{ $sort: { _id: -1 } }], exact)
      .toArray();
    expect(sorted.map((doc) => doc._id)).toEqual([2n, 1n, 0n].map((n) => Long.fromBigInt(BIG + n)));
    const [out] = await items()
      .aggregate(
        [{ $sort: { _id: 1 } }, { $group: { _id: null, first: { $first: '$_id' }, last: { $last: '$_id' } } }],
        exact,
      )
      .toArray();
    expect(out).toEqual({ _id: null, first: Long.fromBigInt(BIG), last: Long.fromBigInt(BIG + 2n) });
  });

  it('keep the stored value of a group key, null for a missing one', async () => {
    await items().insertMany([
      { _id: 1, k: Long.fromBigInt(BIG + 1n) },
      { _id: 2, k: Long.fromBigInt(BIG + 1n) },
      { _id: 3, k: new Double(2) },
      { _id: 4 },
    ]);
    const out = await items()
      .aggregate([{ $group: { _id: '$k', n: { $sum: 1 } } }, { $sort: { _id: 1 } }], exact)
      .toArray();
    expect(out).toEqual([
      { _id: null, n: new Int32(1) },
      { _id: new Double(2), n: new Int32(1) },
      { _id: Long.fromBigInt(BIG + 1n), n: new Int32(2) },
    ]);
  });

  it('compare values of different types in BSON order, leaving out null and missing', async () => {
    await items().insertMany([
      { _id: 1, v: 1 },
      { _id: 2, v: 'a' },
      { _id: 3, v: null },
      { _id: 4, v: new ObjectId('000000000000000000000001') },
      { _id: 5, v: { x: 1 } },
      { _id: 6 },
    ]);
    const [out] = await items()
      .aggregate([{ $group: { _id: null, min: { $min: '$v' }, max: { $max: '$v' } } }])
      .toArray();
    expect(out).toEqual({ _id: null, min: 1, max: new ObjectId('000000000000000000000001') });
  });

  it('return the stored value from the expressions $max and $min', async () => {
    await items().insertOne({
      _id: 1,
      a: Long.fromBigInt(BIG + 1n),
      b: Long.fromBigInt(BIG),
      list: [Long.fromBigInt(BIG), Long.fromBigInt(BIG + 5n), new Int32(3)],
      small: new Int32(5),
    });
    const [projected] = await items()
      .aggregate(
        [
          {
            $project: {
              _id: 0,
              max: { $max: ['$a', '$b'] },
              min: { $min: ['$a', '$b'] },
              listMax: { $max: '$list' },
              inside: { $add: [{ $max: ['$small', 1] }, 1] },
            },
          },
        ],
        exact,
      )
      .toArray();
    expect(projected).toEqual({
      max: Long.fromBigInt(BIG + 1n),
      min: Long.fromBigInt(BIG),
      listMax: Long.fromBigInt(BIG + 5n),
      inside: new Int32(6),
    });
    const [added] = await items()
      .aggregate([{ $addFields: { max: { $max: ['$a', '$b'] } } }], exact)
      .toArray();
    expect(added.max).toEqual(Long.fromBigInt(BIG + 1n));
    expect(added.small).toEqual(new Int32(5));
  });
});

describe('$bsonSize', () => {
  it('measures the stored document, $$ROOT included, and is null for a missing value', async () => {
    const doc = {
      _id: 1,
      l: Long.fromBigInt(BIG),
      s: 'text',
      d: Decimal128.fromString('1.5'),
      nested: { a: [1, 2], b: new Double(1) },
    };
    await items().insertOne(doc);
    const [out] = await items()
      .aggregate([
        {
          $project: {
            _id: 0,
            root: { $bsonSize: '$$ROOT' },
            nested: { $bsonSize: '$nested' },
            missing: { $bsonSize: '$nope' },
          },
        },
      ])
      .toArray();
    expect(out).toEqual({
      root: BSON.calculateObjectSize(doc),
      nested: BSON.calculateObjectSize(doc.nested),
      missing: null,
    });
  });

  it('refuses a value that is not a document', async () => {
    await items().insertOne({ _id: 1, s: 'text' });
    const error = await serverError(() =>
      items()
        .aggregate([{ $project: { size: { $bsonSize: '$s' } } }])
        .toArray(),
    );
    expect(error.code).toBe(31393);
    expect(error.message).toBe('$bsonSize requires a document input, found: string');
  });
});

describe('$toString and $convert', () => {
  it('write Long, Decimal128 and ObjectId exactly', async () => {
    const id = new ObjectId();
    await items().insertOne({ _id: id, l: Long.fromBigInt(BIG + 1n), d: Decimal128.fromString('1.10') });
    const [out] = await items()
      .aggregate([
        {
          $project: {
            _id: 0,
            id: { $toString: '$_id' },
            l: { $toString: '$l' },
            d: { $toString: '$d' },
            converted: { $convert: { input: '$l', to: 'string' } },
          },
        },
      ])
      .toArray();
    expect(out).toEqual({ id: id.toHexString(), l: String(BIG + 1n), d: '1.10', converted: String(BIG + 1n) });
  });
});

describe('$collStats storageStats', () => {
  it('reports avgObjSize with the fields mongod 8.0 reports, in its order', async () => {
    const docs = [{ _id: 1 }, { _id: 2, text: 'some text' }, { _id: 3, list: [1, 2, 3] }];
    await items().insertMany(docs);
    const [{ storageStats }] = await items()
      .aggregate([{ $collStats: { storageStats: {} } }])
      .toArray();
    const size = docs.reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0);
    expect(storageStats).toMatchObject({ size, count: 3, avgObjSize: Math.trunc(size / 3), numOrphanDocs: 0 });
    // A real server adds its storage engine's section (wiredTiger) after capped.
    expect(Object.keys(storageStats).filter((name) => name !== 'wiredTiger')).toEqual([
      'size',
      'count',
      'avgObjSize',
      'numOrphanDocs',
      'storageSize',
      'freeStorageSize',
      'capped',
      'nindexes',
      'indexDetails',
      'indexBuilds',
      'totalIndexSize',
      'indexSizes',
      'totalSize',
      'scaleFactor',
    ]);
  });

  it('leaves avgObjSize out for an empty collection', async () => {
    await db.createCollection('items');
    const [{ storageStats }] = await items()
      .aggregate([{ $collStats: { storageStats: {} } }])
      .toArray();
    expect(storageStats.count).toBe(0);
    expect(storageStats).not.toHaveProperty('avgObjSize');
  });
});
