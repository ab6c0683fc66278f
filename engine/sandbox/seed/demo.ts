// Loads the demo data set (shop, analytics, hr) through the official driver, against the sandbox's own
// URI, so seeding exercises the same wire path as every client. The data is deterministic.
import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { analyticsDatabase } from './analytics.js';
import { hrDatabase } from './hr.js';
import { shopDatabase } from './shop.js';
import type { DemoCollection, DemoDatabase } from './types.js';

const INSERT_BATCH = 1000;

export function demoDatabases(): DemoDatabase[] {
  return [shopDatabase(), analyticsDatabase(), hrDatabase()];
}

export async function seedDemo(uri: string, options: MongoClientOptions = {}): Promise<void> {
  const client = new MongoClient(uri, { ...options, appName: 'ferry-demo-seed' });
  try {
    await client.connect();
    for (const database of demoDatabases()) {
      const db = client.db(database.name);
      for (const collection of database.collections) await loadCollection(db, collection);
    }
  } finally {
    await client.close();
  }
}

/** Creates the collection, inserts its documents, then builds its indexes (as mongorestore does). */
async function loadCollection(db: Db, spec: DemoCollection): Promise<void> {
  const collection = await db.createCollection(spec.name, spec.options);
  const documents = spec.documents ?? [];
  for (let start = 0; start < documents.length; start += INSERT_BATCH)
    await collection.insertMany(documents.slice(start, start + INSERT_BATCH), { ordered: true });
  if (spec.indexes?.length) await collection.createIndexes([...spec.indexes]);
}
