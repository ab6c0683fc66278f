import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type Collection } from 'mongodb';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';

let server: ServerUnderTest;
let client: MongoClient;
let collection: Collection<{ _id: number; a: number; b: { c: number; d: number } }>;
const dbName = uniqueDbName('projection');

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri).connect();
  collection = client.db(dbName).collection('docs');
  await collection.insertOne({ _id: 1, a: 1, b: { c: 2, d: 3 } });
});

afterAll(async () => {
  await client?.db(dbName).dropDatabase();
  await client?.close();
  await server?.stop();
});

describe('find projections', () => {
  it('returns only _id for { _id: 1 }', async () => {
    expect(await collection.find({}, { projection: { _id: 1 } }).toArray()).toEqual([{ _id: 1 }]);
  });

  it('drops only _id for { _id: 0 }', async () => {
    expect(await collection.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ a: 1, b: { c: 2, d: 3 } }]);
  });

  it('includes dotted paths with _id by default', async () => {
    expect(await collection.find({}, { projection: { 'b.c': 1 } }).toArray()).toEqual([{ _id: 1, b: { c: 2 } }]);
  });

  it('excludes dotted paths', async () => {
    expect(await collection.find({}, { projection: { 'b.c': 0, a: 0 } }).toArray()).toEqual([{ _id: 1, b: { d: 3 } }]);
  });

  it('puts _id first in computed projections, in find and in $project', async () => {
    const projection = { x: { $add: ['$a', 1] }, a: 1 };
    const [found] = await collection.find({}, { projection }).toArray();
    const [projected] = await collection.aggregate([{ $project: projection }]).toArray();
    expect(Object.keys(found)).toEqual(['_id', 'a', 'x']);
    expect(Object.keys(projected)).toEqual(['_id', 'a', 'x']);
  });

  it('refuses mixing inclusion and exclusion', async () => {
    await expect(collection.find({}, { projection: { a: 1, b: 0 } }).toArray()).rejects.toMatchObject({ code: 31254 });
  });
});

describe('filters', () => {
  it('refuses an invalid filter even on a collection that does not exist', async () => {
    const missing = client.db(dbName).collection('doesNotExist');
    await expect(missing.find({ a: { $noSuchOperator: 1 } }).toArray()).rejects.toMatchObject({ code: 2 });
  });
});
