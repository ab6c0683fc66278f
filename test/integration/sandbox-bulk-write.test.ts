// The client-level bulkWrite command (MongoClient.bulkWrite) as mongod 8.0 answers it (set
// FERRY_TEST_SOURCE_URI to run the same tests against a real replica set).
import {
  Long,
  MongoClient,
  MongoClientBulkWriteError,
  type AnyClientBulkWriteModel,
  type ClientBulkWriteOptions,
  type ClientBulkWriteResult,
  type Db,
  type Document,
  type RunCommandOptions,
} from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';
import { serverError } from '../support/server-error.js';

let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
let otherDb: Db;
let counter = 0;

beforeAll(async () => {
  server = await serverUnderTest();
  client = new MongoClient(server.uri);
  await client.connect();
  db = client.db(uniqueDbName('bulk_write'));
  otherDb = client.db(uniqueDbName('bulk_write_other'));
});

afterAll(async () => {
  await db?.dropDatabase();
  await otherDb?.dropDatabase();
  await client?.close();
  await server?.stop();
});

/** Tests use plain values as _id, not the driver's default ObjectId. */
interface TestDocument extends Document {
  _id?: number | Document;
}
type Model = AnyClientBulkWriteModel<TestDocument>;

/** A fresh collection name for each test, so tests never see each other's documents. */
async function freshNamespace(documents: Document[] = [], database = db): Promise<string> {
  const name = `c${++counter}`;
  if (documents.length) await database.collection(name).insertMany(documents);
  return `${database.databaseName}.${name}`;
}

function contents(namespace: string): Promise<Document[]> {
  const [dbName, ...rest] = namespace.split('.');
  return client.db(dbName).collection(rest.join('.')).find().sort({ _id: 1 }).toArray();
}

function bulkWrite(models: Model[], options: ClientBulkWriteOptions = {}): Promise<ClientBulkWriteResult> {
  return client.bulkWrite<Record<string, TestDocument>>(models, options);
}

async function bulkWriteError(
  models: Model[],
  options: ClientBulkWriteOptions = {},
): Promise<MongoClientBulkWriteError> {
  try {
    await bulkWrite(models, options);
  } catch (error) {
    if (error instanceof MongoClientBulkWriteError) return error;
    throw error;
  }
  throw new Error('expected the bulk write to fail');
}

/** The raw command, for what the driver does not pass on (reply items, cursor, command errors). */
function runBulkWrite(command: Document, options: RunCommandOptions = {}): Promise<Document> {
  return client.db('admin').command({ bulkWrite: 1, ...command }, options);
}

describe('results', () => {
  it('inserts, updates, replaces and deletes across databases and reports every result', async () => {
    const first = await freshNamespace([
      { _id: 1, x: 1 },
      { _id: 2, x: 2 },
      { _id: 3, x: 3 },
    ]);
    const second = await freshNamespace([{ _id: 1, y: 1 }], otherDb);
    const result = await bulkWrite(
      [
        { name: 'insertOne', namespace: first, document: { _id: 4, x: 4 } },
        { name: 'updateOne', namespace: first, filter: { _id: 1 }, update: { $inc: { x: 10 } } },
        { name: 'updateMany', namespace: first, filter: { _id: { $gte: 2 } }, update: { $set: { x: 0 } } },
        { name: 'replaceOne', namespace: second, filter: { _id: 1 }, replacement: { y: 2 } },
        { name: 'deleteOne', namespace: first, filter: { _id: 4 } },
        { name: 'deleteMany', namespace: second, filter: { _id: { $gt: 5 } } },
      ],
      { verboseResults: true },
    );
    expect(result).toMatchObject({
      insertedCount: 1,
      matchedCount: 5,
      modifiedCount: 5,
      upsertedCount: 0,
      deletedCount: 1,
    });
    expect(result.insertResults?.get(0)).toEqual({ insertedId: 4 });
    expect(result.updateResults?.get(2)).toEqual({ matchedCount: 3, modifiedCount: 3, didUpsert: false });
    expect(result.deleteResults?.get(4)).toEqual({ deletedCount: 1 });
    expect(result.deleteResults?.get(5)).toEqual({ deletedCount: 0 });
    expect(await contents(first)).toEqual([
      { _id: 1, x: 11 },
      { _id: 2, x: 0 },
      { _id: 3, x: 0 },
    ]);
    expect(await contents(second)).toEqual([{ _id: 1, y: 2 }]);
  });

  it('reports an upsert with its _id and counts it apart from matched documents', async () => {
    const ns = await freshNamespace([{ _id: 1, x: 1 }]);
    const result = await bulkWrite(
      [
        { name: 'updateOne', namespace: ns, filter: { _id: 2 }, update: { $set: { x: 2 } }, upsert: true },
        { name: 'replaceOne', namespace: ns, filter: { _id: 1 }, replacement: { x: 1 }, upsert: true },
      ],
      { verboseResults: true },
    );
    expect(result).toMatchObject({ upsertedCount: 1, matchedCount: 1, modifiedCount: 0 });
    expect(result.updateResults?.get(0)).toEqual({
      matchedCount: 1,
      modifiedCount: 0,
      didUpsert: true,
      upsertedId: 2,
    });
    expect(result.updateResults?.get(1)).toEqual({ matchedCount: 1, modifiedCount: 0, didUpsert: false });
    expect(await contents(ns)).toEqual([
      { _id: 1, x: 1 },
      { _id: 2, x: 2 },
    ]);
  });

  it('creates the collection an insert or upsert names', async () => {
    const ns = await freshNamespace();
    await bulkWrite([{ name: 'insertOne', namespace: ns, document: { _id: 1 } }]);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((info) => info.name);
    expect(names).toContain(ns.split('.')[1]);
  });

  it('answers with one reply item per op in a cursor on admin.$cmd.bulkWrite and summary counts', async () => {
    const ns = await freshNamespace([{ _id: 1, x: 1 }]);
    const reply = await runBulkWrite({
      ops: [
        { insert: 0, document: { _id: 2 } },
        { update: 0, filter: { _id: 1 }, updateMods: { $set: { x: 2 } } },
        { update: 0, filter: { _id: 3 }, updateMods: { $set: { x: 3 } }, upsert: true },
        { delete: 0, filter: { _id: 2 }, multi: false },
      ],
      nsInfo: [{ ns }],
    });
    expect(reply.cursor).toEqual({
      id: expect.anything(),
      ns: 'admin.$cmd.bulkWrite',
      firstBatch: [
        { ok: 1, idx: 0, n: 1 },
        { ok: 1, idx: 1, n: 1, nModified: 1 },
        { ok: 1, idx: 2, n: 1, nModified: 0, upserted: { _id: 3 } },
        { ok: 1, idx: 3, n: 1 },
      ],
    });
    expect(Number(reply.cursor.id)).toBe(0);
    expect(reply).toMatchObject({ nErrors: 0, nInserted: 1, nMatched: 1, nModified: 1, nUpserted: 1, nDeleted: 1 });
  });
});

describe('errors', () => {
  it('stops at the first failing op when ordered, reporting what was done before it', async () => {
    const ns = await freshNamespace([{ _id: 1 }]);
    const error = await bulkWriteError(
      [
        { name: 'insertOne', namespace: ns, document: { _id: 2 } },
        { name: 'insertOne', namespace: ns, document: { _id: 1 } },
        { name: 'insertOne', namespace: ns, document: { _id: 3 } },
      ],
      { verboseResults: true },
    );
    expect([...error.writeErrors.keys()]).toEqual([1]);
    expect(error.writeErrors.get(1)?.code).toBe(11000);
    expect(error.partialResult?.insertedCount).toBe(1);
    expect(await contents(ns)).toEqual([{ _id: 1 }, { _id: 2 }]);
  });

  it('goes on after a failing op when unordered', async () => {
    const ns = await freshNamespace([{ _id: 1 }]);
    const error = await bulkWriteError(
      [
        { name: 'insertOne', namespace: ns, document: { _id: 1 } },
        { name: 'insertOne', namespace: ns, document: { _id: 2 } },
        { name: 'deleteOne', namespace: ns, filter: { _id: 1 } },
      ],
      { ordered: false },
    );
    expect([...error.writeErrors.keys()]).toEqual([0]);
    expect(error.partialResult).toMatchObject({ insertedCount: 1, deletedCount: 1 });
    expect(await contents(ns)).toEqual([{ _id: 2 }]);
  });

  it('reports DuplicateKey in the reply item with keyPattern and keyValue', async () => {
    const ns = await freshNamespace([{ _id: 1 }]);
    const reply = await runBulkWrite({ ops: [{ insert: 0, document: { _id: 1 } }], nsInfo: [{ ns }] });
    expect(reply.nErrors).toBe(1);
    expect(reply.cursor.firstBatch).toHaveLength(1);
    expect(reply.cursor.firstBatch[0]).toMatchObject({
      ok: 0,
      idx: 0,
      n: 0,
      code: 11000,
      keyPattern: { _id: 1 },
      keyValue: { _id: 1 },
    });
    expect(reply.cursor.firstBatch[0].errmsg).toContain('E11000 duplicate key error');
  });

  it('reports a failed update with n and nModified 0', async () => {
    const ns = await freshNamespace([{ _id: 1 }]);
    const reply = await runBulkWrite({
      ops: [{ update: 0, filter: { _id: 1 }, updateMods: { $set: { _id: 2 } } }],
      nsInfo: [{ ns }],
    });
    expect(reply.cursor.firstBatch[0]).toMatchObject({ ok: 0, idx: 0, n: 0, nModified: 0, code: 66 });
  });

  it('fails an op whose filter reads an undefined variable with code 17276', async () => {
    const ns = await freshNamespace([{ _id: 1 }, { _id: 2 }]);
    const error = await bulkWriteError(
      [
        { name: 'deleteOne', namespace: ns, filter: { $expr: { $eq: ['$_id', '$$missing'] } } },
        { name: 'deleteOne', namespace: ns, filter: { _id: 2 } },
      ],
      { ordered: false },
    );
    expect(error.writeErrors.get(0)?.code).toBe(17276);
    expect(await contents(ns)).toEqual([{ _id: 1 }]);
  });

  it('refuses an _id holding a $-prefixed field with DollarPrefixedFieldName', async () => {
    const ns = await freshNamespace();
    const error = await bulkWriteError([{ name: 'insertOne', namespace: ns, document: { _id: { $a: 1 } } }]);
    expect(error.writeErrors.get(0)?.code).toBe(52);
    expect(error.writeErrors.get(0)?.message).toBe(
      "_id fields may not contain '$'-prefixed fields: $a is not valid for storage.",
    );
  });

  it('fails the whole command for an nsInfo index out of range, writing nothing', async () => {
    const ns = await freshNamespace();
    const error = await serverError(
      runBulkWrite({
        ops: [
          { insert: 0, document: { _id: 1 } },
          { insert: 1, document: { _id: 2 } },
        ],
        nsInfo: [{ ns }],
      }),
    );
    expect(error.code).toBe(2);
    expect(error.message).toContain('has an invalid nsInfo index');
    expect(await contents(ns)).toEqual([]);
  });

  it('fails the whole command for an unknown field', async () => {
    const ns = await freshNamespace();
    const error = await serverError(
      runBulkWrite({ ops: [{ insert: 0, document: {} }], nsInfo: [{ ns }], fooField: 1 }),
    );
    expect(error.code).toBe(40415);
  });

  it('may only be run against the admin database', async () => {
    const ns = await freshNamespace();
    const error = await serverError(db.command({ bulkWrite: 1, ops: [{ insert: 0, document: {} }], nsInfo: [{ ns }] }));
    expect(error.code).toBe(13);
  });
});

describe('options', () => {
  it('evaluates let variables in filters', async () => {
    const ns = await freshNamespace([
      { _id: 1, x: 1 },
      { _id: 2, x: 2 },
    ]);
    const result = await bulkWrite(
      [
        { name: 'updateOne', namespace: ns, filter: { $expr: { $eq: ['$_id', '$$one'] } }, update: { $inc: { x: 1 } } },
        { name: 'deleteOne', namespace: ns, filter: { $expr: { $eq: ['$_id', '$$two'] } } },
      ],
      { let: { one: 1, two: { $add: [1, 1] } } },
    );
    expect(result).toMatchObject({ modifiedCount: 1, deletedCount: 1 });
    expect(await contents(ns)).toEqual([{ _id: 1, x: 2 }]);
  });

  it('applies arrayFilters, pipeline updates and the sort of updateOne', async () => {
    const ns = await freshNamespace([
      { _id: 1, a: [1, 5], rank: 2 },
      { _id: 2, a: [7], rank: 1 },
    ]);
    await bulkWrite([
      {
        name: 'updateMany',
        namespace: ns,
        filter: {},
        update: { $set: { 'a.$[big]': 0 } },
        arrayFilters: [{ big: { $gt: 4 } }],
      },
      { name: 'updateOne', namespace: ns, filter: {}, update: [{ $set: { first: true } }], sort: { rank: 1 } },
    ]);
    expect(await contents(ns)).toEqual([
      { _id: 1, a: [1, 0], rank: 2 },
      { _id: 2, a: [0], rank: 1, first: true },
    ]);
  });

  it('validates documents unless bypassDocumentValidation is set', async () => {
    const ns = await freshNamespace();
    await db.createCollection(ns.split('.')[1], { validator: { x: { $exists: true } } });
    const error = await bulkWriteError([{ name: 'insertOne', namespace: ns, document: { _id: 1 } }]);
    expect(error.writeErrors.get(0)?.code).toBe(121);
    await bulkWrite([{ name: 'insertOne', namespace: ns, document: { _id: 2 } }], {
      bypassDocumentValidation: true,
    });
    expect(await contents(ns)).toEqual([{ _id: 2 }]);
  });

  it('lists only failed ops with errorsOnly, and pages reply items beyond cursor.batchSize', async () => {
    const ns = await freshNamespace([{ _id: 1 }]);
    const errorsOnly = await runBulkWrite({
      ops: [
        { insert: 0, document: { _id: 2 } },
        { insert: 0, document: { _id: 1 } },
      ],
      nsInfo: [{ ns }],
      errorsOnly: true,
    });
    expect(errorsOnly.cursor.firstBatch.map((item: Document) => item.idx)).toEqual([1]);
    expect(errorsOnly).toMatchObject({ nErrors: 1, nInserted: 1 });

    // The cursor id stays a Long, as getMore needs it.
    const paged = await runBulkWrite(
      {
        ops: [
          { insert: 0, document: { _id: 3 } },
          { insert: 0, document: { _id: 4 } },
          { delete: 0, filter: {} },
        ],
        nsInfo: [{ ns }],
        cursor: { batchSize: 1 },
      },
      { promoteLongs: false },
    );
    expect(paged.cursor.firstBatch.map((item: Document) => item.idx)).toEqual([0]);
    const more = await client
      .db('admin')
      .command({ getMore: paged.cursor.id, collection: '$cmd.bulkWrite', batchSize: 10 }, { promoteLongs: false });
    expect(more.cursor.nextBatch.map((item: Document) => item.idx)).toEqual([1, 2]);
    expect(more.cursor.id).toEqual(Long.fromNumber(0));
  });
});

describe('transactions', () => {
  it('aborts the transaction when an op fails inside it', async () => {
    const ns = await freshNamespace([{ _id: 1 }]);
    const session = client.startSession();
    try {
      session.startTransaction();
      const error = await bulkWriteError(
        [
          { name: 'insertOne', namespace: ns, document: { _id: 2 } },
          { name: 'insertOne', namespace: ns, document: { _id: 1 } },
        ],
        { session },
      );
      expect(error.writeErrors.get(1)?.code).toBe(11000);
      const commit = await serverError(session.commitTransaction());
      expect(commit.code).toBe(251);
    } finally {
      await session.endSession();
    }
    expect(await contents(ns)).toEqual([{ _id: 1 }]);
  });
});
