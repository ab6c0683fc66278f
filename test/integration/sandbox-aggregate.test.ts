// The aggregate command through the official driver: batching, BSON types, stage errors as mongod
// reports them, views, let variables, $lookup, the writing stages ($out, $merge) and the stages
// that describe the server ($collStats, $indexStats, $currentOp, $listLocalSessions).
import { Double, Int32, Long, MongoClient, ObjectId, type Db, type Document } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';
import { serverError } from '../support/server-error.js';

let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
const dbName = uniqueDbName('aggregate');

interface Item {
  _id: number;
  x?: unknown;
  [field: string]: unknown;
}

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

const items = (name = 'items') => db.collection<Item>(name);

async function seed(count: number, name = 'items'): Promise<void> {
  await items(name).insertMany(Array.from({ length: count }, (_, i) => ({ _id: i + 1, x: (i + 1) * 11 })));
}

describe('aggregate results', () => {
  it('returns a first batch of batchSize documents and the rest through getMore', async () => {
    await seed(5);
    const reply = await db.command(
      { aggregate: 'items', pipeline: [{ $match: { _id: { $gt: 1 } } }], cursor: { batchSize: 2 } },
      { promoteLongs: false },
    );
    expect(reply.cursor.firstBatch).toEqual([
      { _id: 2, x: 22 },
      { _id: 3, x: 33 },
    ]);
    expect(reply.cursor.ns).toBe(`${dbName}.items`);
    const more = await db.command({ getMore: reply.cursor.id, collection: 'items' });
    expect(more.cursor.nextBatch).toEqual([
      { _id: 4, x: 44 },
      { _id: 5, x: 55 },
    ]);
    expect(more.cursor.id.toString()).toBe('0');
  });

  it('returns an empty first batch and an open cursor for batchSize 0', async () => {
    await seed(3);
    const reply = await db.command(
      { aggregate: 'items', pipeline: [], cursor: { batchSize: 0 } },
      { promoteLongs: false },
    );
    expect(reply.cursor.firstBatch).toEqual([]);
    expect(reply.cursor.id.toString()).not.toBe('0');
    const more = await db.command({ getMore: reply.cursor.id, collection: 'items' });
    expect(more.cursor.nextBatch).toHaveLength(3);
  });

  it('keeps the BSON types of the fields a stage does not change', async () => {
    await items().insertOne({ _id: 1, long: Long.fromNumber(5), double: new Double(2), int: new Int32(3) });
    const [doc] = await items()
      .aggregate([{ $addFields: { extra: 1 } }], { promoteValues: false, promoteLongs: false })
      .toArray();
    expect(doc.long).toBeInstanceOf(Long);
    expect(doc.double).toBeInstanceOf(Double);
    expect(doc.int).toBeInstanceOf(Int32);
    expect(doc.extra).toEqual(new Int32(1));
  });

  it('groups, sorts and projects', async () => {
    await items().insertMany([
      { _id: 1, kind: 'a', n: 1 },
      { _id: 2, kind: 'b', n: 2 },
      { _id: 3, kind: 'a', n: 3 },
    ]);
    const out = await items()
      .aggregate([{ $group: { _id: '$kind', total: { $sum: '$n' } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(out).toEqual([
      { _id: 'a', total: 4 },
      { _id: 'b', total: 2 },
    ]);
  });

  it('sorts values of different types in MongoDB order, arrays by their smallest element', async () => {
    await items().insertMany([
      { _id: 1, x: 'b' },
      { _id: 2, x: 2 },
      { _id: 3, x: null },
      { _id: 4, x: true },
      { _id: 5, x: new ObjectId('000000000000000000000001') },
      { _id: 6, x: { a: 1 } },
      { _id: 7, x: new Date(0) },
      { _id: 8, x: [5, 'z'] },
    ]);
    const out = await items()
      .aggregate([{ $sort: { x: 1 } }])
      .toArray();
    expect(out.map((doc) => doc._id)).toEqual([3, 2, 8, 1, 6, 5, 4, 7]);
  });

  it('matches comparison operators only within the type of the operand', async () => {
    await items().insertMany([
      { _id: 1, x: 10 },
      { _id: 2, x: 'ten' },
      { _id: 3, x: new Date(0) },
      { _id: 4, x: null },
    ]);
    const out = await items()
      .aggregate([{ $match: { x: { $gt: 5 } } }])
      .toArray();
    expect(out.map((doc) => doc._id)).toEqual([1]);
  });

  it('reads let variables, evaluated once', async () => {
    await seed(2);
    const out = await items()
      .aggregate(
        [
          { $match: { $expr: { $eq: ['$_id', '$$id'] } } },
          { $project: { _id: 0, x: '$$x', y: '$$y', rand: '$$rand' } },
        ],
        { let: { id: 1, x: 'foo', y: { $literal: '$bar' }, rand: { $rand: {} } } },
      )
      .toArray();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ x: 'foo', y: '$bar' });
    expect(typeof out[0].rand).toBe('number');
  });

  it('joins another collection with $lookup', async () => {
    await items().insertOne({ _id: 1, owner: 7 });
    await items('owners').insertOne({ _id: 7, name: 'ann' });
    const [doc] = await items()
      .aggregate([{ $lookup: { from: 'owners', localField: 'owner', foreignField: '_id', as: 'who' } }])
      .toArray();
    expect(doc.who).toEqual([{ _id: 7, name: 'ann' }]);
  });

  it('aggregates a view through its definition', async () => {
    await seed(4);
    await db.createCollection('big', { viewOn: 'items', pipeline: [{ $match: { x: { $gte: 33 } } }] });
    const reply = await db.command({ aggregate: 'big', pipeline: [{ $count: 'n' }], cursor: {} });
    expect(reply.cursor.firstBatch).toEqual([{ n: 2 }]);
    expect(reply.cursor.ns).toBe(`${dbName}.big`);
  });

  it('runs $documents on {aggregate: 1}', async () => {
    const out = await db.aggregate([{ $documents: [{ a: 1 }, { a: 2 }] }, { $match: { a: 2 } }]).toArray();
    expect(out).toEqual([{ a: 2 }]);
  });
});

describe('aggregate errors', () => {
  it('rejects an unknown stage with 40324', async () => {
    const error = await serverError(() =>
      items()
        .aggregate([{ $unknown: 1 }])
        .toArray(),
    );
    expect(error.code).toBe(40324);
    expect(error.message).toBe("Unrecognized pipeline stage name: '$unknown'");
  });

  it('rejects a stage with two fields with 40323', async () => {
    const error = await serverError(() =>
      items()
        .aggregate([{ $match: {}, $limit: 1 }])
        .toArray(),
    );
    expect(error.code).toBe(40323);
  });

  it('requires $out to be the last stage', async () => {
    const error = await serverError(() =>
      items()
        .aggregate([{ $out: 'other' }, { $match: {} }])
        .toArray(),
    );
    expect(error.code).toBe(40601);
    expect(error.message).toBe('$out can only be the final stage in the pipeline');
  });

  it('requires the cursor option unless explaining', async () => {
    const error = await serverError(() => db.command({ aggregate: 'items', pipeline: [] }));
    expect(error.codeName).toBe('FailedToParse');
  });

  it('requires a collection for a stage that reads one', async () => {
    const error = await serverError(() => db.command({ aggregate: 1, pipeline: [{ $match: {} }], cursor: {} }));
    expect(error.code).toBe(73);
    expect(error.message).toBe("{aggregate: 1} is not valid for '$match'; a collection is required.");
  });

  it('rejects a hint that names no index', async () => {
    await seed(1);
    const error = await serverError(() => items().aggregate([], { hint: 'nope_1' }).toArray());
    expect(error.code).toBe(2);
    expect(error.message).toBe('hint provided does not correspond to an existing index');
  });

  it('explains a pipeline without running it', async () => {
    await seed(1);
    const reply = await db.command({ aggregate: 'items', pipeline: [{ $group: { _id: null } }], explain: true });
    expect(reply.ok).toBe(1);
    expect('stages' in reply || 'queryPlanner' in reply).toBe(true);
  });
});

describe('$out and $merge', () => {
  it('$out replaces the target collection with the results and keeps its indexes', async () => {
    await seed(3);
    await items('target').insertOne({ _id: 99, old: true });
    await items('target').createIndex({ x: 1 }, { name: 'x_1' });
    const reply = await db.command({
      aggregate: 'items',
      pipeline: [{ $match: { _id: { $gt: 1 } } }, { $out: 'target' }],
      cursor: {},
    });
    expect(reply.cursor.firstBatch).toEqual([]);
    expect(await items('target').find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 2, x: 22 },
      { _id: 3, x: 33 },
    ]);
    const indexNames = (await items('target').indexes()).map((index) => index.name);
    expect(indexNames).toContain('x_1');
  });

  it('$out leaves the target untouched when a result breaks a unique index', async () => {
    await items().insertMany([
      { _id: 1, x: 5 },
      { _id: 2, x: 5 },
    ]);
    await items('target').insertOne({ _id: 99 });
    await items('target').createIndex({ x: 1 }, { unique: true });
    const error = await serverError(() =>
      items()
        .aggregate([{ $out: 'target' }])
        .toArray(),
    );
    expect(error.code).toBe(11000);
    expect(await items('target').find().toArray()).toEqual([{ _id: 99 }]);
  });

  it('$merge inserts new documents and merges matched ones', async () => {
    await items('target').insertMany([
      { _id: 1, keep: 'yes', x: 0 },
      { _id: 5, untouched: true },
    ]);
    await seed(2);
    await items()
      .aggregate([{ $merge: { into: 'target' } }])
      .toArray();
    expect(await items('target').find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, keep: 'yes', x: 11 },
      { _id: 2, x: 22 },
      { _id: 5, untouched: true },
    ]);
  });

  it('$merge with whenMatched fail reports DuplicateKey with keyPattern and keyValue', async () => {
    await items('test').insertOne({ _id: 2, x: 0 });
    const error = await serverError(() =>
      db.aggregate([{ $documents: [{ _id: 2, x: 1 }] }, { $merge: { into: 'test', whenMatched: 'fail' } }]).toArray(),
    );
    expect(error.code).toBe(11000);
    expect(error.errorResponse.keyPattern).toEqual({ _id: 1 });
    expect(error.errorResponse.keyValue).toEqual({ _id: 2 });
  });

  it('$merge runs a whenMatched pipeline with $$new and can discard unmatched documents', async () => {
    await items('target').insertOne({ _id: 1, total: 10 });
    await seed(2);
    await items()
      .aggregate([
        {
          $merge: {
            into: 'target',
            whenMatched: [{ $set: { total: { $add: ['$total', '$$new.x'] } } }],
            whenNotMatched: 'discard',
          },
        },
      ])
      .toArray();
    expect(await items('target').find().toArray()).toEqual([{ _id: 1, total: 21 }]);
  });

  it('$merge on fields other than _id needs a unique index on them', async () => {
    await items('target').insertOne({ _id: 1, k: 1 });
    await seed(1);
    const error = await serverError(() =>
      items()
        .aggregate([{ $merge: { into: 'target', on: 'k' } }])
        .toArray(),
    );
    expect(error.code).toBe(51183);
  });
});

describe('stages that describe the server', () => {
  it('$collStats reports the count and storage statistics', async () => {
    await seed(3);
    const [stats] = await items()
      .aggregate([{ $collStats: { count: {}, storageStats: {} } }])
      .toArray();
    expect(stats.ns).toBe(`${dbName}.items`);
    expect(stats.count).toBe(3);
    expect(stats.storageStats.count).toBe(3);
    expect(stats.storageStats.size).toBeGreaterThan(0);
    expect(stats.localTime).toBeInstanceOf(Date);
  });

  it('$collStats fails for a collection that does not exist', async () => {
    const error = await serverError(() =>
      items('none')
        .aggregate([{ $collStats: { count: {} } }])
        .toArray(),
    );
    expect(error.code).toBe(26);
  });

  it('$indexStats lists every index with its key and spec', async () => {
    await seed(1);
    await items().createIndex({ x: -1 }, { name: 'x_-1' });
    const stats = await items()
      .aggregate<Document>([{ $indexStats: {} }, { $sort: { name: 1 } }])
      .toArray();
    expect(stats.map((index) => index.name)).toEqual(['_id_', 'x_-1']);
    expect(stats[1].key).toEqual({ x: -1 });
    expect(stats[1].accesses.ops).toBeDefined();
  });

  it('$currentOp shows the aggregate that asks, on admin only', async () => {
    const ops = await client
      .db('admin')
      .aggregate([{ $currentOp: {} }, { $match: { 'command.aggregate': 1, 'command.comment': 'find me' } }], {
        comment: 'find me',
      })
      .toArray();
    expect(ops).toHaveLength(1);
    expect(ops[0].active).toBe(true);
    const error = await serverError(() => db.aggregate([{ $currentOp: {} }]).toArray());
    expect(error.code).toBe(73);
  });

  it('$listLocalSessions lists the session of the command', async () => {
    const out = await db
      .aggregate([
        { $listLocalSessions: {} },
        { $limit: 1 },
        { $addFields: { dummy: 'dummy field' } },
        { $project: { _id: 0, dummy: 1 } },
      ])
      .toArray();
    expect(out).toEqual([{ dummy: 'dummy field' }]);
  });
});
