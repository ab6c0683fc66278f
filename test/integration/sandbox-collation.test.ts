// Collations as mongod 8.0 applies them: to matching, sorting, counting, distinct, updates and deletes,
// as a collection's or view's default, and to unique indexes (set FERRY_TEST_SOURCE_URI to run the same
// tests against a real replica set).
import { MongoClient, MongoServerError, type CollationOptions, type Db, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';

const CASE_INSENSITIVE: CollationOptions = { locale: 'en_US', strength: 2 };
const BASE_LETTERS_ONLY: CollationOptions = { locale: 'en', strength: 1 };

let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
let counter = 0;

beforeAll(async () => {
  server = await serverUnderTest();
  client = new MongoClient(server.uri);
  await client.connect();
  db = client.db(uniqueDbName('collation'));
});

afterAll(async () => {
  await db?.dropDatabase();
  await client?.close();
  await server?.stop();
});

/** Tests use plain values as _id, not the driver's default ObjectId. */
interface TestDocument extends Document {
  _id: number | string;
}

/** A fresh collection holding `documents`, so tests never see each other's data. */
async function collectionWith(documents: TestDocument[]) {
  const collection = db.collection<TestDocument>(`c${++counter}`);
  if (documents.length) await collection.insertMany(documents);
  return collection;
}

const PINGS = [
  { _id: 1, x: 'ping' },
  { _id: 2, x: 'PING' },
  { _id: 3, x: 'pïng' },
  { _id: 4, x: 'pong' },
  { _id: 5, x: ['Ping', 'zebra'] },
];

function ids(documents: Document[]): unknown[] {
  return documents.map((doc) => doc._id);
}

describe('matching', () => {
  it('matches strings case-insensitively at strength 2 but still tells accents apart', async () => {
    const collection = await collectionWith(PINGS);
    const found = await collection.find({ x: 'PING' }, { collation: CASE_INSENSITIVE }).sort({ _id: 1 }).toArray();
    expect(ids(found)).toEqual([1, 2, 5]);
  });

  it('matches accented letters as their base letters at strength 1', async () => {
    const collection = await collectionWith(PINGS);
    const found = await collection.find({ x: 'Ping' }, { collation: BASE_LETTERS_ONLY }).sort({ _id: 1 }).toArray();
    expect(ids(found)).toEqual([1, 2, 3, 5]);
  });

  it('compares byte-wise without a collation', async () => {
    const collection = await collectionWith(PINGS);
    expect(ids(await collection.find({ x: 'PING' }).toArray())).toEqual([2]);
  });

  it('applies the collation to $in, $nin, $ne and ranges', async () => {
    const collection = await collectionWith(PINGS);
    const query = async (filter: Document) =>
      ids(await collection.find(filter, { collation: CASE_INSENSITIVE }).sort({ _id: 1 }).toArray());
    expect(await query({ x: { $in: ['PONG', 'PÏNG'] } })).toEqual([3, 4]);
    expect(await query({ x: { $nin: ['PING', 'PONG'] } })).toEqual([3]);
    expect(await query({ x: { $ne: 'Ping' } })).toEqual([3, 4]);
    expect(await query({ x: { $gte: 'PO', $lt: 'PZ' } })).toEqual([4, 5]);
    expect(await query({ x: { $elemMatch: { $gte: 'PI', $lt: 'PO' } } })).toEqual([5]);
  });

  it('applies the collation to comparisons in $expr', async () => {
    const collection = await collectionWith(PINGS);
    const found = await collection
      .find({ $expr: { $eq: ['$x', 'PONG'] } }, { collation: CASE_INSENSITIVE })
      .sort({ _id: 1 })
      .toArray();
    expect(ids(found)).toEqual([4]);
  });

  it("ignores spaces and punctuation with alternate 'shifted'", async () => {
    const collection = await collectionWith([
      { _id: 1, code: 'a-b' },
      { _id: 2, code: 'a b' },
      { _id: 3, code: 'a+b' },
    ]);
    const found = await collection
      .find({ code: 'ab' }, { collation: { locale: 'en', alternate: 'shifted' } })
      .sort({ _id: 1 })
      .toArray();
    expect(ids(found)).toEqual([1, 2]);
  });
});

describe('sorting', () => {
  const LETTERS = ['b', 'A', 'a', 'B', 'á'].map((letter, i) => ({ _id: i, letter }));

  it('sorts by the locale: lowercase before uppercase, accents after their base letter', async () => {
    const collection = await collectionWith(LETTERS);
    const sorted = await collection
      .find({}, { collation: { locale: 'en' } })
      .sort({ letter: 1 })
      .toArray();
    expect(sorted.map((doc) => doc.letter)).toEqual(['a', 'A', 'á', 'b', 'B']);
  });

  it('sorts byte-wise without a collation', async () => {
    const collection = await collectionWith(LETTERS);
    const sorted = await collection.find().sort({ letter: 1 }).toArray();
    expect(sorted.map((doc) => doc.letter)).toEqual(['A', 'B', 'a', 'b', 'á']);
  });

  it('sorts digit runs as numbers with numericOrdering', async () => {
    const collection = await collectionWith(['10', '9', '2'].map((n, i) => ({ _id: i, n })));
    const sorted = await collection
      .find({}, { collation: { locale: 'en', numericOrdering: true } })
      .sort({ n: 1 })
      .toArray();
    expect(sorted.map((doc) => doc.n)).toEqual(['2', '9', '10']);
  });

  it('matches and sorts by the collation in an aggregation', async () => {
    const collection = await collectionWith(LETTERS);
    const result = await collection
      .aggregate([{ $match: { letter: { $in: ['A', 'B'] } } }, { $sort: { letter: -1, _id: 1 } }], {
        collation: CASE_INSENSITIVE,
      })
      .toArray();
    expect(result.map((doc) => doc.letter)).toEqual(['b', 'B', 'A', 'a']);
  });
});

describe('count and distinct', () => {
  it('counts the documents the collation matches', async () => {
    const collection = await collectionWith(PINGS);
    expect(await collection.countDocuments({ x: 'Ping' }, { collation: CASE_INSENSITIVE })).toBe(3);
    expect(await collection.countDocuments({ x: 'Ping' })).toBe(1);
  });

  it('returns one value per group of collation-equal strings, the first one stored', async () => {
    const collection = await collectionWith([
      { _id: 1, s: 'PING' },
      { _id: 2, s: 'ping' },
      { _id: 3, s: 'Pong' },
      { _id: 4, s: 'pong' },
    ]);
    expect(await collection.distinct('s', {}, { collation: CASE_INSENSITIVE })).toEqual(['PING', 'Pong']);
    expect(await collection.distinct('s')).toEqual(['PING', 'Pong', 'ping', 'pong']);
  });
});

describe('writes', () => {
  it('updates and deletes the documents the collation matches', async () => {
    const collection = await collectionWith(PINGS);
    const updated = await collection.updateMany(
      { x: 'PING' },
      { $set: { seen: true } },
      { collation: CASE_INSENSITIVE },
    );
    expect(updated.modifiedCount).toBe(3);
    const deleted = await collection.deleteMany({ x: 'PONG' }, { collation: CASE_INSENSITIVE });
    expect(deleted.deletedCount).toBe(1);
    expect(ids(await collection.find({ seen: true }).sort({ _id: 1 }).toArray())).toEqual([1, 2, 5]);
    expect(await collection.countDocuments()).toBe(4);
  });

  it('findOneAndUpdate picks the first match in the collation order of its sort', async () => {
    const collection = await collectionWith([
      { _id: 1, name: 'b' },
      { _id: 2, name: 'B' },
      { _id: 3, name: 'a' },
    ]);
    const found = await collection.findOneAndUpdate(
      {},
      { $set: { picked: true } },
      { sort: { name: 1 }, collation: { locale: 'en' } },
    );
    expect(found?._id).toBe(3);
  });
});

describe('default collations', () => {
  it("applies a collection's collation when the operation gives none, and {locale: 'simple'} overrides it", async () => {
    const name = `c${++counter}`;
    await db.createCollection(name, { collation: CASE_INSENSITIVE });
    const collection = db.collection<TestDocument>(name);
    await collection.insertMany([
      { _id: 1, n: 'Bob' },
      { _id: 2, n: 'bob' },
    ]);
    expect(ids(await collection.find({ n: 'BOB' }).sort({ _id: 1 }).toArray())).toEqual([1, 2]);
    expect(await collection.find({ n: 'BOB' }, { collation: { locale: 'simple' } }).toArray()).toEqual([]);
    expect((await collection.deleteMany({ n: 'BOB' })).deletedCount).toBe(2);
  });

  it('treats _ids equal under the collection collation as duplicates', async () => {
    const name = `c${++counter}`;
    await db.createCollection(name, { collation: CASE_INSENSITIVE });
    const collection = db.collection<TestDocument>(name);
    await collection.insertOne({ _id: 'key' });
    const error = await collection.insertOne({ _id: 'KEY' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(11000);
    expect(await collection.countDocuments()).toBe(1);
  });

  it("runs a view with the view's collation and refuses another one", async () => {
    const source = await collectionWith(PINGS);
    const viewName = `v${++counter}`;
    await db.createCollection(viewName, { viewOn: source.collectionName, pipeline: [], collation: CASE_INSENSITIVE });
    const view = db.collection(viewName);
    expect(ids(await view.find({ x: 'PING' }).sort({ _id: 1 }).toArray())).toEqual([1, 2, 5]);
    const error = await view
      .find({}, { collation: { locale: 'fr' } })
      .toArray()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(167);
    expect((error as MongoServerError).codeName).toBe('OptionNotSupportedOnView');
  });
});

describe('unique indexes with a collation', () => {
  it('reports DuplicateKey for strings that differ only in case', async () => {
    const collection = await collectionWith([{ _id: 1, email: 'Ann@Example.com' }]);
    await collection.createIndex({ email: 1 }, { unique: true, collation: CASE_INSENSITIVE });
    const error = await collection.insertOne({ _id: 2, email: 'ann@example.COM' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MongoServerError);
    const duplicate = error as MongoServerError;
    expect(duplicate.code).toBe(11000);
    expect(duplicate.errorResponse.keyPattern).toEqual({ email: 1 });
    expect(duplicate.errorResponse.collation).toMatchObject({ locale: 'en_US', strength: 2 });
    expect(duplicate.message).toContain('collation: {');
    await collection.insertOne({ _id: 3, email: 'bob@example.com' });
    expect(await collection.countDocuments()).toBe(2);
  });

  it('ignores accents too at strength 1, and tells them apart at strength 2', async () => {
    const collection = await collectionWith([{ _id: 1, word: 'café', other: 'café' }]);
    await collection.createIndex({ word: 1 }, { unique: true, collation: BASE_LETTERS_ONLY });
    await collection.createIndex({ other: 1 }, { unique: true, collation: CASE_INSENSITIVE });
    const error = await collection.insertOne({ _id: 2, word: 'CAFE' }).catch((caught: unknown) => caught);
    expect((error as MongoServerError).code).toBe(11000);
    expect((error as MongoServerError).errorResponse.keyPattern).toEqual({ word: 1 });
    await collection.insertOne({ _id: 3, word: 'tea', other: 'CAFE' });
    expect(await collection.countDocuments()).toBe(2);
  });

  it('refuses to build the index over documents that collide under the collation', async () => {
    const collection = await collectionWith([
      { _id: 1, tag: 'Alpha' },
      { _id: 2, tag: 'ALPHA' },
    ]);
    const error = await collection
      .createIndex({ tag: 1 }, { unique: true, collation: CASE_INSENSITIVE })
      .catch((caught: unknown) => caught);
    expect((error as MongoServerError).code).toBe(11000);
    await collection.createIndex({ tag: 1 }, { unique: true, name: 'tag_simple' });
    expect((await collection.indexes()).map((index) => index.name)).toContain('tag_simple');
  });
});

describe('invalid collations', () => {
  it('rejects an unknown locale with BadValue', async () => {
    const collection = await collectionWith(PINGS);
    const error = await collection
      .find({}, { collation: { locale: 'xx_NOPE' } })
      .toArray()
      .catch((caught: unknown) => caught);
    expect((error as MongoServerError).code).toBe(2);
    expect((error as MongoServerError).message).toBe(`Field 'locale' is invalid in: { locale: "xx_NOPE" }`);
  });
});
