// What the migration will copy: the selected collections and views of the source, with their options,
// index specs and sizes, largest first (the biggest collection bounds the clone's duration, so it
// starts first). Time series collections are listed like the rest: preflight must say that they
// cannot be synced, never skip them silently.
import type { Binary, Db } from 'mongodb';
import type { OrderedDocument } from '../bson/ordered.js';
import { classify } from '../errors.js';
import type { EngineContext, SourceCollection } from '../parts.js';
import { numberOf, stringOf, subDocument } from './documents.js';
import { kindOf } from './collection-options.js';
import { aggregate, listCollections, listIndexes } from './raw-reads.js';

export async function listSource(ctx: EngineContext): Promise<SourceCollection[]> {
  const { databases } = await ctx.source.db('admin').admin().listDatabases({ nameOnly: true });
  const collections: SourceCollection[] = [];
  for (const { name } of databases) {
    if (!ctx.filter.isDatabaseSelected(name)) continue;
    collections.push(...(await listDatabase(ctx, ctx.source.db(name))));
  }
  return collections.sort(
    (a, b) => b.sizeBytes - a.sizeBytes || `${a.db}.${a.name}`.localeCompare(`${b.db}.${b.name}`),
  );
}

async function listDatabase(ctx: EngineContext, db: Db): Promise<SourceCollection[]> {
  const collections: SourceCollection[] = [];
  for (const entry of await listCollections(db)) {
    const name = stringOf(entry, 'name');
    if (name === undefined || !ctx.filter.isSelected(db.databaseName, name)) continue;
    const collection = await describe(ctx, db, name, entry);
    if (collection) collections.push(collection);
  }
  return collections;
}

async function describe(
  ctx: EngineContext,
  db: Db,
  name: string,
  entry: OrderedDocument,
): Promise<SourceCollection | undefined> {
  const kind = kindOf(entry);
  const options = subDocument(entry, 'options') ?? new Map();
  const uuid = subDocument(entry, 'info')?.get('uuid') as Binary | undefined;
  const collection: SourceCollection = {
    db: db.databaseName,
    name,
    kind,
    options,
    indexes: [],
    documents: 0,
    sizeBytes: 0,
    avgObjSize: 0,
  };
  if (uuid) collection.uuid = uuid;
  if (kind === 'view') return collection;
  try {
    collection.indexes = await listIndexes(db, name);
    Object.assign(collection, await statsOf(ctx, db, name));
  } catch (error) {
    // Dropped between listCollections and now: the change stream will say so too.
    if (classify(error).code === 'NAMESPACE_NOT_FOUND') return undefined;
    throw error;
  }
  return collection;
}

type Stats = Pick<SourceCollection, 'documents' | 'sizeBytes' | 'avgObjSize'>;

async function statsOf(ctx: EngineContext, db: Db, name: string): Promise<Stats> {
  let rows: OrderedDocument[];
  try {
    rows = await aggregate(db, name, [{ $collStats: { storageStats: {} } }]);
  } catch (error) {
    if (classify(error).code === 'NAMESPACE_NOT_FOUND') throw error;
    ctx.log.warn('collection sizes unavailable; progress will be estimated from the document count', {
      namespace: `${db.databaseName}.${name}`,
      error: classify(error).message,
    });
    return { documents: await db.collection(name).estimatedDocumentCount(), sizeBytes: 0, avgObjSize: 0 };
  }
  // A sharded collection has one row per shard (PCSM reads only the first).
  let documents = 0;
  let sizeBytes = 0;
  for (const row of rows) {
    const storage = subDocument(row, 'storageStats');
    documents += numberOr0(storage?.get('count'));
    sizeBytes += numberOr0(storage?.get('size'));
  }
  return { documents, sizeBytes, avgObjSize: documents > 0 ? Math.round(sizeBytes / documents) : 0 };
}

function numberOr0(value: unknown): number {
  const number = numberOf(value);
  return Number.isFinite(number) ? number : 0;
}
