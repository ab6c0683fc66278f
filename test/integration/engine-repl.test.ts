// Change replication against two servers: the cluster-wide change stream from T0, routed to
// appliers, DDL as barriers, filters, pause and resume, catch-up for finalize, and the recoveries.
// Every test ends with the byte-level compare of both clusters.
import {
  Decimal128,
  Double,
  Int32,
  Long,
  MongoClient,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  Timestamp,
} from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../engine/core/catalog.js';
import { createCloner } from '../../engine/core/clone/cloner.js';
import type { Catalog, Replicator } from '../../engine/core/parts.js';
import { createReplicator } from '../../engine/core/repl/replicator.js';
import type { ReplTuning } from '../../engine/protocol.js';
import { startSandbox } from '../../engine/sandbox/index.js';
import { expectClustersIdentical } from '../support/compare-clusters.js';
import { startPair, testContext, type MigrationPair, type TestContext } from '../support/migration-pair.js';
import { uniqueDbName } from '../support/server-under-test.js';

let pair: MigrationPair;
const external = Boolean(process.env.FERRY_TEST_SOURCE_URI);

beforeAll(async () => {
  pair = await startPair();
});

/** Replicators of the running test, paused after it even when it failed half-way. */
const running: Replicator[] = [];

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((replicator) => replicator.pause()));
});

afterAll(async () => {
  await pair.stop();
});

/** Small batches, several appliers and short flushes, so ordering and batching are exercised. */
const busyTuning: Partial<ReplTuning> = { workers: 4, bulkOps: 16, flushIntervalMs: 10, changeStreamBatchSize: 50 };

interface Metrics {
  flushes: number;
  flushedOps: number;
  depths: Set<string>;
}

interface Scenario {
  dbName: string;
  source: Db;
  ctx: TestContext;
  catalog: Catalog;
  replicator: Replicator;
  metrics: Metrics;
}

function scenario(
  prefix: string,
  options: {
    /** Namespace patterns for the scenario's database name; `<dbName>.*` by default. */
    include?: (dbName: string) => string[];
    exclude?: (dbName: string) => string[];
    repl?: Partial<ReplTuning>;
    pair?: MigrationPair;
  } = {},
): Scenario {
  const dbName = uniqueDbName(prefix);
  const base = testContext(options.pair ?? pair, {
    include: options.include?.(dbName) ?? [`${dbName}.*`],
    exclude: options.exclude?.(dbName),
  });
  const metrics: Metrics = { flushes: 0, flushedOps: 0, depths: new Set() };
  const ctx: TestContext = {
    ...base,
    repl: { ...base.repl, ...busyTuning, ...options.repl },
    counters: {
      ...base.counters,
      flush: (_worker, ops) => {
        metrics.flushes++;
        metrics.flushedOps += ops;
      },
      queueDepth: (name) => metrics.depths.add(name),
    },
  };
  const catalog = createCatalog(ctx);
  const replicator = createReplicator(ctx, catalog);
  running.push(replicator);
  return {
    dbName,
    source: (options.pair ?? pair).source.db(dbName),
    ctx,
    catalog,
    replicator,
    metrics,
  };
}

async function clusterTime(client: MongoClient = pair.source): Promise<Timestamp> {
  const reply: Document = await client.db('admin').command({ ping: 1 });
  return reply.$clusterTime.clusterTime as Timestamp;
}

/** The stream starts at a time inclusively: this leaves out the writes at `time` itself. */
function justAfter(time: Timestamp): Timestamp {
  return new Timestamp({ t: time.t, i: time.i + 1 });
}

/** What finalize does: apply until the target reflects the source as it is now, then pause. */
async function catchUp(replicator: Replicator): Promise<void> {
  await replicator.catchUpTo(await clusterTime());
}

function compare(...dbNames: string[]): Promise<void> {
  return expectClustersIdentical(pair.sourceUri, pair.targetUri, {
    namespaces: (namespace) => dbNames.some((dbName) => namespace.startsWith(`${dbName}.`)),
  });
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Documents whose _id is not an ObjectId. */
interface AnyIdDocument extends Document {
  _id: number | string | Int32;
}

interface Counter {
  _id: string;
  seq: Int32;
  history: Int32[];
}

function collection(db: Db, name: string): Collection<AnyIdDocument> {
  return db.collection<AnyIdDocument>(name);
}

async function targetCollections(dbName: string): Promise<string[]> {
  const names = await pair.target.db(dbName).listCollections({}, { nameOnly: true }).toArray();
  return names.map(({ name }) => name).sort();
}

describe('replicating data changes', () => {
  it('clones with the catalog and cloner, then replays the inserts, updates, replaces and deletes made during and after the clone', async () => {
    const { dbName, source, ctx, catalog, replicator, metrics } = scenario('crud');
    const orders = collection(source, 'orders');
    await orders.insertMany(
      Array.from({ length: 400 }, (_, i) => ({ _id: i, n: new Int32(i), total: Decimal128.fromString(`${i}.50`) })),
    );
    const t0 = await clusterTime();
    const cloner = createCloner(ctx, catalog, { collections: await catalog.listSource(), dropExisting: false });
    const duringClone = (async () => {
      for (let i = 0; i < 40; i++) {
        await orders.updateOne({ _id: i * 7 }, { $set: { touched: new Long(i) }, $inc: { n: new Int32(1) } });
        await orders.deleteOne({ _id: 400 - i });
        await orders.insertOne({ _id: 1000 + i, late: true });
      }
    })();
    await Promise.all([cloner.run(), duringClone]);

    replicator.start(t0);
    await orders.insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: 2000 + i, n: new Double(i) })));
    await orders.updateMany({ _id: { $gte: 2000, $lt: 2100 } }, { $set: { 'nested.flag': true } });
    await orders.replaceOne({ _id: 5 }, { replaced: 'yes', list: [new Int32(1), new Long(2)] });
    await orders.replaceOne({ _id: 'new' }, { upserted: true }, { upsert: true });
    await orders.deleteMany({ _id: { $gte: 2150 } });
    await collection(source, 'second').insertOne({ _id: new Int32(1), more: 'data' });
    await catchUp(replicator);

    await compare(dbName);
    expect(replicator.eventsRead).toBeGreaterThanOrEqual(replicator.eventsApplied);
    expect(replicator.eventsApplied).toBeGreaterThan(300);
    expect(metrics.flushes).toBeGreaterThan(0);
    expect(metrics.flushedOps).toBeGreaterThan(0);
    expect(metrics.depths).toContain('events');
    expect(metrics.depths).toContain('worker-0');
  });

  it('replays updates of every kind: dotted paths, truncated arrays, pipelines, $unset, odd field names', async () => {
    const { dbName, source, replicator } = scenario('updates');
    const docs = collection(source, 'docs');
    replicator.start(await clusterTime());
    // Padding keeps pipeline updates logged as deltas: mongod logs a replacement when the delta
    // would be bigger than the document.
    const pad = 'p'.repeat(300);
    await docs.insertMany([
      { _id: 1, a: { b: { c: 1 } }, arr: [1, 2, 3, 4, 5], n: new Int32(1), l: new Long(1), d: new Double(1.5), pad },
      { _id: 2, arr: [{ b: 1 }, { b: 2 }, { b: 3 }], gone: 'soon', m: { '0': 'zero', '1': 'one' }, list: ['x'], pad },
      { _id: 3, price: Decimal128.fromString('1.10'), tags: ['a', 'b', 'c', 'a'], pad },
    ]);
    await docs.updateOne({ _id: 1 }, { $set: { 'a.b.c': 2, 'a.b.d': 'new' } });
    await docs.updateOne({ _id: 1 }, { $inc: { n: new Int32(2), l: new Long(3), d: new Double(0.25) } });
    await docs.updateOne({ _id: 1 }, { $pop: { arr: 1 } });
    await docs.updateOne({ _id: 1 }, { $pop: { arr: -1 } });
    await source.command({ update: 'docs', updates: [{ q: { _id: 3 }, u: { $pull: { tags: 'a' } } }] });
    await docs.updateOne({ _id: 3 }, { $set: { tags: ['z'] } });
    await docs.updateOne({ _id: 3 }, { $mul: { price: Decimal128.fromString('2') } });
    await docs.updateOne({ _id: 2 }, { $unset: { gone: '' } });
    // Pipelines that shorten an array (truncatedArrays), one also changing a kept element.
    await docs.updateOne({ _id: 1 }, [{ $set: { arr: { $slice: ['$arr', 2] } } }]);
    await docs.updateOne({ _id: 2 }, [{ $set: { arr: [{ b: 1 }, { b: 9 }] } }]);
    await docs.updateOne({ _id: 2 }, [{ $set: { total: { $size: '$arr' } } }, { $unset: 'list' }]);
    // Numeric field names: a document's field "0" and an array's index 0.
    await docs.updateOne({ _id: 2 }, { $set: { 'm.0': 'ZERO', 'm.2': 'two' } });
    await docs.updateOne({ _id: 2 }, { $set: { list2: ['p', 'q'] } });
    await docs.updateOne({ _id: 2 }, { $set: { 'list2.0': 'P' } });
    await docs.updateOne({ _id: 1 }, { $rename: { 'a.b.d': 'renamed' } });
    // Names no dotted path can reach: a dot in the name, a leading dollar.
    await docs.updateOne({ _id: 3 }, [
      { $replaceWith: { $setField: { field: 'with.dot', input: '$$ROOT', value: 1 } } },
    ]);
    await docs.updateOne({ _id: 3 }, [
      { $replaceWith: { $setField: { field: { $literal: '$dollar' }, input: '$$ROOT', value: 'x' } } },
    ]);
    await docs.updateOne({ _id: 3 }, [
      { $replaceWith: { $setField: { field: 'with.dot', input: '$$ROOT', value: { deep: true } } } },
    ]);
    await docs.updateOne({ _id: 3 }, { $set: { after: 'odd names' } });
    await catchUp(replicator);

    await compare(dbName);
  });

  it('keeps each document in stream order across 2000 interleaved updates spread over several appliers', async () => {
    const { dbName, source, replicator } = scenario('order', { repl: { workers: 4, bulkOps: 7, flushIntervalMs: 5 } });
    const counters = source.collection<Counter>('counters');
    replicator.start(await clusterTime());
    const ids = ['a', 'b', 'c', 'd', 'e'];
    await counters.insertMany(ids.map((_id) => ({ _id, seq: new Int32(-1), history: [] })));
    const updates: AnyBulkWriteOperation<Counter>[] = [];
    for (let i = 0; i < 2000; i++) {
      const filter = { _id: ids[i % ids.length] };
      if (i % 9 === 0) updates.push({ updateOne: { filter, update: { $set: { seq: new Int32(i), history: [] } } } });
      else
        updates.push({
          updateOne: { filter, update: { $set: { seq: new Int32(i) }, $push: { history: new Int32(i) } } },
        });
    }
    await counters.bulkWrite(updates, { ordered: true });
    await catchUp(replicator);

    const target = await collection(pair.target.db(dbName), 'counters').find().sort({ _id: 1 }).toArray();
    expect(target.map((doc) => doc.seq)).toEqual([1995, 1996, 1997, 1998, 1999]);
    await compare(dbName);
  });

  it('ends identical after multi-document transactions, even when a transaction spans two batches', async () => {
    const { dbName, source, replicator } = scenario('txn', { repl: { changeStreamBatchSize: 3 } });
    const accounts = collection(source, 'accounts');
    const ledger = collection(source, 'ledger');
    replicator.start(await clusterTime());
    await accounts.insertMany([
      { _id: 'alice', balance: new Int32(100) },
      { _id: 'bob', balance: new Int32(100) },
    ]);
    await ledger.insertOne({ _id: 0, note: 'opening' });
    const session = pair.source.startSession();
    try {
      for (let i = 1; i <= 5; i++) {
        await session.withTransaction(async () => {
          await accounts.updateOne({ _id: 'alice' }, { $inc: { balance: new Int32(-i) } }, { session });
          await accounts.updateOne({ _id: 'bob' }, { $inc: { balance: new Int32(i) } }, { session });
          await ledger.insertOne({ _id: i, from: 'alice', to: 'bob', amount: new Int32(i) }, { session });
          if (i % 2 === 0) await ledger.deleteOne({ _id: i - 1 }, { session });
          await accounts.replaceOne({ _id: `carol${i}` }, { balance: new Int32(i) }, { session, upsert: true });
        });
        await ledger.updateOne({ _id: i }, { $set: { settled: true } });
      }
    } finally {
      await session.endSession();
    }
    await catchUp(replicator);

    await compare(dbName);
  });
});

describe('replicating DDL', () => {
  it('applies creates, drops, renames (also across databases), dropDatabase, index changes and collMod as barriers', async () => {
    const { dbName, source, catalog, replicator } = scenario('ddl', {
      include: (dbName) => [`${dbName}.*`, `${dbName}_b.*`, `${dbName}_c.*`],
    });
    const other = `${dbName}_b`;
    const doomed = `${dbName}_c`;
    replicator.start(await clusterTime());

    await source.createCollection('capped', { capped: true, size: 4096, max: 20 });
    await collection(source, 'capped').insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, i })));
    await source.createCollection('french', { collation: { locale: 'fr', strength: 2 } });
    await collection(source, 'french').insertMany([
      { _id: 1, name: 'élan' },
      { _id: 2, name: 'Elan' },
    ]);
    await source.createCollection('checked', {
      validator: { name: { $exists: true } },
      validationLevel: 'moderate',
    });
    await collection(source, 'checked').insertOne({ _id: 1, name: 'ok' });

    const items = collection(source, 'items');
    await items.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: i, sku: `s${i}`, at: new Date(0), x: i })));
    await items.createIndex({ sku: 1 }, { name: 'sku_1', collation: { locale: 'en', strength: 1 } });
    await items.createIndex({ at: 1 }, { expireAfterSeconds: 3600, name: 'at_ttl' });
    await items.createIndex({ x: -1 }, { name: 'x_desc' });
    await items.updateMany({ x: { $lt: 10 } }, { $set: { cheap: true } });
    await items.dropIndex('x_desc');
    await source.command({ collMod: 'items', index: { name: 'at_ttl', expireAfterSeconds: 60 } });
    await source.command({ collMod: 'checked', validator: { name: { $exists: true }, kind: { $type: 'string' } } });
    await collection(source, 'checked').insertOne({ _id: 2, name: 'needs', kind: 'both' });

    await collection(source, 'renamed').insertMany([{ _id: 1 }, { _id: 2 }]);
    await collection(source, 'renamed').rename('renamed2');
    await collection(source, 'renamed2').insertOne({ _id: 3 });
    await collection(source, 'traveller').insertMany([{ _id: 1, t: 1 }]);
    await pair.source
      .db('admin')
      .command({ renameCollection: `${dbName}.traveller`, to: `${other}.arrived`, dropTarget: true });
    await collection(pair.source.db(other), 'arrived').insertOne({ _id: 2, t: 2 });

    await collection(source, 'dropped').insertOne({ _id: 1 });
    await collection(source, 'dropped').drop();
    await collection(pair.source.db(doomed), 'one').insertOne({ _id: 1 });
    await pair.source.db(doomed).dropDatabase();
    await collection(source, 'after').insertOne({ _id: 'after all DDL' });
    await catchUp(replicator);

    // What finalize does: the relaxed TTL index gets its source expireAfterSeconds back.
    expect(await catalog.restoreIndexes()).toEqual([]);
    await compare(dbName, other, doomed);
    expect(await targetCollections(doomed)).toEqual([]);
  });
  it('holds a DDL event until every applier has written the events before it', async () => {
    // Long flushes: without the barrier the appliers would still hold these writes when the DDL runs.
    const { dbName, source, replicator } = scenario('barrier', { repl: { bulkOps: 1000, flushIntervalMs: 3000 } });
    replicator.start(await clusterTime());
    await collection(source, 'before').insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i })));
    await collection(source, 'before').rename('after');
    await collection(source, 'after').updateMany({}, { $set: { renamed: true } });
    await collection(source, 'short').insertOne({ _id: 1 });
    await collection(source, 'short').drop();
    await catchUp(replicator);

    expect(await targetCollections(dbName)).toEqual(['after']);
    await compare(dbName);
  });
});

describe('filters', () => {
  it('never writes excluded or unselected namespaces to the target, while time still moves on', async () => {
    const { dbName, source, replicator } = scenario('filter', {
      exclude: (dbName) => [`${dbName}.secret`, `${dbName}.archive`],
    });
    replicator.start(await clusterTime());
    await collection(source, 'public').insertMany([{ _id: 1 }, { _id: 2 }]);
    await collection(source, 'secret').insertMany([{ _id: 1, password: 'x' }]);
    await collection(source, 'secret').updateOne({ _id: 1 }, { $set: { password: 'y' } });
    await collection(source, 'secret').createIndex({ password: 1 });
    await collection(pair.source.db(`${dbName}_other`), 'unselected').insertOne({ _id: 1 });
    // Renamed out of the selection: the target loses it.
    await collection(source, 'leaving').insertOne({ _id: 1 });
    await collection(source, 'leaving').rename('archive');
    await collection(source, 'public').updateOne({ _id: 1 }, { $set: { last: true } });
    await catchUp(replicator);

    expect(await targetCollections(dbName)).toEqual(['public']);
    expect(await targetCollections(`${dbName}_other`)).toEqual([]);
    await expectClustersIdentical(pair.sourceUri, pair.targetUri, {
      namespaces: (namespace) => namespace === `${dbName}.public`,
    });
  });
});

describe('progress', () => {
  it('moves lastReplicated and the resume point on while the source is idle, without writing to it', async () => {
    const { dbName, source, replicator } = scenario('idle');
    await collection(source, 'quiet').insertOne({ _id: 1 });
    replicator.start(await clusterTime());
    await eventually('a first caught-up time', () => replicator.lastReplicated !== undefined);
    const first = replicator.lastReplicated!;
    const sourceTimeBefore = await clusterTime();
    await eventually('lastReplicated moves past the first caught-up time', () => {
      const last = replicator.lastReplicated!;
      return last.t > first.t || (last.t === first.t && last.i > first.i);
    });
    expect(replicator.resumePoint!.greaterThan(first) || replicator.resumePoint!.equals(first)).toBe(true);
    // Read-only on the source: nothing but mongod's own periodic no-ops reached its oplog meanwhile.
    const written = await pair.source
      .db('local')
      .collection('oplog.rs')
      .find({ ts: { $gt: sourceTimeBefore }, 'o.msg': { $ne: 'periodic noop' } })
      .toArray();
    expect(written).toEqual([]);
    await replicator.pause();
    await compare(dbName);
  });

  it('pauses and resumes under write load without losing anything', async () => {
    const { dbName, source, replicator } = scenario('pause');
    const load = collection(source, 'load');
    replicator.start(await clusterTime());
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await load.insertOne({ _id: written, v: new Int32(written) });
        if (written % 3 === 0) await load.updateOne({ _id: Math.floor(written / 2) }, { $inc: { v: new Int32(10) } });
        if (written % 5 === 0) await load.deleteOne({ _id: written - 4 });
        written++;
      }
    })();
    for (let round = 0; round < 3; round++) {
      const before = written;
      await eventually('more writes', () => written > before + 30);
      await replicator.pause();
      const resumePoint = replicator.resumePoint!;
      expect(resumePoint).toBeDefined();
      const appliedAtPause = replicator.eventsApplied;
      await eventually('writes while paused', () => written > before + 60);
      expect(replicator.eventsApplied).toBe(appliedAtPause);
      replicator.start(resumePoint);
    }
    writing = false;
    await writer;
    await catchUp(replicator);

    expect(await collection(pair.target.db(dbName), 'load').countDocuments()).toBe(await load.countDocuments());
    await compare(dbName);
  });

  it('catches up to a given time from a pause, as finalize does, then stops', async () => {
    const { dbName, source, replicator } = scenario('catchup');
    replicator.start(await clusterTime());
    await collection(source, 'c').insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i })));
    await replicator.pause();
    await collection(source, 'c').updateMany({}, { $set: { whilePaused: true } });
    await collection(source, 'd').insertOne({ _id: 'created while paused' });
    const time = await clusterTime();

    await replicator.catchUpTo(time);

    const last = replicator.lastReplicated!;
    expect(last.greaterThan(time) || last.equals(time)).toBe(true);
    await expect(replicator.done).resolves.toBeUndefined();
    await compare(dbName);
  });
});

describe('recovering from errors', () => {
  it.skipIf(external)(
    'reopens the change stream after transient errors and retries transient write errors',
    async () => {
      const { dbName, source, replicator } = scenario('transient');
      const admin = (client: MongoClient) => client.db('admin');
      replicator.start(await clusterTime());
      await collection(source, 't').insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i })));
      await catchUp(replicator);
      replicator.start(replicator.resumePoint!);
      await admin(pair.source).command({
        configureFailPoint: 'failCommand',
        mode: { times: 2 },
        data: { failCommands: ['getMore'], errorCode: 91, errorLabels: ['ResumableChangeStreamError'] },
      });
      await admin(pair.target).command({
        configureFailPoint: 'failCommand',
        mode: { times: 2 },
        data: { failCommands: ['update'], errorCode: 11602, errorLabels: ['RetryableWriteError'] },
      });
      const fired: unknown[] = [];
      try {
        await collection(source, 't').updateMany({}, { $set: { afterFailures: true } });
        await collection(source, 't').insertOne({ _id: 'last' });
        await catchUp(replicator);
      } finally {
        for (const client of [pair.source, pair.target]) {
          const off = await admin(client).command({ configureFailPoint: 'failCommand', mode: 'off' });
          fired.push(off.count);
        }
      }
      expect(fired).toEqual([2, 2]);
      await compare(dbName);
    },
  );

  it('copies a document again from the source when an update meets a target document of another shape', async () => {
    const { dbName, source, ctx, replicator } = scenario('refetch');
    await collection(source, 'shapes').insertOne({ _id: 1, a: { b: 1 }, keep: 'me' });
    // The target holds an older shape of the document, as after a crash and a replay.
    await collection(pair.target.db(dbName), 'shapes').insertOne({ _id: 1, a: 5 });
    replicator.start(justAfter(await clusterTime()));
    await collection(source, 'shapes').updateOne({ _id: 1 }, { $set: { 'a.b': 2 } });
    await catchUp(replicator);

    expect(ctx.logs.filter(({ level }) => level === 'error')).toEqual([]);
    await compare(dbName);
  });

  it('fails with a clear error when the target rejects a write, and resumes from the resume point once fixed', async () => {
    const { dbName, source, replicator } = scenario('fatal');
    await collection(source, 'users').insertOne({ _id: 0, email: 'first@example.com' });
    await collection(pair.target.db(dbName), 'users').insertOne({ _id: 0, email: 'first@example.com' });
    // A unique index built on the target outside Ferry: the source allows what it refuses.
    await collection(pair.target.db(dbName), 'users').createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
    replicator.start(await clusterTime());
    await collection(source, 'users').insertOne({ _id: 1, email: 'first@example.com' });

    await expect(replicator.done).rejects.toMatchObject({ code: 'DUPLICATE_KEY', remedy: expect.any(String) });
    const resumePoint = replicator.resumePoint!;
    await collection(pair.target.db(dbName), 'users').dropIndex('email_unique');
    replicator.start(resumePoint);
    await catchUp(replicator);

    await compare(dbName);
  });

  it.skipIf(external)(
    'fails with HISTORY_LOST and its remedy when the oplog no longer reaches the start time',
    async () => {
      const small = await startSandbox({ port: 0, oplogSizeMb: 1 });
      const client = new MongoClient(small.uri);
      try {
        const smallPair: MigrationPair = { ...pair, sourceUri: small.uri, source: client };
        const { dbName, replicator } = scenario('history', { pair: smallPair });
        const t0 = await clusterTime(client);
        const filler = collection(client.db(dbName), 'filler');
        for (let i = 0; i < 40; i++) await filler.insertOne({ _id: i, pad: 'x'.repeat(64 * 1024) });

        replicator.start(t0);

        await expect(replicator.done).rejects.toMatchObject({
          code: 'HISTORY_LOST',
          remedy: expect.stringContaining('oplog'),
        });
        expect(await targetCollections(dbName)).toEqual([]);
      } finally {
        await client.close();
        await small.stop();
      }
    },
  );
});
