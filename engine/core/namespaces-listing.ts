// The Scope screen's tree: every database of the source with its collections, their kind (so the UI
// can badge views, capped, clustered and time series collections, and grey out system ones), document
// counts, sizes and index counts. MongoDB's internal databases and Ferry's metadata database are left
// out: they are never copied. Sizes come from $collStats storage stats (summed over shards), which is
// cheap; a collection the user may not measure is listed with zeros rather than hidden.
import type { Db, Document, MongoClient } from 'mongodb';
import type { DatabaseInfo, NamespaceInfo } from '../protocol.js';
import { kindOfOptions } from './catalog/collection-options.js';
import { toOrdered } from './catalog/documents.js';

const neverListed = new Set(['admin', 'config', 'local']);

export async function listNamespaces(source: MongoClient, metadataDb: string): Promise<DatabaseInfo[]> {
  const { databases } = await source.db('admin').admin().listDatabases({ nameOnly: true });
  const result: DatabaseInfo[] = [];
  for (const { name } of databases) {
    if (neverListed.has(name) || name === metadataDb) continue;
    const collections = await listDatabase(source.db(name));
    result.push({
      name,
      sizeBytes: collections.reduce((sum, collection) => sum + collection.sizeBytes, 0),
      collections,
    });
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}

async function listDatabase(db: Db): Promise<NamespaceInfo[]> {
  const entries = await db.listCollections({}, { nameOnly: false }).toArray();
  const collections: NamespaceInfo[] = [];
  for (const entry of entries) {
    const name = String(entry.name);
    const options = toOrdered(entry.options ?? {});
    const kind = name.startsWith('system.') ? 'system' : kindOfOptions(String(entry.type), options);
    const info: NamespaceInfo = { db: db.databaseName, name, kind, documents: 0, sizeBytes: 0, indexes: 0 };
    if (entry.type !== 'view') Object.assign(info, await measure(db, name));
    collections.push(info);
  }
  return collections.sort((a, b) => a.name.localeCompare(b.name));
}

async function measure(db: Db, name: string): Promise<Pick<NamespaceInfo, 'documents' | 'sizeBytes' | 'indexes'>> {
  try {
    const rows = await db
      .collection(name)
      .aggregate<Document>([{ $collStats: { storageStats: {} } }])
      .toArray();
    let documents = 0;
    let sizeBytes = 0;
    let indexes = 0;
    for (const row of rows) {
      const storage: Document = row.storageStats ?? {};
      documents += Number(storage.count ?? 0);
      sizeBytes += Number(storage.size ?? 0);
      indexes = Math.max(indexes, Number(storage.nindexes ?? 0));
    }
    if (indexes === 0) indexes = (await db.collection(name).listIndexes().toArray()).length;
    return { documents, sizeBytes, indexes };
  } catch {
    return { documents: 0, sizeBytes: 0, indexes: 0 };
  }
}
