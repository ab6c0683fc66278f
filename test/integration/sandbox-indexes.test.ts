import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Double, Int32, Long, MongoClient, type Db, type Document } from 'mongodb';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';

type Row = { _id: number; [field: string]: unknown };

let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
const dbName = uniqueDbName('indexes');

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
  db = client.db(dbName);
});

afterAll(async () => {
  await client?.db(dbName).dropDatabase();
  await client?.close();
  await server?.stop();
});

function createIndexes(collection: string, indexes: Document[]): Promise<Document> {
  return db.command({ createIndexes: collection, indexes });
}

async function listed(collection: string, raw = false): Promise<Document[]> {
  const reply = await db.command({ listIndexes: collection }, raw ? { promoteValues: false } : {});
  return reply.cursor.firstBatch;
}

describe('createIndexes', () => {
  it('creates the collection when needed and reports the index counts', async () => {
    const reply = await createIndexes('fresh', [
      { key: { a: 1 }, name: 'a_1' },
      { key: { b: -1 }, name: 'b_-1' },
    ]);
    expect(reply).toMatchObject({
      numIndexesBefore: 1,
      numIndexesAfter: 3,
      createdCollectionAutomatically: true,
      ok: 1,
    });
    expect((await listed('fresh')).map((index) => index.name)).toEqual(['_id_', 'a_1', 'b_-1']);
  });

  it('treats an identical index as already there', async () => {
    await createIndexes('same', [{ key: { a: 1 }, name: 'a_1' }]);
    const reply = await createIndexes('same', [{ key: { a: 1.0 }, name: 'a_1' }]);
    expect(reply).toMatchObject({ numIndexesBefore: 2, numIndexesAfter: 2, note: 'all indexes already exist' });
    expect(reply.createdCollectionAutomatically).toBeUndefined();
  });

  it('keeps key values and options as given, adding only v', async () => {
    await createIndexes('verbatim', [
      { key: { h: 'hashed' }, name: 'h_hashed' },
      { key: { a: new Double(-1), b: Long.fromNumber(1) }, name: 'compound', sparse: true },
      { key: { 'c.$**': 1 }, name: 'wild' },
      { key: { d: 1 }, name: 'partial', partialFilterExpression: { d: { $gt: 5 } } },
    ]);
    const indexes = await listed('verbatim', true);
    expect(indexes[1]).toEqual({ v: new Int32(2), key: { h: 'hashed' }, name: 'h_hashed' });
    expect(indexes[2].key).toEqual({ a: new Double(-1), b: Long.fromNumber(1) });
    expect(indexes[2].sparse).toBe(true);
    expect(indexes[3]).toEqual({ v: new Int32(2), key: { 'c.$**': new Int32(1) }, name: 'wild' });
    expect(indexes[4].partialFilterExpression).toEqual({ d: { $gt: new Int32(5) } });
  });

  it('completes text and 2dsphere specs as mongod stores them', async () => {
    await createIndexes('special', [
      { key: { title: 'text', body: 'text' }, name: 'text' },
      { key: { location: '2dsphere' }, name: 'geo' },
    ]);
    const [, text, geo] = await listed('special');
    expect(text).toEqual({
      v: 2,
      key: { _fts: 'text', _ftsx: 1 },
      name: 'text',
      weights: { body: 1, title: 1 },
      default_language: 'english',
      language_override: 'language',
      textIndexVersion: 3,
    });
    expect(geo).toEqual({ v: 2, key: { location: '2dsphere' }, name: 'geo', '2dsphereIndexVersion': 3 });
  });

  it('accepts a listIndexes spec back unchanged, as a migration copies it', async () => {
    const [, text] = await listed('special');
    await createIndexes('copied', [text]);
    const [, copy] = await listed('copied');
    expect(copy).toEqual(text);
  });

  it('reports IndexKeySpecsConflict for another index under an existing name', async () => {
    await createIndexes('conflicts', [{ key: { a: 1 }, name: 'a_1' }]);
    await expect(createIndexes('conflicts', [{ key: { b: 1 }, name: 'a_1' }])).rejects.toMatchObject({
      code: 86,
      codeName: 'IndexKeySpecsConflict',
      message:
        'An existing index has the same name as the requested index. When index names are not specified, they are ' +
        'auto generated and can cause conflicts. Please refer to our documentation. Requested index: ' +
        '{ v: 2, key: { b: 1 }, name: "a_1" }, existing index: { v: 2, key: { a: 1 }, name: "a_1" }',
    });
  });

  it('reports IndexOptionsConflict for the same index under another name', async () => {
    await expect(createIndexes('conflicts', [{ key: { a: 1 }, name: 'other' }])).rejects.toMatchObject({
      code: 85,
      codeName: 'IndexOptionsConflict',
      message: 'Index already exists with a different name: a_1',
    });
  });

  it('refuses an unknown option inside the "Error in specification" message', async () => {
    await expect(createIndexes('invalid', [{ key: { u: 1 }, bogus: true, name: 'u_1' }])).rejects.toMatchObject({
      code: 197,
      message:
        'Error in specification { key: { u: 1 }, bogus: true, name: "u_1" } :: caused by :: The field \'bogus\' is ' +
        'not valid for an index specification. Specification: { key: { u: 1 }, bogus: true, name: "u_1" }',
    });
  });

  it('requires a name', async () => {
    await expect(createIndexes('invalid', [{ key: { v: 1 } }])).rejects.toMatchObject({
      code: 9,
      message:
        "Error in specification { key: { v: 1 } } :: caused by :: The 'name' field is a required property of an index specification",
    });
  });

  it('refuses a zero in the key pattern and builds nothing of the command', async () => {
    await expect(
      createIndexes('never-created', [
        { key: { a: 1 }, name: 'a_1' },
        { key: { z: 0 }, name: 'z_0' },
      ]),
    ).rejects.toMatchObject({
      code: 67,
      message:
        'Error in specification { key: { z: 0 }, name: "z_0" } :: caused by :: Values in the index key pattern cannot be 0.',
    });
    await expect(db.command({ listIndexes: 'never-created' })).rejects.toMatchObject({ code: 26 });
  });

  it('refuses mixing sparse with a partial filter', async () => {
    await expect(
      createIndexes('invalid', [{ key: { p: 1 }, sparse: true, partialFilterExpression: { a: 1 }, name: 'p_1' }]),
    ).rejects.toMatchObject({
      code: 67,
      message:
        'Error in specification { key: { p: 1 }, sparse: true, partialFilterExpression: { a: 1 }, name: "p_1", v: 2 } ' +
        ':: caused by :: cannot mix "partialFilterExpression" and "sparse" options',
    });
  });

  it('refuses TTL on a compound index', async () => {
    await expect(
      createIndexes('invalid', [{ key: { w: 1, a: 1 }, expireAfterSeconds: 10, name: 'w_1_a_1' }]),
    ).rejects.toMatchObject({ code: 67 });
  });

  it('refuses options the _id index cannot have', async () => {
    await expect(createIndexes('invalid', [{ key: { _id: 1 }, name: '_id_', unique: true }])).rejects.toMatchObject({
      code: 197,
      message:
        'The field \'unique\' is not valid for an _id index specification. Specification: { key: { _id: 1 }, name: "_id_", unique: true, v: 2 }',
    });
  });
});

describe('unique indexes', () => {
  it('fails to build over duplicates with DuplicateKey', async () => {
    await db.collection<Row>('dups').insertMany([
      { _id: 1, a: 1 },
      { _id: 2, a: 1 },
    ]);
    await expect(createIndexes('dups', [{ key: { a: 1 }, name: 'a_1', unique: true }])).rejects.toMatchObject({
      code: 11000,
      keyPattern: { a: 1 },
      keyValue: { a: 1 },
    });
    expect((await listed('dups')).map((index) => index.name)).toEqual(['_id_']);
  });

  it('refuses a duplicate insert and reports keyPattern and keyValue', async () => {
    await createIndexes('unique', [{ key: { email: 1 }, name: 'email_1', unique: true }]);
    await db.collection<Row>('unique').insertOne({ _id: 1, email: 'a@example.com' });
    await expect(db.collection<Row>('unique').insertOne({ _id: 2, email: 'a@example.com' })).rejects.toMatchObject({
      code: 11000,
      keyPattern: { email: 1 },
      keyValue: { email: 'a@example.com' },
    });
  });

  it('leaves documents without the field out of a sparse unique index', async () => {
    await createIndexes('sparse-unique', [{ key: { s: 1 }, name: 's_1', unique: true, sparse: 1 }]);
    const collection = db.collection<Row>('sparse-unique');
    await collection.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3, s: 1 }]);
    await expect(collection.insertOne({ _id: 4, s: 1 })).rejects.toMatchObject({ code: 11000 });
    expect((await listed('sparse-unique'))[1]).toEqual({
      v: 2,
      key: { s: 1 },
      name: 's_1',
      unique: true,
      sparse: true,
    });
  });

  it('only enforces uniqueness on documents matching a partial filter', async () => {
    await createIndexes('partial-unique', [
      { key: { code: 1 }, name: 'code_1', unique: true, partialFilterExpression: { active: true } },
    ]);
    const collection = db.collection<Row>('partial-unique');
    await collection.insertMany([
      { _id: 1, code: 'x', active: false },
      { _id: 2, code: 'x', active: false },
      { _id: 3, code: 'x', active: true },
    ]);
    await expect(collection.insertOne({ _id: 4, code: 'x', active: true })).rejects.toMatchObject({ code: 11000 });
  });
});

describe('listIndexes', () => {
  it('hands out the indexes in batches over a cursor', async () => {
    await createIndexes('batched', [
      { key: { a: 1 }, name: 'a_1' },
      { key: { b: 1 }, name: 'b_1' },
    ]);
    const first = await db.command({ listIndexes: 'batched', cursor: { batchSize: 2 } });
    expect(first.cursor.firstBatch).toHaveLength(2);
    expect(String(first.cursor.id)).not.toBe('0');
    expect(first.cursor.ns).toBe(`${dbName}.$cmd.listIndexes.batched`);
    const all = await db.collection('batched').listIndexes({ batchSize: 1 }).toArray();
    expect(all.map((index) => index.name)).toEqual(['_id_', 'a_1', 'b_1']);
  });

  it('reports a missing collection as NamespaceNotFound and a view as CommandNotSupportedOnView', async () => {
    await expect(db.command({ listIndexes: 'nowhere' })).rejects.toMatchObject({
      code: 26,
      message: `ns does not exist: ${dbName}.nowhere`,
    });
    await db.createCollection('a-view', { viewOn: 'batched', pipeline: [] });
    await expect(db.command({ listIndexes: 'a-view' })).rejects.toMatchObject({
      code: 166,
      message: `Namespace ${dbName}.a-view is a view, not a collection`,
    });
  });
});

describe('dropIndexes', () => {
  async function prepared(name: string): Promise<void> {
    await db.collection<Row>(name).insertOne({ _id: 1 });
    await createIndexes(name, [
      { key: { a: 1 }, name: 'a_1' },
      { key: { b: 1 }, name: 'b_1' },
      { key: { c: 1 }, name: 'c_1' },
    ]);
  }

  it('drops by name, by key pattern and by a list of names', async () => {
    await prepared('drops');
    expect(await db.command({ dropIndexes: 'drops', index: 'a_1' })).toMatchObject({ nIndexesWas: 4 });
    await db.command({ dropIndexes: 'drops', index: { b: 1 } });
    await db.command({ dropIndexes: 'drops', index: ['c_1'] });
    expect((await listed('drops')).map((index) => index.name)).toEqual(['_id_']);
  });

  it('drops every index but _id_ for "*"', async () => {
    await prepared('drops-all');
    expect(await db.command({ dropIndexes: 'drops-all', index: '*' })).toMatchObject({
      nIndexesWas: 4,
      msg: 'non-_id indexes dropped for collection',
    });
    expect((await listed('drops-all')).map((index) => index.name)).toEqual(['_id_']);
  });

  it('never drops the _id index and reports a missing index', async () => {
    await prepared('drops-refused');
    await expect(db.command({ dropIndexes: 'drops-refused', index: '_id_' })).rejects.toMatchObject({
      code: 72,
      message: 'cannot drop _id index',
    });
    await expect(db.command({ dropIndexes: 'drops-refused', index: ['a_1', 'nope'] })).rejects.toMatchObject({
      code: 27,
      message: 'index not found with name [nope]',
    });
    await expect(db.command({ dropIndexes: 'drops-refused', index: { zz: 1 } })).rejects.toMatchObject({
      code: 27,
      message: "can't find index with key: { zz: 1 }",
    });
    expect((await listed('drops-refused')).map((index) => index.name)).toEqual(['_id_', 'a_1', 'b_1', 'c_1']);
  });
});

describe('collMod on indexes', () => {
  it('hides an index and says what changed, once', async () => {
    await createIndexes('hiding', [{ key: { a: 1 }, name: 'a_1' }]);
    const hide = await db.command({ collMod: 'hiding', index: { name: 'a_1', hidden: true } });
    expect(hide).toMatchObject({ hidden_old: false, hidden_new: true });
    const again = await db.command({ collMod: 'hiding', index: { keyPattern: { a: 1 }, hidden: true } });
    expect(again.hidden_old).toBeUndefined();
    expect((await listed('hiding'))[1]).toEqual({ v: 2, key: { a: 1 }, name: 'a_1', hidden: true });
  });

  it('changes a TTL and reports the old and new values as longs', async () => {
    await createIndexes('ttl', [{ key: { at: 1 }, name: 'at_1', expireAfterSeconds: 3600 }]);
    const reply = await db.command(
      { collMod: 'ttl', index: { name: 'at_1', expireAfterSeconds: 60 } },
      { promoteLongs: false },
    );
    expect(reply.expireAfterSeconds_old).toEqual(Long.fromNumber(3600));
    expect(reply.expireAfterSeconds_new).toEqual(Long.fromNumber(60));
    expect((await listed('ttl'))[1].expireAfterSeconds).toBe(60);
  });

  it('converts an index to unique in two steps and lists the duplicates that prevent it', async () => {
    const collection = db.collection<Row>('convert');
    await collection.insertMany([
      { _id: 1, x: 1 },
      { _id: 2, x: 1 },
    ]);
    await createIndexes('convert', [{ key: { x: 1 }, name: 'x_1' }]);
    await expect(db.command({ collMod: 'convert', index: { name: 'x_1', unique: true } })).rejects.toMatchObject({
      code: 72,
    });
    expect(await db.command({ collMod: 'convert', index: { name: 'x_1', prepareUnique: true } })).toMatchObject({
      prepareUnique_old: false,
      prepareUnique_new: true,
    });
    await expect(collection.insertOne({ _id: 3, x: 1 })).rejects.toMatchObject({ code: 11000 });
    await expect(db.command({ collMod: 'convert', index: { name: 'x_1', unique: true } })).rejects.toMatchObject({
      code: 359,
      codeName: 'CannotConvertIndexToUnique',
      violations: [{ ids: [1, 2] }],
    });
    await collection.deleteOne({ _id: 2 });
    expect(await db.command({ collMod: 'convert', index: { name: 'x_1', unique: true } })).toMatchObject({
      unique_new: true,
    });
    expect((await listed('convert'))[1]).toMatchObject({ unique: true, name: 'x_1' });
  });

  it('drops prepareUnique from the index once it is converted to unique', async () => {
    await db.collection<Row>('convert-reset').insertOne({ _id: 1, sku: 'a' });
    await createIndexes('convert-reset', [{ key: { sku: 1 }, name: 'sku_1' }]);
    const changeKeys = (reply: Document) => Object.keys(reply).filter((key) => /_(old|new)$/.test(key));

    const prepare = await db.command({ collMod: 'convert-reset', index: { name: 'sku_1', prepareUnique: true } });
    expect(changeKeys(prepare)).toEqual(['prepareUnique_old', 'prepareUnique_new']);
    expect(prepare).toMatchObject({ prepareUnique_old: false, prepareUnique_new: true });
    expect((await listed('convert-reset'))[1]).toEqual({ v: 2, key: { sku: 1 }, name: 'sku_1', prepareUnique: true });

    const convert = await db.command({ collMod: 'convert-reset', index: { name: 'sku_1', unique: true } });
    expect(changeKeys(convert)).toEqual(['unique_new']);
    expect(convert.unique_new).toBe(true);
    expect((await listed('convert-reset'))[1]).toEqual({ v: 2, key: { sku: 1 }, name: 'sku_1', unique: true });

    const again = await db.command({ collMod: 'convert-reset', index: { name: 'sku_1', prepareUnique: true } });
    expect(changeKeys(again)).toEqual([]);
    expect((await listed('convert-reset'))[1]).toEqual({ v: 2, key: { sku: 1 }, name: 'sku_1', unique: true });
  });

  it('reports an unknown index and a request without a change', async () => {
    await createIndexes('hiding-errors', [{ key: { a: 1 }, name: 'a_1' }]);
    await expect(db.command({ collMod: 'hiding-errors', index: { name: 'nope', hidden: true } })).rejects.toMatchObject(
      {
        code: 27,
        message: `cannot find index nope for ns ${dbName}.hiding-errors`,
      },
    );
    await expect(db.command({ collMod: 'hiding-errors', index: { name: 'a_1' } })).rejects.toMatchObject({
      code: 72,
      message: 'no expireAfterSeconds, hidden, unique, or prepareUnique field',
    });
    await expect(db.command({ collMod: 'hiding-errors', index: { name: '_id_', hidden: true } })).rejects.toMatchObject(
      {
        code: 2,
        message: "can't hide _id index",
      },
    );
  });
});
