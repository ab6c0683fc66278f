import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Int32, Long, MongoClient, type ChangeStreamDocument, type Db, type Document } from 'mongodb';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';

type Row = { _id: number; [field: string]: unknown };

let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
const dbName = uniqueDbName('ddl');
const external = Boolean(process.env.FERRY_TEST_SOURCE_URI);

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
  db = client.db(dbName);
});

afterAll(async () => {
  await client?.db(dbName).dropDatabase();
  await client?.db(`${dbName}_other`).dropDatabase();
  await client?.close();
  await server?.stop();
});

async function collectionInfo(name: string, raw = false): Promise<Document | undefined> {
  const reply = await db.command({ listCollections: 1, filter: { name } }, raw ? { promoteValues: false } : {});
  return reply.cursor.firstBatch[0];
}

describe('create', () => {
  it('creates a collection that listCollections reports with its options, uuid and _id index', async () => {
    await db.createCollection('plain');
    const info = await collectionInfo('plain');
    expect(info).toMatchObject({
      name: 'plain',
      type: 'collection',
      options: {},
      info: { readOnly: false },
      idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
    });
    expect(info?.info.uuid).toBeDefined();
  });

  it('accepts creating an existing collection again with the same options', async () => {
    await db.createCollection('again', { validator: { a: { $exists: true } } });
    await expect(db.command({ create: 'again', validator: { a: { $exists: true } } })).resolves.toMatchObject({
      ok: 1,
    });
  });

  it('reports NamespaceExists when the existing collection has other options', async () => {
    await db.createCollection('other-options');
    await expect(db.command({ create: 'other-options', capped: true, size: 4096 })).rejects.toMatchObject({
      code: 48,
      codeName: 'NamespaceExists',
    });
  });

  it('stores capped bounds as mongod does: size truncated to an int, max 0 meaning no limit', async () => {
    await db.command({ create: 'capped', capped: true, size: 1000.7, max: 0 });
    const info = await collectionInfo('capped', true);
    expect(info?.options.capped).toBe(true);
    expect(info?.options.size).toEqual(new Int32(1000));
    expect(info?.options.max).toEqual(new Int32(2147483647));
  });

  it('requires a size for a capped collection', async () => {
    await expect(db.command({ create: 'no-size', capped: true })).rejects.toMatchObject({
      code: 72,
      codeName: 'InvalidOptions',
      message: "the 'size' field is required when 'capped' is true",
    });
  });

  it('refuses an unknown option with the field named', async () => {
    await expect(db.command({ create: 'unknown-option', flavour: 'sweet' })).rejects.toMatchObject({
      code: 40415,
      message: "BSON field 'create.flavour' is an unknown field.",
    });
  });

  it('fills a collation with every option, and gives the _id index the same collation', async () => {
    await db.createCollection('collated', { collation: { locale: 'en', strength: 2 } });
    const info = await collectionInfo('collated');
    const expected = {
      locale: 'en',
      caseLevel: false,
      caseFirst: 'off',
      strength: 2,
      numericOrdering: false,
      alternate: 'non-ignorable',
      maxVariable: 'punct',
      normalization: false,
      backwards: false,
      version: '57.1',
    };
    expect(info?.options.collation).toEqual(expected);
    expect(info?.idIndex.collation).toEqual(expected);
  });

  it('creates a clustered collection that has no separate _id index', async () => {
    await db.command({ create: 'clustered', clusteredIndex: { key: { _id: 1 }, unique: true } });
    const info = await collectionInfo('clustered');
    expect(info?.options.clusteredIndex).toEqual({ v: 2, key: { _id: 1 }, name: '_id_', unique: true });
    expect(info?.idIndex).toBeUndefined();
    const indexes = await db.collection('clustered').listIndexes().toArray();
    expect(indexes).toEqual([{ v: 2, key: { _id: 1 }, name: '_id_', unique: true, clustered: true }]);
  });

  it('refuses a clustered index that is not unique', async () => {
    await expect(
      db.command({ create: 'not-unique', clusteredIndex: { key: { _id: 1 }, unique: false } }),
    ).rejects.toMatchObject({
      code: 5979700,
    });
  });

  it.skipIf(external)('answers a timeseries collection with CommandNotSupported', async () => {
    await expect(db.command({ create: 'series', timeseries: { timeField: 't' } })).rejects.toMatchObject({
      code: 115,
      message: 'timeseries collections are not supported by the Ferry sandbox',
    });
  });
});

describe('views', () => {
  it('lists a view as type view, read-only, and keeps its definition in system.views', async () => {
    await db.collection<Row>('view-source').insertMany([
      { _id: 1, g: 1 },
      { _id: 2, g: 2 },
    ]);
    await db.createCollection('g1', { viewOn: 'view-source', pipeline: [{ $match: { g: 1 } }] });
    const info = await collectionInfo('g1');
    expect(info).toEqual({
      name: 'g1',
      type: 'view',
      options: { viewOn: 'view-source', pipeline: [{ $match: { g: 1 } }] },
      info: { readOnly: true },
    });
    expect(await db.collection('system.views').findOne({ _id: `${dbName}.g1` } as Document)).toMatchObject({
      viewOn: 'view-source',
      pipeline: [{ $match: { g: 1 } }],
    });
    expect(await db.collection('g1').find().toArray()).toEqual([{ _id: 1, g: 1 }]);
  });

  it('refuses a view that reads itself', async () => {
    await expect(db.command({ create: 'loop', viewOn: 'loop', pipeline: [] })).rejects.toMatchObject({
      code: 5,
      message: `View cycle detected: ${dbName}.loop => ${dbName}.loop => ${dbName}.loop`,
    });
  });

  it('redefines a view with collMod and refuses collection options on it', async () => {
    await db.createCollection('redefined', { viewOn: 'view-source', pipeline: [{ $match: { g: 1 } }] });
    await db.command({ collMod: 'redefined', pipeline: [{ $match: { g: 2 } }] });
    expect(await db.collection('redefined').find().toArray()).toEqual([{ _id: 2, g: 2 }]);
    await expect(db.command({ collMod: 'redefined', validator: { a: 1 } })).rejects.toMatchObject({
      code: 72,
      message: 'option not supported on a view: validator',
    });
  });
});

describe('drop and dropDatabase', () => {
  it('drops a collection and reports how many indexes it had', async () => {
    await db.collection('to-drop').createIndex({ a: 1 }, { name: 'a_1' });
    const reply = await db.command({ drop: 'to-drop' });
    expect(reply).toMatchObject({ nIndexesWas: 2, ns: `${dbName}.to-drop`, ok: 1 });
    expect(await collectionInfo('to-drop')).toBeUndefined();
  });

  it('treats dropping a collection that does not exist as success', async () => {
    const reply = await db.command({ drop: 'never-created' });
    expect(reply.ok).toBe(1);
    expect(reply.ns).toBeUndefined();
  });

  it('drops a database and names it in the reply', async () => {
    const other = client.db(`${dbName}_other`);
    await other.collection('a').insertOne({ x: 1 });
    expect(await other.command({ dropDatabase: 1 })).toMatchObject({ dropped: `${dbName}_other`, ok: 1 });
    const names = await client.db('admin').admin().listDatabases({ nameOnly: true });
    expect(names.databases.map((entry) => entry.name)).not.toContain(`${dbName}_other`);
  });
});

describe('renameCollection', () => {
  it('moves a collection with its documents and indexes', async () => {
    await db.collection<Row>('rename-from').insertOne({ _id: 1 });
    await db.collection('rename-from').createIndex({ b: 1 }, { name: 'b_1' });
    await db.collection('rename-from').rename('rename-to');
    expect(await db.collection('rename-to').find().toArray()).toEqual([{ _id: 1 }]);
    expect((await db.collection('rename-to').listIndexes().toArray()).map((index) => index.name)).toEqual([
      '_id_',
      'b_1',
    ]);
    expect(await collectionInfo('rename-from')).toBeUndefined();
  });

  it('refuses an existing target unless dropTarget is set', async () => {
    await db.collection<Row>('r-source').insertOne({ _id: 1, from: 'source' });
    await db.collection<Row>('r-target').insertOne({ _id: 1, from: 'target' });
    const admin = client.db('admin');
    const rename = { renameCollection: `${dbName}.r-source`, to: `${dbName}.r-target` };
    await expect(admin.command(rename)).rejects.toMatchObject({ code: 48, message: 'target namespace exists' });
    await admin.command({ ...rename, dropTarget: true });
    expect(await db.collection('r-target').find().toArray()).toEqual([{ _id: 1, from: 'source' }]);
  });

  it('reports a missing source as NamespaceNotFound', async () => {
    await expect(
      client.db('admin').command({ renameCollection: `${dbName}.missing`, to: `${dbName}.anything` }),
    ).rejects.toMatchObject({ code: 26, codeName: 'NamespaceNotFound' });
  });

  it('runs only against the admin database', async () => {
    await expect(db.command({ renameCollection: `${dbName}.a`, to: `${dbName}.b` })).rejects.toMatchObject({
      code: 13,
      codeName: 'Unauthorized',
    });
  });
});

describe('collMod', () => {
  it('sets a validator and writes out the validation level and action', async () => {
    await db.createCollection('validated');
    await db.command({ collMod: 'validated', validator: { n: { $gt: 0 } }, validationAction: 'warn' });
    const info = await collectionInfo('validated');
    expect(info?.options).toEqual({
      validator: { n: { $gt: 0 } },
      validationLevel: 'strict',
      validationAction: 'warn',
    });
  });

  it('resizes a capped collection and refuses to on an uncapped one', async () => {
    await db.command({ create: 'resized', capped: true, size: 1000, max: 5 });
    await db.command({ collMod: 'resized', cappedSize: 7000, cappedMax: 2 });
    expect((await collectionInfo('resized'))?.options).toEqual({ capped: true, size: 7000, max: 2 });
    await db.createCollection('uncapped');
    await expect(db.command({ collMod: 'uncapped', cappedSize: 5000 })).rejects.toMatchObject({
      code: 72,
      message: 'Collection must be capped.',
    });
  });

  it('reports a missing collection as NamespaceNotFound', async () => {
    await expect(db.command({ collMod: 'absent', validator: {} })).rejects.toMatchObject({ code: 26 });
  });
});

describe('catalog statistics', () => {
  it('lists the replica set member databases with their sizes', async () => {
    await db.collection('listed').insertOne({ a: 1 });
    const reply = await client.db('admin').command({ listDatabases: 1 });
    const names = reply.databases.map((entry: Document) => entry.name);
    expect(names).toEqual(expect.arrayContaining(['admin', 'config', 'local', dbName]));
    const mine = reply.databases.find((entry: Document) => entry.name === dbName);
    expect(mine.sizeOnDisk).toBeGreaterThan(0);
    expect(mine.empty).toBe(false);
    expect(reply.totalSize).toBeGreaterThanOrEqual(mine.sizeOnDisk);
    const filtered = await client.db('admin').command({ listDatabases: 1, nameOnly: true, filter: { name: dbName } });
    expect(filtered.databases).toEqual([{ name: dbName }]);
  });

  it('counts collections, views and objects in dbStats', async () => {
    const stats = await client.db(`${dbName}_stats`).command({ dbStats: 1 });
    expect(stats).toMatchObject({ db: `${dbName}_stats`, collections: 0, objects: 0 });
    const statsDb = client.db(`${dbName}_stats`);
    await statsDb.collection<Row>('c').insertMany([{ _id: 1 }, { _id: 2 }]);
    await statsDb.createCollection('v', { viewOn: 'c', pipeline: [] });
    const after = await statsDb.command({ dbStats: 1 });
    // system.views holds the view definition and counts as a collection, as in mongod.
    expect(after).toMatchObject({ collections: 2, views: 1, objects: 3, indexes: 2, scaleFactor: 1 });
    expect(after.dataSize).toBeGreaterThan(0);
    expect(after.totalSize).toBe(after.storageSize + after.indexSize);
    await statsDb.dropDatabase();
  });

  it('answers collStats with counts, sizes and the capped bounds', async () => {
    await db.command({ create: 'stats-capped', capped: true, size: 100000, max: 10 });
    await db.collection<Row>('stats-capped').insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const stats = await db.command({ collStats: 'stats-capped' });
    expect(stats).toMatchObject({
      ns: `${dbName}.stats-capped`,
      count: 3,
      size: 3 * 14,
      avgObjSize: 14,
      capped: true,
      max: 10,
      maxSize: 100000,
      nindexes: 1,
      scaleFactor: 1,
    });
    expect(Object.keys(stats.indexSizes)).toEqual(['_id_']);
    expect(stats.totalSize).toBe(stats.storageSize + stats.totalIndexSize);
  });
});

describe('DDL change events', () => {
  it('reports create, createIndexes, modify, rename and drop with showExpandedEvents', async () => {
    const events = db.watch([], { showExpandedEvents: true });
    const next = async (): Promise<ChangeStreamDocument> => events.next();
    await events.tryNext();
    await db.createCollection('evented');
    await db.collection('evented').createIndex({ x: 1 }, { name: 'x_1' });
    await db.command({ collMod: 'evented', index: { name: 'x_1', hidden: true } });
    await db.collection('evented').rename('evented-renamed');
    await db.collection('evented-renamed').drop();
    const created = await next();
    expect(created).toMatchObject({
      operationType: 'create',
      ns: { db: dbName, coll: 'evented' },
      operationDescription: { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } },
    });
    expect(await next()).toMatchObject({
      operationType: 'createIndexes',
      operationDescription: { indexes: [{ v: 2, key: { x: 1 }, name: 'x_1' }] },
    });
    expect(await next()).toMatchObject({
      operationType: 'modify',
      operationDescription: { index: { name: 'x_1', hidden: true } },
      stateBeforeChange: { indexOptions: { hidden: false } },
    });
    expect(await next()).toMatchObject({
      operationType: 'rename',
      ns: { db: dbName, coll: 'evented' },
      to: { db: dbName, coll: 'evented-renamed' },
      operationDescription: { to: { db: dbName, coll: 'evented-renamed' } },
    });
    expect(await next()).toMatchObject({ operationType: 'drop', ns: { db: dbName, coll: 'evented-renamed' } });
    await events.close();
  });

  it('reports a capped collection create with its options in operationDescription', async () => {
    const events = db.watch([{ $match: { operationType: 'create' } }], { showExpandedEvents: true });
    await events.tryNext();
    await db.command({ create: 'evented-capped', capped: true, size: 2048, max: 3 });
    const created = await events.next();
    expect(created).toMatchObject({
      operationType: 'create',
      operationDescription: { capped: true, size: 2048, max: 3 },
    });
    await events.close();
  });

  it('names size as a long when it does not fit an int', async () => {
    await db.command({ create: 'large-capped', capped: true, size: 2 ** 40 });
    const info = await collectionInfo('large-capped', true);
    expect(info?.options.size).toEqual(Long.fromNumber(2 ** 40));
  });
});
