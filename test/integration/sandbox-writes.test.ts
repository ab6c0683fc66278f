// update, delete, findAndModify, count and distinct through the official driver, as they behave on
// mongod 8.0 (set FERRY_TEST_SOURCE_URI to run the same tests against a real replica set).
import type { ObjectId } from 'mongodb';
import { Decimal128, Double, Int32, Long, MongoBulkWriteError, MongoClient, type Db, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';
import { serverError } from '../support/server-error.js';

let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
let counter = 0;

beforeAll(async () => {
  server = await serverUnderTest();
  client = new MongoClient(server.uri);
  await client.connect();
  db = client.db(uniqueDbName('writes'));
});

afterAll(async () => {
  await db?.dropDatabase();
  await client?.close();
  await server?.stop();
});

interface Doc extends Document {
  _id?: number | ObjectId;
}

/** A fresh collection for each test, so tests never see each other's documents. */
function freshCollection(documents: Doc[] = []) {
  const collection = db.collection<Doc>(`c${++counter}`);
  return documents.length ? collection.insertMany(documents).then(() => collection) : Promise.resolve(collection);
}

describe('update', () => {
  it('reports matched and modified counts, not counting a change that changes nothing', async () => {
    const coll = await freshCollection([
      { _id: 1, a: 1 },
      { _id: 2, a: 1 },
      { _id: 3, a: 2 },
    ]);
    const many = await coll.updateMany({ a: 1 }, { $set: { b: true } });
    expect([many.matchedCount, many.modifiedCount]).toEqual([2, 2]);
    const again = await coll.updateOne({ _id: 1 }, { $set: { b: true } });
    expect([again.matchedCount, again.modifiedCount]).toEqual([1, 0]);
    expect(await coll.find({}, { sort: { _id: 1 } }).toArray()).toEqual([
      { _id: 1, a: 1, b: true },
      { _id: 2, a: 1, b: true },
      { _id: 3, a: 2 },
    ]);
  });

  it('keeps the exact BSON types of numbers it computes and of fields it does not touch', async () => {
    const coll = await freshCollection([{ _id: 1, i: new Int32(2147483647), l: Long.fromNumber(7), d: new Double(1) }]);
    await coll.updateOne({ _id: 1 }, { $inc: { i: 1, d: new Decimal128('0.5') } });
    const raw = await coll.findOne({ _id: 1 }, { promoteValues: false });
    expect(raw?.i).toEqual(Long.fromString('2147483648'));
    expect(raw?.l).toEqual(Long.fromNumber(7));
    expect(raw?.d).toEqual(new Decimal128('1.50000000000000'));
  });

  it('upserts a document built from the query equalities and reports its _id', async () => {
    const coll = await freshCollection();
    const result = await coll.updateOne(
      { name: 'ada', 'address.city': 'London', age: { $gt: 30 } },
      { $set: { active: true }, $setOnInsert: { created: 1 } },
      { upsert: true },
    );
    expect(result.upsertedCount).toBe(1);
    const stored = await coll.findOne({ _id: result.upsertedId ?? undefined });
    expect(stored).toEqual({
      _id: result.upsertedId,
      name: 'ada',
      address: { city: 'London' },
      active: true,
      created: 1,
    });
  });

  it('replaces a document, keeping its _id, and refuses to change _id with ImmutableField', async () => {
    const coll = await freshCollection([{ _id: 1, a: 1 }]);
    await coll.replaceOne({ _id: 1 }, { b: 2 });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, b: 2 });
    const replaced = await serverError(coll.replaceOne({ _id: 1 }, { _id: 2, b: 2 }));
    expect(replaced.code).toBe(66);
    const set = await serverError(coll.updateOne({ _id: 1 }, { $set: { _id: 3 } }));
    expect(set.code).toBe(66);
    expect(set.message).toBe("Performing an update on the path '_id' would modify the immutable field '_id'");
  });

  it('reports DuplicateKey with keyPattern and keyValue', async () => {
    const coll = await freshCollection([
      { _id: 1, email: 'a' },
      { _id: 2, email: 'b' },
    ]);
    await coll.createIndex({ email: 1 }, { unique: true });
    const error = await serverError(coll.updateOne({ _id: 2 }, { $set: { email: 'a' } }));
    expect(error.code).toBe(11000);
    expect(error.errorResponse.keyPattern).toEqual({ email: 1 });
    expect(error.errorResponse.keyValue).toEqual({ email: 'a' });
  });

  it('refuses unknown modifiers and conflicting paths with mongod codes and messages', async () => {
    const coll = await freshCollection([{ _id: 1 }]);
    const unknown = await serverError(coll.updateOne({}, { $foo: { a: 1 } } as never));
    expect([unknown.code, unknown.message]).toEqual([
      9,
      'Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update specified as an array',
    ]);
    const conflict = await serverError(coll.updateOne({}, { $set: { a: 1 }, $inc: { a: 1 } }));
    expect([conflict.code, conflict.message]).toEqual([40, "Updating the path 'a' would create a conflict at 'a'"]);
    const notViable = await serverError(
      coll.updateOne({}, { $set: { x: 1 } }).then(() => coll.updateOne({}, { $set: { 'x.y': 1 } })),
    );
    expect([notViable.code, notViable.message]).toEqual([28, "Cannot create field 'y' in element {x: 1}"]);
  });

  it('updates array elements through $, $[] and $[<identifier>] with arrayFilters', async () => {
    const coll = await freshCollection([{ _id: 1, grades: [{ g: 80 }, { g: 85 }, { g: 92 }], tags: [1, 2] }]);
    await coll.updateOne({ 'grades.g': 85 }, { $set: { 'grades.$.g': 86 } });
    await coll.updateOne({ _id: 1 }, { $inc: { 'tags.$[]': 10 } });
    await coll.updateOne(
      { _id: 1 },
      { $set: { 'grades.$[high].top': true } },
      { arrayFilters: [{ 'high.g': { $gte: 90 } }] },
    );
    expect(await coll.findOne({ _id: 1 })).toEqual({
      _id: 1,
      grades: [{ g: 80 }, { g: 86 }, { g: 92, top: true }],
      tags: [11, 12],
    });
    const unused = await serverError(coll.updateOne({ _id: 1 }, { $set: { a: 1 } }, { arrayFilters: [{ i: 1 }] }));
    expect([unused.code, unused.message]).toEqual([
      9,
      "The array filter for identifier 'i' was not used in the update { $set: { a: 1 } }",
    ]);
  });

  it('applies pipeline-style updates with stage expressions', async () => {
    const coll = await freshCollection([{ _id: 1, price: 10, qty: 3, obsolete: true }]);
    const result = await coll.updateOne({ _id: 1 }, [
      { $set: { total: { $multiply: ['$price', '$qty'] } } },
      { $unset: 'obsolete' },
    ]);
    expect(result.modifiedCount).toBe(1);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, price: 10, qty: 3, total: 30 });
    const match = await serverError(coll.updateOne({ _id: 1 }, [{ $match: { a: 1 } }]));
    expect(match.code).toBe(72);
  });

  it('reads let variables in filters and in pipeline updates', async () => {
    const coll = await freshCollection([{ _id: 1 }, { _id: 2 }]);
    await coll.updateOne({ $expr: { $eq: ['$_id', '$$target'] } }, [{ $set: { label: '$$label' } }], {
      let: { target: 2, label: 'chosen' },
    });
    expect(await coll.find({}, { sort: { _id: 1 } }).toArray()).toEqual([{ _id: 1 }, { _id: 2, label: 'chosen' }]);
  });

  it('updates the first document in sort order with updateOne sort', async () => {
    const coll = await freshCollection([
      { _id: 1, rank: 3 },
      { _id: 2, rank: 1 },
      { _id: 3, rank: 2 },
    ]);
    await coll.updateOne({}, { $set: { picked: true } }, { sort: { rank: 1 } });
    expect(await coll.findOne({ picked: true })).toEqual({ _id: 2, rank: 1, picked: true });
  });

  it('stops an ordered bulk at the first write error and goes on when unordered', async () => {
    const coll = await freshCollection([
      { _id: 1, a: 'text' },
      { _id: 2, a: 1 },
    ]);
    const operations = [
      { updateOne: { filter: { _id: 1 }, update: { $inc: { a: 1 } } } },
      { updateOne: { filter: { _id: 2 }, update: { $inc: { a: 1 } } } },
    ];
    const ordered = await coll.bulkWrite(operations).catch((error: unknown) => error);
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    const orderedError = ordered as MongoBulkWriteError;
    expect([orderedError.writeErrors].flat().map((error) => [error.index, error.code])).toEqual([[0, 14]]);
    expect((await coll.findOne({ _id: 2 }))?.a).toBe(1);
    const unordered = (await coll
      .bulkWrite(operations, { ordered: false })
      .catch((error: unknown) => error)) as MongoBulkWriteError;
    expect(unordered.result.modifiedCount).toBe(1);
    expect((await coll.findOne({ _id: 2 }))?.a).toBe(2);
  });

  it('refuses writes to a view with CommandNotSupportedOnView', async () => {
    const source = await freshCollection([{ _id: 1 }]);
    await db.createCollection(`${source.collectionName}_view`, { viewOn: source.collectionName, pipeline: [] });
    const view = db.collection(`${source.collectionName}_view`);
    expect((await serverError(view.updateOne({}, { $set: { a: 1 } }))).code).toBe(166);
    expect((await serverError(view.deleteMany({}))).code).toBe(166);
    expect((await serverError(view.findOneAndUpdate({}, { $set: { a: 1 } }))).code).toBe(166);
  });

  it('refuses a hint that names no index', async () => {
    const coll = await freshCollection([{ _id: 1 }]);
    const error = await serverError(coll.updateOne({}, { $set: { a: 1 } }, { hint: 'nope_1' }));
    expect(error.code).toBe(2);
  });
});

describe('delete', () => {
  it('deletes one or all matching documents', async () => {
    const coll = await freshCollection([
      { _id: 1, a: 1 },
      { _id: 2, a: 1 },
      { _id: 3, a: 2 },
    ]);
    expect((await coll.deleteOne({ a: 1 })).deletedCount).toBe(1);
    expect((await coll.deleteMany({ a: { $gte: 1 } })).deletedCount).toBe(2);
    expect(await coll.countDocuments()).toBe(0);
  });

  it('rejects a limit other than 0 or 1', async () => {
    const coll = await freshCollection([{ _id: 1 }]);
    const error = await serverError(db.command({ delete: coll.collectionName, deletes: [{ q: {}, limit: 2 }] }));
    expect([error.code, error.message]).toEqual([9, 'The limit field in delete objects must be 0 or 1. Got 2']);
  });
});

describe('findAndModify', () => {
  it('returns the document before or after the update', async () => {
    const coll = await freshCollection([{ _id: 1, n: 1 }]);
    const before = await coll.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } });
    expect(before).toEqual({ _id: 1, n: 1 });
    const after = await coll.findOneAndUpdate(
      { _id: 1 },
      { $inc: { n: 1 } },
      { returnDocument: 'after', projection: { _id: 0 } },
    );
    expect(after).toEqual({ n: 3 });
  });

  it('reports lastErrorObject for updates, upserts and misses', async () => {
    const coll = await freshCollection([{ _id: 1 }]);
    const updated = await coll.findOneAndUpdate({ _id: 1 }, { $set: { a: 1 } }, { includeResultMetadata: true });
    expect(updated.lastErrorObject).toEqual({ n: 1, updatedExisting: true });
    const upserted = await coll.findOneAndUpdate(
      { _id: 2 },
      { $set: { a: 2 } },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true },
    );
    expect(upserted.lastErrorObject).toEqual({ n: 1, updatedExisting: false, upserted: 2 });
    expect(upserted.value).toEqual({ _id: 2, a: 2 });
    const missed = await coll.findOneAndUpdate({ _id: 3 }, { $set: { a: 3 } }, { includeResultMetadata: true });
    expect(missed.lastErrorObject).toEqual({ n: 0, updatedExisting: false });
    expect(missed.value).toBeNull();
  });

  it('removes the first document in sort order and replaces documents', async () => {
    const coll = await freshCollection([
      { _id: 1, p: 2 },
      { _id: 2, p: 1 },
    ]);
    expect(await coll.findOneAndDelete({}, { sort: { p: 1 } })).toEqual({ _id: 2, p: 1 });
    expect(await coll.findOneAndReplace({ _id: 1 }, { q: 1 }, { returnDocument: 'after' })).toEqual({ _id: 1, q: 1 });
  });

  it('refuses contradictory requests with FailedToParse', async () => {
    const coll = await freshCollection();
    const neither = await serverError(db.command({ findAndModify: coll.collectionName, query: {} }));
    expect([neither.code, neither.message]).toEqual([9, 'Either an update or remove=true must be specified']);
    const both = await serverError(
      db.command({ findAndModify: coll.collectionName, query: {}, remove: true, update: { $set: { a: 1 } } }),
    );
    expect([both.code, both.message]).toEqual([9, 'Cannot specify both an update and remove=true']);
  });
});

describe('count and distinct', () => {
  it('counts matching documents with skip and limit', async () => {
    const coll = await freshCollection([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]);
    expect(await coll.estimatedDocumentCount()).toBe(4);
    const counted = await db.command({ count: coll.collectionName, query: { a: { $gt: 1 } }, skip: 1, limit: 5 });
    expect(counted.n).toBe(2);
    expect((await db.command({ count: 'no_such_collection' })).n).toBe(0);
  });

  it('returns each distinct value once, flattening arrays and sorting in BSON order', async () => {
    const coll = await freshCollection([
      { _id: 1, tag: ['b', 'a'], n: 2 },
      { _id: 2, tag: 'c', n: new Double(2) },
      { _id: 3, tag: [['x']], n: 1 },
      { _id: 4, n: null },
    ]);
    expect(await coll.distinct('tag')).toEqual(['a', 'b', 'c', ['x']]);
    expect(await coll.distinct('n')).toEqual([null, 1, 2]);
    expect(await coll.distinct('tag', { _id: { $gt: 1 } })).toEqual(['c', ['x']]);
  });

  it('counts and lists distinct values through a view', async () => {
    const source = await freshCollection([
      { k: 1, v: 'a' },
      { k: 2, v: 'b' },
      { k: 3, v: 'a' },
    ]);
    const viewName = `${source.collectionName}_view`;
    await db.createCollection(viewName, { viewOn: source.collectionName, pipeline: [{ $match: { k: { $gte: 2 } } }] });
    expect((await db.command({ count: viewName })).n).toBe(2);
    expect(await db.collection(viewName).distinct('v')).toEqual(['a', 'b']);
  });
});

interface Watched {
  _id: number;
  a: number[];
  b?: number;
  c: { d: number };
  e?: string;
}

describe('change stream update descriptions', () => {
  it('reports updated, removed and truncated fields of an update', async () => {
    const coll = db.collection<Watched>(`c${++counter}`);
    await coll.insertOne({ _id: 1, a: [1, 2, 3], b: 1, c: { d: 1 } });
    const stream = coll.watch();
    await stream.tryNext();
    await coll.updateOne({ _id: 1 }, { $set: { 'c.d': 2, e: 'new' }, $unset: { b: '' }, $push: { a: 4 } });
    await coll.updateOne({ _id: 1 }, [{ $set: { a: { $slice: ['$a', 2] } } }]);
    const first = await stream.next();
    const second = await stream.next();
    await stream.close();
    expect(first.operationType).toBe('update');
    expect(first.operationType === 'update' && first.updateDescription).toEqual({
      updatedFields: { 'a.3': 4, e: 'new', 'c.d': 2 },
      removedFields: ['b'],
      truncatedArrays: [],
    });
    expect(second.operationType === 'update' && second.updateDescription).toEqual({
      updatedFields: {},
      removedFields: [],
      truncatedArrays: [{ field: 'a', newSize: 2 }],
    });
  });

  it('writes no event for an update that changes nothing', async () => {
    const coll = db.collection<Watched>(`c${++counter}`);
    await coll.insertOne({ _id: 1, a: [1], c: { d: 1 } });
    const stream = coll.watch();
    await stream.tryNext();
    await coll.updateOne({ _id: 1 }, { $set: { 'c.d': 1 } });
    await coll.updateOne({ _id: 1 }, { $set: { e: 'changed' } });
    const event = await stream.next();
    await stream.close();
    expect(event.operationType === 'update' && event.updateDescription.updatedFields).toEqual({ e: 'changed' });
  });
});
