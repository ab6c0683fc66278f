// What the Connections and Scope screens show before a migration: the connection report of each side
// (version, topology, members, privileges, oplog window, latency, sandbox flag) and the namespace tree
// with kinds, counts and sizes.
import { MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../engine/sandbox/index.js';
import { external, newEngine, ok, seed, startClusters, testNames, type Clusters } from './migration-helpers.js';

let clusters: Clusters;

beforeAll(async () => {
  clusters = await startClusters();
});

afterAll(async () => {
  await clusters?.stop();
});

describe('testConnection', () => {
  it('reports version, topology, members, privileges, oplog window and latency, without the password', async () => {
    const engine = newEngine(testNames('connection').metadataDb);
    try {
      ok(await engine.setConnection('source', { uri: clusters.sourceUri }));
      await clusters.source.db(testNames('oplog').db).collection('c').insertOne({ written: true });
      const report = ok(await engine.testConnection('source'));
      expect(report).toMatchObject({ side: 'source', topology: 'replicaSet', sandbox: !external });
      expect(report.serverVersion).toMatch(/^\d+\.\d+/);
      expect(report.members.length).toBeGreaterThan(0);
      expect(report.privileges.sufficient).toBe(true);
      expect(report.oplogWindowSeconds).toBeGreaterThanOrEqual(0);
      expect(report.pingMs).toBeGreaterThanOrEqual(0);
      expect(await engine.testConnection('target')).toMatchObject({ ok: false, error: { code: 'NOT_CONNECTED' } });
    } finally {
      await engine.close();
    }
  });

  it('names the privileges a read-only source user lacks, and never shows its password', async () => {
    if (external) return; // creates users on a sandbox of its own
    const secured = await startSandbox({ port: 0, auth: { user: 'admin', password: 'secret-admin' } });
    const engine = newEngine(testNames('privileges').metadataDb);
    try {
      await engine.setConnection('source', { uri: secured.uri });
      const admin = ok(await engine.testConnection('source'));
      expect(admin.privileges.sufficient).toBe(true);
      expect(admin.redactedUri).not.toContain('secret-admin');

      const root = new MongoClient(secured.uri);
      await root
        .db('admin')
        .command({ createUser: 'reader', pwd: 'secret-reader', roles: [{ role: 'read', db: 'app' }] } as Document);
      await root.close();
      const readerUri = secured.uri.replace('admin:secret-admin@', 'reader:secret-reader@');
      ok(await engine.setConnection('source', { uri: `${readerUri}&authSource=admin` }));
      const reader = ok(await engine.testConnection('source'));
      expect(reader.privileges).toMatchObject({ sufficient: false, roles: ['read@app'] });
      expect(reader.privileges.missing).toContain('changeStream on every database (cluster-wide stream)');
      expect(reader.redactedUri).not.toContain('secret-reader');
    } finally {
      await engine.close();
      await secured.stop();
    }
  });
});

describe('listNamespaces', () => {
  it('lists databases with their collections, kinds, counts and sizes, leaving out internal ones', async () => {
    const names = testNames('scope');
    const db = clusters.source.db(names.db);
    await seed(clusters.source, names.db, 'plain', 300);
    await db.createCollection('capped', { capped: true, size: 100_000 });
    await db.createCollection('clustered', { clusteredIndex: { key: { _id: 1 }, unique: true } });
    await db.createCollection('view', { viewOn: 'plain', pipeline: [{ $match: { n: { $gt: 5 } } }] });
    await db.collection('plain').createIndex({ s: 1 });
    const engine = newEngine(names.metadataDb);
    try {
      ok(await engine.setConnection('source', { uri: clusters.sourceUri }));
      const databases = ok(await engine.listNamespaces());
      expect(databases.map((database) => database.name)).not.toContain('admin');
      expect(databases.map((database) => database.name)).not.toContain('local');
      const listed = databases.find((database) => database.name === names.db);
      const byName = new Map(listed?.collections.map((collection) => [collection.name, collection]));
      expect(byName.get('plain')).toMatchObject({ kind: 'collection', documents: 300, indexes: 2 });
      expect(byName.get('plain')?.sizeBytes).toBeGreaterThan(0);
      expect(byName.get('capped')?.kind).toBe('capped');
      expect(byName.get('clustered')?.kind).toBe('clustered');
      expect(byName.get('view')?.kind).toBe('view');
      expect(listed?.sizeBytes).toBeGreaterThanOrEqual(byName.get('plain')?.sizeBytes ?? 0);
    } finally {
      await engine.close();
    }
  });
});
