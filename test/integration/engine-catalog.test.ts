// The catalog against two servers: listing the source, creating collections with every option and
// indexes in relaxed form, replaying DDL events, restoring indexes at finalize.
import { Double, Int32, Long, type Db, type Timestamp } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOrdered, type OrderedDocument } from '../../engine/core/bson/ordered.js';
import { createCatalog } from '../../engine/core/catalog.js';
import { RELAXED_TTL_SECONDS } from '../../engine/core/catalog/relaxed-index.js';
import type { Catalog, SourceCollection } from '../../engine/core/parts.js';
import { expectClustersIdentical } from '../support/compare-clusters.js';
import {
  changeEventsSince,
  clusterTime,
  ddlEvents,
  startPair,
  testContext,
  type MigrationPair,
  type TestContext,
} from '../support/migration-pair.js';
import { uniqueDbName } from '../support/server-under-test.js';

let pair: MigrationPair;

beforeAll(async () => {
  pair = await startPair();
});

afterAll(async () => {
  await pair.stop();
});

/** A fresh database on the source, a context selecting it, and a catalog over that context. */
function scenario(prefix: string): { dbName: string; source: Db; target: Db; ctx: TestContext; catalog: Catalog } {
  const dbName = uniqueDbName(prefix);
  const ctx = testContext(pair, { include: [`${dbName}.*`] });
  return { dbName, source: pair.source.db(dbName), target: pair.target.db(dbName), ctx, catalog: createCatalog(ctx) };
}

function compare(dbName: string): Promise<void> {
  return expectClustersIdentical(pair.sourceUri, pair.targetUri, {
    namespaces: (namespace) => namespace.startsWith(`${dbName}.`),
  });
}

async function prepareAll(catalog: Catalog): Promise<SourceCollection[]> {
  const collections = await catalog.listSource();
  for (const collection of collections) await catalog.prepareTarget(collection, { dropExisting: false });
  return collections;
}

async function targetIndexes(db: Db, collection: string): Promise<Map<string, OrderedDocument>> {
  const specs = await db.collection(collection).listIndexes({ raw: true }).toArray();
  return new Map(
    specs.map((raw) => {
      const spec = decodeOrdered(raw as unknown as Uint8Array);
      return [String(spec.get('name')), spec];
    }),
  );
}

async function targetOptions(db: Db, collection: string): Promise<OrderedDocument> {
  const [raw] = await db.listCollections({ name: collection }, { raw: true }).toArray();
  return decodeOrdered(raw as unknown as Uint8Array).get('options') as OrderedDocument;
}

describe('listing the source', () => {
  it('lists the selected collections and views with their kind, size and indexes, largest first', async () => {
    const { dbName, source } = scenario('list');
    await source.collection('small').insertOne({ a: 1 });
    await source.collection('large').insertMany(Array.from({ length: 50 }, (_, i) => ({ i, pad: 'x'.repeat(100) })));
    await source.createIndex('large', { i: 1 }, { name: 'i_1' });
    await source.createCollection('capped', { capped: true, size: 4096 });
    await source.command({ create: 'clustered', clusteredIndex: { key: { _id: 1 }, unique: true } });
    await source.command({ create: 'view', viewOn: 'small', pipeline: [{ $match: { a: 1 } }] });
    await source.collection('excluded').insertOne({ a: 1 });
    await pair.source.db(`${dbName}_other`).collection('elsewhere').insertOne({ a: 1 });
    const filtered = testContext(pair, { include: [`${dbName}.*`], exclude: [`${dbName}.excluded`] });

    const collections = await createCatalog(filtered).listSource();

    expect(collections.map((c) => [c.name, c.kind])).toEqual([
      ['large', 'collection'],
      ['small', 'collection'],
      ['capped', 'capped'],
      ['clustered', 'clustered'],
      ['view', 'view'],
    ]);
    const large = collections[0];
    expect(large.documents).toBe(50);
    expect(large.sizeBytes).toBeGreaterThan(50 * 100);
    expect(large.avgObjSize).toBeGreaterThan(100);
    expect(large.indexes.map((spec) => (spec as OrderedDocument).get('name'))).toEqual(['_id_', 'i_1']);
    expect((collections[4].options as OrderedDocument).get('viewOn')).toBe('small');
  });
});

describe('preparing the target', () => {
  it('creates collections and views with every source option', async () => {
    const { dbName, source, target, catalog } = scenario('options');
    await source.createCollection('capped', { capped: true, size: 8192, max: 100 });
    await source.command({
      create: 'clustered',
      clusteredIndex: { key: { _id: 1 }, unique: true, name: 'by_id' },
      expireAfterSeconds: new Long(3600),
    });
    await source.command({ create: 'collated', collation: { locale: 'fr', strength: 2 } });
    await source.command({
      create: 'validated',
      validator: { name: { $type: 'string' }, n: { $gte: new Int32(0) } },
      validationLevel: 'moderate',
      validationAction: 'error',
    });
    await source.command({ create: 'images', changeStreamPreAndPostImages: { enabled: true } });
    await source.command({
      create: 'engine',
      storageEngine: { wiredTiger: { configString: 'block_compressor=zstd' } },
      indexOptionDefaults: { storageEngine: { wiredTiger: {} } },
    });
    await source.command({
      create: 'view',
      viewOn: 'collated',
      pipeline: [{ $match: { score: { $gte: new Double(0.5) } } }, { $project: { _id: 0, b: 1, a: 1 } }],
      collation: { locale: 'de' },
    });

    await prepareAll(catalog);

    // The clustered collection's TTL is relaxed until finalize: the target must not delete on its own.
    expect((await targetOptions(target, 'clustered')).get('expireAfterSeconds')).toEqual(
      Long.fromNumber(RELAXED_TTL_SECONDS),
    );
    expect(await catalog.restoreIndexes()).toEqual([]);
    await compare(dbName);
  });

  it('builds every kind of index relaxed before any data, and restores the originals at finalize', async () => {
    const { dbName, source, target, catalog } = scenario('indexes');
    const document = { _id: 1, u: 1, t: new Date(), tags: ['a'], loc: { type: 'Point', coordinates: [1, 2] } };
    await source.collection<{ _id: unknown }>('c').insertOne({ ...document });
    await source.command({
      createIndexes: 'c',
      indexes: [
        { key: { u: 1 }, name: 'unique', unique: true },
        { key: { a: 1, b: -1 }, name: 'compound' },
        { key: { t: 1 }, name: 'ttl', expireAfterSeconds: 60 },
        { key: { h: 1 }, name: 'hidden', hidden: true },
        { key: { p: 1 }, name: 'partial', partialFilterExpression: { p: { $gt: 5 } } },
        { key: { s: 1 }, name: 'sparse', sparse: true },
        { key: { title: 'text', body: 'text' }, name: 'text', weights: { title: 10 }, default_language: 'french' },
        { key: { loc: '2dsphere' }, name: 'geo' },
        { key: { '$**': 1 }, name: 'wildcard', wildcardProjection: { tags: 1 } },
        { key: { k: 'hashed' }, name: 'hashed' },
        { key: { name: 1 }, name: 'collated', collation: { locale: 'fr', strength: 1 } },
        { key: { l: new Long(1), m: new Double(-1) }, name: 'numeric_keys' },
        { key: { pu: 1 }, name: 'prepare_unique', prepareUnique: true },
        { key: { uh: 1 }, name: 'unique_hidden_ttl', unique: true, hidden: true, expireAfterSeconds: new Int32(5) },
      ],
    });
    await source.command({ create: 'collection_collation', collation: { locale: 'fr' } });
    await source.command({
      createIndexes: 'collection_collation',
      indexes: [
        { key: { a: 1 }, name: 'inherits' },
        { key: { b: 1 }, name: 'simple', collation: { locale: 'simple' } },
      ],
    });

    await prepareAll(catalog);

    const relaxed = await targetIndexes(target, 'c');
    expect(relaxed.get('unique')?.has('unique')).toBe(false);
    expect(relaxed.get('ttl')?.get('expireAfterSeconds')).toEqual(new Int32(RELAXED_TTL_SECONDS));
    expect(relaxed.get('hidden')?.has('hidden')).toBe(false);
    expect(relaxed.get('prepare_unique')?.has('prepareUnique')).toBe(false);
    expect([...relaxed.get('unique_hidden_ttl')!.keys()]).not.toContain('unique');
    expect(await target.collection('c').countDocuments()).toBe(0);

    await target.collection<{ _id: unknown }>('c').insertOne({ ...document });
    expect(await catalog.restoreIndexes()).toEqual([]);
    await compare(dbName);
  });

  it('reports an index it cannot restore in the unsuccessfulIndexes shape, and goes on with the rest', async () => {
    const { source, target, catalog } = scenario('unrestorable');
    await source.command({
      createIndexes: 'c',
      indexes: [
        { key: { u: 1 }, name: 'u_1', unique: true },
        { key: { t: 1 }, name: 't_1', expireAfterSeconds: 60 },
      ],
    });
    await prepareAll(catalog);
    // Mid-sync the relaxed target may briefly hold two documents with one key; say the stream never
    // caught up before finalize.
    await target.collection('c').insertMany([{ u: 7 }, { u: 7 }]);

    const unsuccessful = await catalog.restoreIndexes();

    expect(unsuccessful).toEqual([
      {
        namespace: expect.stringMatching(/\.c$/),
        indexName: 'u_1',
        type: 'failed',
        keys: { u: 1 },
        reason: expect.any(String),
      },
    ]);
    expect((await targetIndexes(target, 'c')).get('t_1')?.get('expireAfterSeconds')).toEqual(new Int32(60));
  });

  it('refuses to create over an existing target namespace unless allowed to drop it', async () => {
    const { dbName, source, target, catalog } = scenario('existing');
    await source.collection('c').insertOne({ a: 1 });
    await target.collection('c').insertOne({ stale: true });
    const [collection] = await catalog.listSource();

    await expect(catalog.prepareTarget(collection, { dropExisting: false })).rejects.toMatchObject({
      code: 'TARGET_NAMESPACE_EXISTS',
      remedy: expect.any(String),
    });
    await catalog.prepareTarget(collection, { dropExisting: true });
    expect(await target.collection('c').countDocuments()).toBe(0);
    await target.collection('c').insertOne({ a: 1, _id: (await source.collection('c').findOne())!._id });
    await compare(dbName);
  });

  it('keeps the original specs through state() and load(), so a restarted engine can finalize', async () => {
    const { dbName, source, ctx, catalog } = scenario('reload');
    await source.command({
      create: 'clustered',
      clusteredIndex: { key: { _id: 1 }, unique: true },
      expireAfterSeconds: 99,
    });
    await source.command({
      createIndexes: 'c',
      indexes: [{ key: { k: new Long(1) }, name: 'k', unique: true, hidden: true }],
    });
    await prepareAll(catalog);

    const restarted = createCatalog(ctx);
    restarted.load(catalog.state());

    expect(await restarted.restoreIndexes()).toEqual([]);
    await compare(dbName);
  });
});

function ddlEventsSince(from: Timestamp): Promise<OrderedDocument[]> {
  return changeEventsSince(pair, from).then(ddlEvents);
}

describe('replaying DDL', () => {
  it('replays creates, index changes, collMods and renames so the target ends like the source', async () => {
    const { dbName, source, target, catalog } = scenario('ddl');
    const t0 = await clusterTime(pair);
    await source.command({
      create: 'clustered',
      clusteredIndex: { key: { _id: 1 }, unique: true },
      expireAfterSeconds: 3600,
    });
    await source.command({ create: 'capped', capped: true, size: 4096, collation: { locale: 'fr' } });
    await source.command({ create: 'plain' });
    await source.command({ create: 'view', viewOn: 'plain', pipeline: [{ $match: { a: 1 } }] });
    await source.command({
      createIndexes: 'plain',
      indexes: [
        { key: { u: 1 }, name: 'u', unique: true },
        { key: { t: new Long(1) }, name: 't', expireAfterSeconds: 10 },
        { key: { h: 1 }, name: 'h' },
        { key: { gone: 1 }, name: 'gone' },
      ],
    });
    await source.command({ createIndexes: 'capped', indexes: [{ key: { c: 1 }, name: 'c' }] });
    await source.command({ collMod: 'plain', index: { name: 't', expireAfterSeconds: 20 } });
    await source.command({ collMod: 'plain', index: { name: 'h', hidden: true } });
    await source.command({ collMod: 'plain', validator: { a: { $type: 'int' } }, validationLevel: 'moderate' });
    await source.command({ collMod: 'plain', changeStreamPreAndPostImages: { enabled: true } });
    await source.command({ collMod: 'clustered', expireAfterSeconds: 60 });
    await source.command({ collMod: 'capped', cappedSize: 8192, cappedMax: 10 });
    await source.command({ collMod: 'view', viewOn: 'clustered', pipeline: [] });
    await source.command({ dropIndexes: 'plain', index: 'gone' });
    await source.command({ create: 'before_rename' });
    await source.command({ createIndexes: 'before_rename', indexes: [{ key: { r: 1 }, name: 'r', unique: true }] });
    await pair.source.db('admin').command({ renameCollection: `${dbName}.before_rename`, to: `${dbName}.renamed` });
    await source.command({ create: 'dropped' });
    await source.collection('dropped').drop();

    for (const event of await ddlEventsSince(t0)) await catalog.applyDdl(event);

    expect((await targetIndexes(target, 'plain')).get('u')?.has('unique')).toBe(false);
    expect((await targetIndexes(target, 'plain')).get('h')?.has('hidden')).toBe(false);
    expect((await targetIndexes(target, 'renamed')).get('r')?.has('unique')).toBe(false);
    expect(await catalog.restoreIndexes()).toEqual([]);
    await compare(dbName);
  });

  it('drops what leaves the selection and refuses what enters it without its documents', async () => {
    const dbName = uniqueDbName('scope');
    const source = pair.source.db(dbName);
    const ctx = testContext(pair, { include: [`${dbName}.*`], exclude: [`${dbName}.outside`, `${dbName}.elsewhere`] });
    const catalog = createCatalog(ctx);
    await source.command({ create: 'leaving' });
    await source.command({ create: 'outside' });
    await prepareAll(catalog);
    const t0 = await clusterTime(pair);
    await pair.source.db('admin').command({ renameCollection: `${dbName}.leaving`, to: `${dbName}.elsewhere` });
    await pair.source.db('admin').command({ renameCollection: `${dbName}.outside`, to: `${dbName}.inside` });
    const [leave, enter] = (await ddlEventsSince(t0)).filter((event) => event.get('operationType') === 'rename');

    await catalog.applyDdl(leave);
    await expect(catalog.applyDdl(enter)).rejects.toMatchObject({ code: 'RENAMED_INTO_SELECTION' });
    expect(await pair.target.db(dbName).listCollections().toArray()).toEqual([]);
  });

  it('drops only the selected collections of a dropped database', async () => {
    const dbName = uniqueDbName('dropdb');
    const ctx = testContext(pair, { include: [`${dbName}.*`], exclude: [`${dbName}.kept`] });
    const catalog = createCatalog(ctx);
    const source = pair.source.db(dbName);
    await source.collection('copied').insertOne({ a: 1 });
    await source.command({ create: 'view', viewOn: 'copied', pipeline: [] });
    await prepareAll(catalog);
    await pair.target.db(dbName).collection('kept').insertOne({ mine: true });
    const t0 = await clusterTime(pair);
    await source.dropDatabase();
    const events = (await ddlEventsSince(t0)).filter((event) => event.get('operationType') === 'dropDatabase');

    for (const event of events) await catalog.applyDdl(event);

    const names = (await pair.target.db(dbName).listCollections().toArray())
      .map((c) => c.name)
      .filter((n) => !n.startsWith('system.'));
    expect(names).toEqual(['kept']);
    await pair.target.db(dbName).collection('kept').drop();
    await compare(dbName);
  });

  it('refuses shardCollection with a clear error: the target is a replica set', async () => {
    const { dbName, catalog } = scenario('shard');
    const event = new Map<string, unknown>([
      ['operationType', 'shardCollection'],
      [
        'ns',
        new Map([
          ['db', dbName],
          ['coll', 'c'],
        ]),
      ],
      [
        'operationDescription',
        new Map<string, unknown>([
          ['shardKey', new Map([['k', 1]])],
          ['unique', false],
        ]),
      ],
    ]);

    await expect(catalog.applyDdl(event)).rejects.toMatchObject({
      code: 'SHARDING_UNSUPPORTED',
      remedy: expect.any(String),
    });
  });
});
