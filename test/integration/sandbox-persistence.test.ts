// --dbpath: what a sandbox holds survives a restart (graceful or not) exactly as mongod's data files do.
// Restarting a server is a sandbox-only operation, so this file does not run against FERRY_TEST_SOURCE_URI.
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Binary,
  BSONRegExp,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  MongoClient,
  ObjectId,
  Timestamp,
  type Document,
  type ResumeToken,
} from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../engine/sandbox/index.js';

const DB = 'persisted';

/** Documents whose _id is not an ObjectId. */
interface AnyIdDocument {
  _id: unknown;
  [field: string]: unknown;
}

/** find with `raw: true` yields each document's BSON bytes, which the driver's types do not express. */
async function rawDocuments(client: MongoClient, collection: string): Promise<string[]> {
  const documents = await client.db(DB).collection(collection).find({}, { raw: true }).toArray();
  return documents.map((bytes) => Buffer.from(bytes as unknown as Uint8Array).toString('hex'));
}

describe.skipIf(process.env.FERRY_TEST_SOURCE_URI !== undefined)('sandbox persistence (--dbpath)', () => {
  let dir: string;
  let server: RunningSandbox | undefined;
  let client: MongoClient | undefined;
  const extraDirs: string[] = [];

  async function start(dbPath = dir): Promise<MongoClient> {
    server = await startSandbox({ port: 0, dbPath });
    client = new MongoClient(server.uri);
    return client;
  }

  async function stop(): Promise<void> {
    await client?.close();
    await server?.stop();
    client = undefined;
    server = undefined;
  }

  async function restart(): Promise<MongoClient> {
    await stop();
    return start();
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-dbpath-'));
  });

  afterEach(async () => {
    await stop();
    for (const path of [dir, ...extraDirs.splice(0)]) await rm(path, { recursive: true, force: true });
  });

  const everyType: Document[] = [
    {
      _id: new ObjectId('65f0a1b2c3d4e5f601234567'),
      int: new Int32(7),
      long: Long.fromString('9007199254740993'),
      double: new Double(1.5),
      wholeDouble: new Double(2),
      decimal: Decimal128.fromString('12345.6789'),
      date: new Date('2024-02-29T12:00:00.123Z'),
      uuid: new Binary(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), Binary.SUBTYPE_UUID),
      bytes: new Binary(Buffer.from([0, 1, 2, 255])),
      regex: new BSONRegExp('^a.c$', 'im'),
      ts: new Timestamp({ t: 1700000000, i: 3 }),
      code: new Code('function () { return 1; }'),
      min: new MinKey(),
      max: new MaxKey(),
      nothing: null,
      flag: true,
      nested: { '2': 'two', '1': 'one', deeper: { list: [1, 'a', { b: [] }] } },
    },
    { _id: 'string id', text: 'héllo wörld' },
    { _id: new Int32(42), list: [] },
    { _id: { compound: 1, key: 'x' } },
  ];

  it('restores every document byte for byte and in natural order', async () => {
    let mongo = await start();
    const items = mongo.db(DB).collection<AnyIdDocument>('items');
    await items.insertMany(everyType as AnyIdDocument[]);
    await items.insertMany(Array.from({ length: 500 }, (_, i) => ({ _id: 1000 - i, i })));
    const before = await rawDocuments(mongo, 'items');

    mongo = await restart();
    const after = await rawDocuments(mongo, 'items');
    expect(after.length).toBe(504);
    expect(after).toEqual(before);
  });

  it('keeps collections with their options, UUIDs and index specs', async () => {
    let mongo = await start();
    const db = mongo.db(DB);
    await db.createCollection('capped', { capped: true, size: 65536, max: 100 });
    await db.createCollection('validated', { validator: { name: { $type: 'string' } } });
    await db.collection('people').createIndexes([
      { key: { email: 1 }, name: 'email_unique', unique: true },
      { key: { age: -1, name: 1 }, partialFilterExpression: { age: { $gt: 17 } } },
    ]);
    await db.createCollection('adults', { viewOn: 'people', pipeline: [{ $match: { age: { $gt: 17 } } }] });
    const collectionsBefore = await db.listCollections().toArray();
    const indexesBefore = await db.collection('people').listIndexes().toArray();

    mongo = await restart();
    const collectionsAfter = await mongo.db(DB).listCollections().toArray();
    const byName = (list: Document[]): Document[] => [...list].sort((a, b) => String(a.name).localeCompare(b.name));
    expect(byName(collectionsAfter)).toEqual(byName(collectionsBefore));
    expect(await mongo.db(DB).collection('people').listIndexes().toArray()).toEqual(indexesBefore);
  });

  it('still enforces unique indexes after a restart', async () => {
    let mongo = await start();
    await mongo.db(DB).collection('people').createIndex({ email: 1 }, { unique: true });
    await mongo.db(DB).collection('people').insertOne({ email: 'ada@example.com' });

    mongo = await restart();
    await expect(mongo.db(DB).collection('people').insertOne({ email: 'ada@example.com' })).rejects.toMatchObject({
      code: 11000,
      keyValue: { email: 'ada@example.com' },
    });
  });

  it('keeps the collation of a collection and its _id index across a restart', async () => {
    let mongo = await start();
    const options = { collation: { locale: 'en', strength: 2 } };
    await mongo.db(DB).createCollection('names', options);
    await mongo.db(DB).collection<{ _id: string }>('names').insertOne({ _id: 'Ada' });

    mongo = await restart();
    const names = mongo.db(DB).collection<{ _id: string }>('names');
    const [idIndex] = await names.listIndexes().toArray();
    expect(idIndex.collation).toMatchObject({ locale: 'en', strength: 2 });
    await expect(names.insertOne({ _id: 'ADA' })).rejects.toMatchObject({ code: 11000 });
  });

  it('forgets collections that were dropped before the restart', async () => {
    let mongo = await start();
    await mongo.db(DB).collection('temporary').insertOne({ a: 1 });
    await mongo.db(DB).collection('kept').insertOne({ a: 1 });
    mongo = await restart();
    await mongo.db(DB).collection('temporary').drop();

    mongo = await restart();
    const names = (await mongo.db(DB).listCollections().toArray()).map((collection) => collection.name);
    expect(names).toEqual(['kept']);
  });

  it('resumes a change stream from a token taken before the restart', async () => {
    let mongo = await start();
    const events = mongo.db(DB).collection<AnyIdDocument>('events');
    const stream = events.watch();
    await stream.tryNext();
    await events.insertOne({ _id: 1, step: 'before restart' });
    const first = await stream.next();
    expect(first.operationType).toBe('insert');
    const token: ResumeToken = stream.resumeToken;
    await stream.close();

    mongo = await restart();
    await mongo.db(DB).collection<AnyIdDocument>('events').insertOne({ _id: 2, step: 'after restart' });
    const resumed = mongo.db(DB).collection('events').watch([], { resumeAfter: token });
    const next = await resumed.next();
    await resumed.close();
    expect(next).toMatchObject({ operationType: 'insert', fullDocument: { _id: 2, step: 'after restart' } });
  });

  it('drops the writes of a transaction still open at shutdown, as mongod does', async () => {
    const mongo = await start();
    const collection = mongo.db(DB).collection<AnyIdDocument>('transactions');
    await collection.insertOne({ _id: 'committed' });
    const session = mongo.startSession();
    session.startTransaction();
    await collection.insertOne({ _id: 'uncommitted' }, { session });
    await server?.stop();
    server = undefined;

    const restarted = await restart();
    expect(await restarted.db(DB).collection('transactions').find().toArray()).toEqual([{ _id: 'committed' }]);
  });

  it('keeps the replica set identity (replicaSetId) across a restart', async () => {
    let mongo = await start();
    await mongo.db(DB).collection('identity').insertOne({ a: 1 });
    const before = (await mongo.db('admin').command({ replSetGetConfig: 1 })).config.settings.replicaSetId;

    mongo = await restart();
    const after = (await mongo.db('admin').command({ replSetGetConfig: 1 })).config.settings.replicaSetId;
    expect(after.toHexString()).toBe(before.toHexString());
  });

  it('hands out cluster times after the last one written before the restart', async () => {
    let mongo = await start();
    let lastBefore = new Timestamp({ t: 0, i: 0 });
    for (let i = 0; i < 20; i++) {
      const reply = await mongo.db(DB).command({ insert: 'clock', documents: [{ i }] });
      lastBefore = reply.operationTime as Timestamp;
    }

    mongo = await restart();
    const reply = await mongo.db(DB).command({ insert: 'clock', documents: [{ i: 20 }] });
    const after = reply.operationTime as Timestamp;
    expect(after.greaterThan(lastBefore)).toBe(true);
  });

  it('saves while running, so an abrupt end loses at most a few seconds', { timeout: 30_000 }, async () => {
    const mongo = await start();
    await mongo
      .db(DB)
      .collection('periodic')
      .insertMany([{ n: 1 }, { n: 2 }]);
    await new Promise((resolve) => setTimeout(resolve, 6500));
    // Copying the directory of a running server is what a crash leaves behind.
    const copy = await mkdtemp(join(tmpdir(), 'ferry-dbpath-copy-'));
    extraDirs.push(copy);
    await cp(dir, copy, { recursive: true });

    const crashed = await startSandbox({ port: 0, dbPath: copy });
    const crashedClient = new MongoClient(crashed.uri);
    try {
      const docs = await crashedClient
        .db(DB)
        .collection('periodic')
        .find({}, { projection: { _id: 0 } })
        .toArray();
      expect(docs).toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      await crashedClient.close();
      await crashed.stop();
    }
  });

  it('ignores what an interrupted save left behind', async () => {
    let mongo = await start();
    await mongo
      .db(DB)
      .collection('items')
      .insertMany([{ n: 1 }, { n: 2 }]);
    await stop();
    const oplogFile = (await readdir(dir)).find((name) => name.startsWith('oplog-'));
    expect(oplogFile).toBeDefined();
    await writeFile(join(dir, String(oplogFile)), Buffer.from([0x40, 0, 0, 0, 3]), { flag: 'a' });
    await writeFile(join(dir, 'manifest.bson.tmp'), 'half-written');

    mongo = await start();
    const docs = await mongo
      .db(DB)
      .collection('items')
      .find({}, { projection: { _id: 0 } })
      .toArray();
    expect(docs).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await readdir(dir)).not.toContain('manifest.bson.tmp');
  });

  it('refuses a directory whose manifest is not its own, naming the file', async () => {
    await writeFile(join(dir, 'manifest.bson'), 'not bson at all');
    await expect(startSandbox({ port: 0, dbPath: dir })).rejects.toThrow(/manifest\.bson/);
  });
});
