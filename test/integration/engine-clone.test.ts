// The cloner against two servers: every BSON type and `_id` type, large and many documents, every
// kind of collection, relaxed indexes, failures that must be loud, and resuming after a pause or a
// crash without copying finished segments again. Every migration ends with the byte-level compare.
import {
  Binary,
  BSON,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  type Db,
} from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOrdered, type OrderedDocument } from '../../engine/core/bson/ordered.js';
import { createCatalog } from '../../engine/core/catalog.js';
import { RELAXED_TTL_SECONDS } from '../../engine/core/catalog/relaxed-index.js';
import { createCloner } from '../../engine/core/clone/cloner.js';
import type { CloneTuning } from '../../engine/protocol.js';
import type { Catalog, CloneCheckpoint, Cloner, SourceCollection } from '../../engine/core/parts.js';
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
import { opMsg, RawConnection } from '../support/raw-wire.js';
import { uniqueDbName } from '../support/server-under-test.js';

let pair: MigrationPair;

beforeAll(async () => {
  pair = await startPair();
});

afterAll(async () => {
  await pair.stop();
});

interface Scenario {
  dbName: string;
  source: Db;
  target: Db;
  ctx: TestContext;
  catalog: Catalog;
}

function scenario(prefix: string, clone: Partial<CloneTuning> = {}): Scenario {
  const dbName = uniqueDbName(prefix);
  const ctx = testContext(pair, { include: [`${dbName}.*`], clone });
  return { dbName, source: pair.source.db(dbName), target: pair.target.db(dbName), ctx, catalog: createCatalog(ctx) };
}

/** Lists the source and builds a cloner, as the engine does after taking T0. */
async function clonerFor(
  s: Scenario,
  checkpoint?: CloneCheckpoint,
): Promise<{ cloner: Cloner; collections: SourceCollection[] }> {
  const collections = await s.catalog.listSource();
  return { cloner: createCloner(s.ctx, s.catalog, { collections, checkpoint, dropExisting: false }), collections };
}

/** Clone, finalize the indexes, compare. */
async function migrate(s: Scenario): Promise<Cloner> {
  const { cloner } = await clonerFor(s);
  await cloner.run();
  expect(cloner.completed).toBe(true);
  expect(await s.catalog.restoreIndexes()).toEqual([]);
  await compare(s.dbName);
  return cloner;
}

function compare(dbName: string): Promise<void> {
  return expectClustersIdentical(pair.sourceUri, pair.targetUri, {
    namespaces: (namespace) => namespace.startsWith(`${dbName}.`),
  });
}

async function insertInBatches(
  db: Db,
  collection: string,
  count: number,
  make: (i: number) => OrderedDocument,
): Promise<void> {
  for (let start = 0; start < count; start += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, count - start) }, (_, i) => make(start + i));
    await db.collection(collection).insertMany(batch, { forceServerObjectId: true });
  }
}

/** Documents whose _id is not an ObjectId. */
type Loose = { _id: unknown; [field: string]: unknown };

function doc(...fields: [string, unknown][]): OrderedDocument {
  return new Map(fields);
}

/** Every BSON type the Node.js driver can write, with field orders a plain object would not keep. */
function everyTypeDocument(id: number): OrderedDocument {
  return doc(
    ['_id', new Int32(id)],
    ['double', new Double(3.14)],
    ['wholeDouble', new Double(2)],
    ['negativeZero', new Double(-0)],
    ['nan', new Double(NaN)],
    ['infinity', new Double(-Infinity)],
    ['string', 'héllo wörld ✓'],
    ['empty', ''],
    [
      'object',
      doc(
        ['b', new Int32(1)],
        ['1', new Int32(2)],
        ['nested', doc(['deep', [new Int32(1), [new Int32(2), [doc(['z', null])]]]])],
      ),
    ],
    ['array', [new Int32(1), 'two', doc(['x', null]), [], doc()]],
    ['binGeneric', new Binary(Buffer.from([1, 2, 3]), 0)],
    ['binFunction', new Binary(Buffer.from([4]), 1)],
    ['binOld', new Binary(Buffer.from([9, 9]), 2)],
    ['binUuidOld', new Binary(Buffer.alloc(16, 7), 3)],
    ['binUuid', new Binary(Buffer.alloc(16, 8), 4)],
    ['binMd5', new Binary(Buffer.alloc(16, 9), 5)],
    ['binEncrypted', new Binary(Buffer.from([1]), 6)],
    ['binColumn', new Binary(Buffer.from([2]), 7)],
    ['binSensitive', new Binary(Buffer.from([3]), 8)],
    ['binUser', new Binary(Buffer.from([4, 5]), 0x80)],
    ['objectId', new ObjectId('65a1b2c3d4e5f60718293a4b')],
    ['true', true],
    ['false', false],
    ['date', new Date(1_700_000_000_123)],
    ['dateBefore1970', new Date(-2_208_988_800_000)],
    ['null', null],
    ['regex', new BSONRegExp('^a.*b$', 'imsx')],
    ['code', new Code('function () { return 1; }')],
    ['symbol', new BSONSymbol('sym')],
    ['codeWithScope', new Code('x + 1', doc(['x', new Int32(41)]) as never)],
    ['int32', new Int32(-123)],
    ['timestamp', new Timestamp({ t: 1_700_000_000, i: 7 })],
    ['int64', Long.fromBigInt(-(2n ** 62n))],
    ['smallInt64', Long.fromNumber(1)],
    ['decimal', Decimal128.fromString('1.000000000000000000000000000000001E+10')],
    ['decimalNaN', Decimal128.fromString('NaN')],
    ['minKey', new MinKey()],
    ['maxKey', new MaxKey()],
    ['10', new Int32(2)],
    ['a1', new Int32(1)],
    ['2', new Int32(3)],
  );
}

describe('cloning documents', () => {
  it('copies every BSON type, nested documents and arrays, keeping types and field order', async () => {
    const s = scenario('types');
    await s.source
      .collection('every')
      .insertMany([everyTypeDocument(1), everyTypeDocument(2)], { forceServerObjectId: true });

    await migrate(s);
  });

  it('fails a collection holding Undefined or DBPointer, naming the document and the remedy', async () => {
    const s = scenario('unwritable');
    const { port, hostname } = new URL(pair.sourceUri);
    await s.source.collection('fine').insertOne({ a: 1 });
    const connection = await RawConnection.connect(Number(port), hostname);
    try {
      const documents = [plainDocument(0), undefinedDocument(1), dbPointerDocument(2), plainDocument(3)];
      const reply = await connection.request(opMsg({ insert: 'legacy', $db: s.dbName }, { documents }));
      expect(reply.document.n).toBe(4);
    } finally {
      connection.close();
    }
    const { cloner } = await clonerFor(s);

    const failure = await cloner.run().then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toMatchObject({
      code: 'UNSUPPORTED_BSON_VALUE',
      message: expect.stringMatching(new RegExp(`${s.dbName}\\.legacy.*_id 1 .*undefined`)),
      remedy: expect.stringMatching(/Exclude .*legacy/),
    });
    expect(cloner.progress().find((p) => p.namespace.endsWith('.legacy'))?.state).toBe('failed');

    // The remedy works: excluded, the rest of the migration completes from the checkpoint.
    const ctx = testContext(pair, { include: [`${s.dbName}.*`], exclude: [`${s.dbName}.legacy`] });
    const catalog = createCatalog(ctx);
    catalog.load(s.catalog.state());
    const collections = await catalog.listSource();
    await createCloner(ctx, catalog, {
      collections,
      checkpoint: roundTrip(cloner.checkpoint()),
      dropExisting: false,
    }).run();
    expect(await catalog.restoreIndexes()).toEqual([]);
    await expectClustersIdentical(pair.sourceUri, pair.targetUri, {
      namespaces: (namespace) => namespace.startsWith(`${s.dbName}.`) && !namespace.endsWith('.legacy'),
    });
  });

  it('copies documents close to the 16 MiB limit', { timeout: 120_000 }, async () => {
    const s = scenario('large');
    for (let i = 0; i < 3; i++) {
      await s.source
        .collection('big')
        .insertOne(doc(['_id', new Int32(i)], ['blob', new Binary(Buffer.alloc(16 * 1024 * 1024 - 100, i))]));
    }
    await s.source.collection('big').insertOne(doc(['_id', new Int32(3)], ['small', true]));

    await migrate(s);
  });

  it('copies 100,000 small documents through parallel segments and insert workers', { timeout: 180_000 }, async () => {
    const s = scenario('many', {
      segmentSizeBytes: 256 * 1024,
      readWorkers: 2,
      insertWorkers: 4,
      readBatchSizeBytes: 64 * 1024,
    });
    await insertInBatches(s.source, 'many', 100_000, (i) => doc(['_id', new Int32(i)], ['v', `value ${i}`]));

    const cloner = await migrate(s);

    const [progress] = cloner.progress();
    expect(progress).toMatchObject({ state: 'done', copiedDocuments: 100_000 });
    expect(progress.segmentsTotal).toBeGreaterThan(4);
    expect(progress.segmentsDone).toBe(progress.segmentsTotal);
    expect(s.ctx.counted.insertedDocuments).toBe(100_000);
  });

  it('splits `_id`s of every type into segments, NaN included', async () => {
    const s = scenario('ids', { segmentSizeBytes: 600 });
    const ids: unknown[] = [
      new MinKey(),
      null,
      new Double(NaN),
      new Int32(-5),
      new Int32(1),
      Long.fromNumber(2),
      new Double(2.5),
      Decimal128.fromString('3.25'),
      Long.fromBigInt(2n ** 60n + 1n),
      'a',
      'b',
      new BSONSymbol('c'),
      doc(['x', new Int32(1)]),
      doc(['x', new Int32(2)], ['y', new Int32(1)]),
      new Binary(Buffer.from([1]), 0),
      new Binary(Buffer.from([1, 2]), 4),
      new ObjectId('65a1b2c3d4e5f60718293a4b'),
      false,
      true,
      new Date(0),
      new Date(1_000_000_000_000),
      new Timestamp({ t: 1, i: 1 }),
      new Code('f'),
      new MaxKey(),
    ];
    for (let i = 0; i < 200; i++) ids.push(new Int32(1000 + i), `key-${String(i).padStart(4, '0')}`, new ObjectId());
    await s.source.collection('mixed').insertMany(
      ids.map((id, i) => doc(['_id', id], ['i', new Int32(i)])),
      { forceServerObjectId: true },
    );

    const cloner = await migrate(s);

    expect(cloner.progress()[0].segmentsTotal).toBeGreaterThan(10);
    expect(s.ctx.counted.insertedDocuments).toBe(ids.length);
  });
});

describe('cloning every kind of collection', () => {
  it('copies capped (in natural order), clustered, collated, validated, pre/post image collections and views', async () => {
    const s = scenario('kinds');
    await s.source.createCollection('capped', { capped: true, size: 1024 * 1024, max: 1000 });
    await s.source
      .collection('capped')
      .insertMany([5, 3, 9, 1, 7].map((id) => doc(['_id', new Int32(id)], ['at', new Int32(id * 10)])));
    await s.source.command({
      create: 'clustered',
      clusteredIndex: { key: { _id: 1 }, unique: true },
      expireAfterSeconds: 3600,
    });
    await s.source.collection<Loose>('clustered').insertMany([{ _id: 2 }, { _id: 1 }]);
    await s.source.command({ create: 'collated', collation: { locale: 'fr', strength: 2 } });
    await s.source.collection<Loose>('collated').insertMany([{ _id: 'é' }, { _id: 'E' }, { _id: 'f' }]);
    await s.source.command({ create: 'validated', validator: { qty: { $type: 'int' } }, validationAction: 'error' });
    await s.source.collection('validated').insertOne({ qty: 1 });
    // Documents the validator now refuses, as a source may hold from before the validator existed.
    await s.source
      .collection('validated')
      .insertMany([{ qty: 'many' }, { other: true }], { bypassDocumentValidation: true });
    await s.source.command({ create: 'images', changeStreamPreAndPostImages: { enabled: true } });
    await s.source.collection('images').insertOne({ a: 1 });
    await s.source.command({ create: 'view', viewOn: 'validated', pipeline: [{ $match: { qty: { $type: 'int' } } }] });

    const cloner = await migrate(s);

    expect(new Set(cloner.progress().map((p) => p.state))).toEqual(new Set(['done']));
  });

  it('builds every kind of index relaxed while cloning, and restores the originals afterwards', async () => {
    const s = scenario('indexes', { segmentSizeBytes: 2000 });
    await s.source.command({
      createIndexes: 'c',
      indexes: [
        { key: { u: 1 }, name: 'unique', unique: true },
        { key: { a: 1, b: -1 }, name: 'compound' },
        { key: { t: 1 }, name: 'ttl', expireAfterSeconds: 60 },
        { key: { h: 1 }, name: 'hidden', hidden: true },
        { key: { p: 1 }, name: 'partial', partialFilterExpression: { p: { $gt: 5 } } },
        { key: { s: 1 }, name: 'sparse', sparse: true },
        { key: { title: 'text' }, name: 'text' },
        { key: { loc: '2dsphere' }, name: 'geo' },
        { key: { '$**': 1 }, name: 'wildcard', wildcardProjection: { tags: 1 } },
        { key: { k: 'hashed' }, name: 'hashed' },
        { key: { name: 1 }, name: 'collated', collation: { locale: 'fr', strength: 1 } },
        { key: { l: new Long(1) }, name: 'long_key' },
      ],
    });
    await s.source.collection<Loose>('c').insertMany(
      Array.from({ length: 100 }, (_, i) => ({
        _id: i,
        u: i,
        a: i % 3,
        b: i % 5,
        t: new Date(0), // long expired: a TTL monitor on the target would delete these
        h: i,
        p: i,
        title: `item ${i}`,
        loc: { type: 'Point', coordinates: [i % 180, 0] },
        tags: ['x', 'y'],
        k: i,
        name: `Name ${i}`,
        l: i,
      })),
    );
    const { cloner } = await clonerFor(s);

    await cloner.run();

    const relaxed = new Map(
      (await s.target.collection('c').listIndexes({ raw: true }).toArray()).map((raw) => {
        const spec = decodeOrdered(raw as unknown as Uint8Array);
        return [spec.get('name'), spec];
      }),
    );
    expect(relaxed.get('unique')?.has('unique')).toBe(false);
    expect(relaxed.get('ttl')?.get('expireAfterSeconds')).toEqual(new Int32(RELAXED_TTL_SECONDS));
    expect(relaxed.get('hidden')?.has('hidden')).toBe(false);
    expect(await s.catalog.restoreIndexes()).toEqual([]);
    await compare(s.dbName);
  });
});

describe('DDL while cloning', () => {
  /** What the replicator would do once the clone is done: replay every change since T0. */
  async function replay(s: Scenario, t0: Timestamp): Promise<void> {
    for (const event of await changeEventsSince(pair, t0)) {
      if (ddlEvents([event]).length > 0) await s.catalog.applyDdl(event);
      else if (event.get('operationType') === 'insert') {
        const ns = event.get('ns') as OrderedDocument;
        const target = pair.target.db(String(ns.get('db'))).collection(String(ns.get('coll')));
        const key = event.get('documentKey') as OrderedDocument;
        await target.replaceOne(key, event.get('fullDocument') as OrderedDocument, { upsert: true });
      }
    }
  }

  it('reads a collection renamed after it was listed again under its new name; the replayed rename moves it', async () => {
    const s = scenario('renamed', { segmentSizeBytes: 2048 });
    await insertInBatches(s.source, 'before', 300, (i) => doc(['_id', new Int32(i)], ['v', `value ${i}`]));
    const t0 = await clusterTime(pair);
    const { cloner } = await clonerFor(s);
    await pair.source.db('admin').command({ renameCollection: `${s.dbName}.before`, to: `${s.dbName}.after` });

    await cloner.run();

    expect(s.ctx.logs.some((log) => log.message.startsWith('renamed on the source'))).toBe(true);
    expect(await s.target.collection('before').countDocuments()).toBe(300);
    await replay(s, t0);
    expect(await s.catalog.restoreIndexes()).toEqual([]);
    await compare(s.dbName);
  });

  it('leaves a collection dropped after it was listed to the replayed drop', async () => {
    const s = scenario('dropped');
    await s.source.collection('kept').insertOne({ a: 1 });
    await s.source.collection('dropped').insertMany([{ a: 1 }, { a: 2 }]);
    const t0 = await clusterTime(pair);
    const { cloner } = await clonerFor(s);
    await s.source.collection('dropped').drop();

    await cloner.run();

    expect(cloner.completed).toBe(true);
    expect(cloner.progress().find((p) => p.namespace.endsWith('.dropped'))?.state).toBe('skipped');
    await replay(s, t0);
    await compare(s.dbName);
  });

  it('keeps the copy of a collection renamed before it was listed when the rename is replayed', async () => {
    const s = scenario('renamed-early');
    await s.source.collection<Loose>('old').insertMany([{ _id: 1 }, { _id: 2 }]);
    const t0 = await clusterTime(pair);
    await s.source.collection<Loose>('old').insertOne({ _id: 3 });
    await pair.source.db('admin').command({ renameCollection: `${s.dbName}.old`, to: `${s.dbName}.new` });
    await s.source.collection<Loose>('new').insertOne({ _id: 4 });

    await migrate(s);
    await replay(s, t0);

    await compare(s.dbName);
  });
});

describe('resuming the clone', () => {
  it('pauses at a segment boundary and resumes from the checkpoint without copying done segments again', async () => {
    const s = scenario('pause', { segmentSizeBytes: 4096, readWorkers: 1, insertWorkers: 1, readBatchSizeBytes: 1024 });
    const total = 5000;
    await insertInBatches(s.source, 'c', total, (i) => doc(['_id', new Int32(i)], ['v', `value ${i}`]));
    await s.source.collection('small').insertOne({ a: 1 });
    const collections = await s.catalog.listSource();
    const pausing = {
      ...s.ctx,
      counters: {
        ...s.ctx.counters,
        cloneInsertedDocuments(count: number, bytes: number) {
          s.ctx.counters.cloneInsertedDocuments(count, bytes);
          if (s.ctx.counted.insertedDocuments >= 1000) void cloner.pause();
        },
      },
    };
    const cloner = createCloner(pausing, s.catalog, { collections, dropExisting: false });

    await cloner.run();

    expect(cloner.completed).toBe(false);
    const checkpoint = cloner.checkpoint();
    const done = checkpoint.segments.filter((entry) => entry.done);
    expect(done.length).toBeGreaterThan(0);
    const first = { ...s.ctx.counted };
    expect(first.insertedDocuments).toBeLessThan(total);
    // Stopped at a boundary: everything read was inserted, nothing is half copied.
    expect(first.readDocuments).toBe(first.insertedDocuments);

    const ctx = testContext(pair, { include: [`${s.dbName}.*`], clone: s.ctx.clone });
    const catalog = createCatalog(ctx);
    catalog.load(s.catalog.state());
    const resumed = createCloner(ctx, catalog, { collections, checkpoint: roundTrip(checkpoint), dropExisting: false });
    await resumed.run();

    expect(resumed.completed).toBe(true);
    expect(ctx.counted.readDocuments).toBe(total + 1 - first.readDocuments);
    expect(ctx.counted.insertedDocuments).toBe(total + 1 - first.insertedDocuments);
    expect(await catalog.restoreIndexes()).toEqual([]);
    await compare(s.dbName);
  });

  it('after a crash in the middle of a segment, copies that segment again and absorbs its duplicates', async () => {
    const s = scenario('crash', { segmentSizeBytes: 8192, readWorkers: 2, insertWorkers: 2, readBatchSizeBytes: 1024 });
    const total = 5000;
    await insertInBatches(s.source, 'c', total, (i) => doc(['_id', new Int32(i)], ['v', `value ${i}`]));
    const admin = pair.target.db('admin');
    await admin.command({
      configureFailPoint: 'failCommand',
      mode: { skip: 40 },
      data: { failCommands: ['insert'], errorCode: 8 /* UnknownError: not transient */ },
    });
    const { cloner, collections } = await clonerFor(s);
    try {
      await expect(cloner.run()).rejects.toThrow();
    } finally {
      await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
    }
    const checkpoint = cloner.checkpoint();
    const first = { ...s.ctx.counted };
    expect(checkpoint.segments.some((entry) => entry.done)).toBe(true);
    expect(first.insertedDocuments).toBeGreaterThan(0);

    const ctx = testContext(pair, { include: [`${s.dbName}.*`], clone: s.ctx.clone });
    const catalog = createCatalog(ctx);
    catalog.load(s.catalog.state());
    const resumed = createCloner(ctx, catalog, { collections, checkpoint: roundTrip(checkpoint), dropExisting: false });
    await resumed.run();

    // Every document inserted exactly once over both runs; what the crash left half done was read
    // again and met as duplicates.
    expect(first.insertedDocuments + ctx.counted.insertedDocuments).toBe(total);
    expect(ctx.counted.readDocuments).toBeGreaterThan(ctx.counted.insertedDocuments);
    expect(await catalog.restoreIndexes()).toEqual([]);
    await compare(s.dbName);
  });
});

/** A checkpoint as it comes back from storage: through BSON, decoded by the driver with its defaults. */
function roundTrip(checkpoint: CloneCheckpoint): CloneCheckpoint {
  return BSON.deserialize(BSON.serialize({ checkpoint })).checkpoint as CloneCheckpoint;
}

// ---------------------------------------------------------------------------------------------------
// Hand-built BSON for the two types the driver cannot write

function element(type: number, name: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), Buffer.from(`${name}\0`), value]);
}

function documentOf(...elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  const size = Buffer.alloc(4);
  size.writeInt32LE(body.length + 5);
  return Buffer.concat([size, body, Buffer.from([0])]);
}

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(value);
  return bytes;
}

function plainDocument(id: number): Buffer {
  return documentOf(element(0x10, '_id', int32(id)));
}

function undefinedDocument(id: number): Buffer {
  return documentOf(element(0x10, '_id', int32(id)), element(0x06, 'gone', Buffer.alloc(0)));
}

function dbPointerDocument(id: number): Buffer {
  const name = Buffer.from('db.coll\0');
  const pointer = Buffer.concat([int32(name.length), name, Buffer.from('65a1b2c3d4e5f60718293a4b', 'hex')]);
  return documentOf(element(0x10, '_id', int32(id)), element(0x0c, 'pointer', pointer));
}
