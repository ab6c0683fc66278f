import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';

let server: ServerUnderTest;
let client: MongoClient;
const dbName = uniqueDbName('capped');

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri).connect();
});

afterAll(async () => {
  await client?.db(dbName).dropDatabase();
  await client?.close();
  await server?.stop();
});

describe('capped collections', () => {
  it('evicts the oldest documents once `max` is reached, keeping insertion order', async () => {
    const db = client.db(dbName);
    await db.createCollection('byCount', { capped: true, size: 1024 * 1024, max: 5 });
    const collection = db.collection<{ _id: number }>('byCount');
    for (let i = 1; i <= 8; i++) await collection.insertOne({ _id: i });
    const natural = await collection.find().toArray();
    expect(natural.map(({ _id }) => _id)).toEqual([4, 5, 6, 7, 8]);
    const reversed = await collection.find().sort({ $natural: -1 }).toArray();
    expect(reversed.map(({ _id }) => _id)).toEqual([8, 7, 6, 5, 4]);
  });

  it('evicts the oldest documents once the size in bytes is exceeded', async () => {
    const db = client.db(dbName);
    await db.createCollection('bySize', { capped: true, size: 4096 });
    const collection = db.collection<{ _id: number; pad: string }>('bySize');
    for (let i = 1; i <= 40; i++) await collection.insertOne({ _id: i, pad: 'x'.repeat(500) });
    const ids = (await collection.find().toArray()).map(({ _id }) => _id);
    expect(ids.length).toBeLessThan(40);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.at(-1)).toBe(40);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const stats = await db.command({ collStats: 'bySize' });
    expect(stats.capped).toBe(true);
    expect(stats.size).toBeLessThanOrEqual(4096);
  });
});
