// Change streams through the official driver, as on a mongod 8.0 replica set: event shapes per
// operation type, invalidation, resuming (by token, by time, after an invalidate), history loss,
// idle streams' resume tokens, images, filtering stages and transactions.
import {
  MongoClient,
  Timestamp,
  type ChangeStream,
  type ChangeStreamDocument,
  type Db,
  type Document,
  type ResumeToken,
} from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';
import { serverError } from '../support/server-error.js';

const external = Boolean(process.env.FERRY_TEST_SOURCE_URI);
let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
const dbName = uniqueDbName('changes');

interface Item {
  _id: number;
  [field: string]: unknown;
}

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri).connect();
  db = client.db(dbName);
});

afterAll(async () => {
  await client?.db(dbName).dropDatabase();
  await client?.close();
  await server?.stop();
});

beforeEach(async () => {
  await db.dropDatabase();
  await db.createCollection('items');
});

const items = (name = 'items') => db.collection<Item>(name);
type Event = ChangeStreamDocument<Document> & Document;

/** The next event, failing after `ms` instead of waiting for ever. */
async function nextEvent(stream: ChangeStream<Document, Event>, ms = 5000): Promise<Event> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const event = await stream.tryNext();
    if (event) return event;
  }
  throw new Error('no change event arrived');
}

/**
 * Opens a stream and, unless it starts from a given point, makes sure its cursor exists before
 * anything is written (the driver sends the aggregate on first use).
 */
async function watch(target: { watch: Db['watch'] }, pipeline: Document[] = [], options: Document = {}) {
  const stream = target.watch<Document, Event>(pipeline, { maxAwaitTimeMS: 100, ...options });
  const startsAtAPoint = ['resumeAfter', 'startAfter', 'startAtOperationTime'].some((name) => name in options);
  if (!startsAtAPoint) expect(await stream.tryNext()).toBeNull();
  return stream;
}

const dataOf = (token: ResumeToken | undefined): string => String((token as { _data?: unknown } | undefined)?._data);

/** The cluster time a resume token starts with (0x82, then seconds and increment, big-endian). */
function timeOf(token: ResumeToken | undefined): bigint {
  return Buffer.from(dataOf(token), 'hex').readBigUInt64BE(1);
}

const asBigInt = (time: Timestamp | undefined): bigint => (time ? time.toBigInt() : 0n);

describe('event shapes', () => {
  it('reports an insert with its token, times, namespace, document key and full document', async () => {
    const stream = await watch(items());
    await items().insertOne({ _id: 1, a: 'x' });
    const event = await nextEvent(stream);
    expect(Object.keys(event)).toEqual([
      '_id',
      'operationType',
      'clusterTime',
      'wallTime',
      'fullDocument',
      'ns',
      'documentKey',
    ]);
    expect(dataOf(event._id)).toMatch(/^82[0-9A-F]+$/);
    expect(event.operationType).toBe('insert');
    expect(event.clusterTime).toBeInstanceOf(Timestamp);
    expect(event.wallTime).toBeInstanceOf(Date);
    expect(event.fullDocument).toEqual({ _id: 1, a: 'x' });
    expect(event.ns).toEqual({ db: dbName, coll: 'items' });
    expect(event.documentKey).toEqual({ _id: 1 });
    await stream.close();
  });

  it('puts the cluster time of the event in the first bytes of its resume token', async () => {
    const stream = await watch(items());
    await items().insertOne({ _id: 1 });
    const event = await nextEvent(stream);
    const key = Buffer.from(dataOf(event._id), 'hex');
    expect(key[0]).toBe(0x82);
    expect(key.readUInt32BE(1)).toBe(event.clusterTime?.t);
    expect(key.readUInt32BE(5)).toBe(event.clusterTime?.i);
    await stream.close();
  });

  it('reports updates with updated and removed fields and truncated arrays', async () => {
    await items().insertOne({ _id: 1, a: 1, gone: true, array: ['foo', { a: 'bar' }, 1, 2, 3] });
    const stream = await watch(items());
    await items().updateOne({ _id: 1 }, { $set: { a: 2 }, $unset: { gone: '' } });
    await items().updateOne({ _id: 1 }, [{ $set: { array: ['foo', { a: 'bar' }] } }]);
    const first = await nextEvent(stream);
    expect(first.operationType).toBe('update');
    expect(first.updateDescription).toEqual({ updatedFields: { a: 2 }, removedFields: ['gone'], truncatedArrays: [] });
    expect(first).not.toHaveProperty('fullDocument');
    const second = await nextEvent(stream);
    expect(second.updateDescription).toEqual({
      updatedFields: {},
      removedFields: [],
      truncatedArrays: [{ field: 'array', newSize: 2 }],
    });
    await stream.close();
  });

  it('reports replacements with the new document and deletes with the document key', async () => {
    await items().insertOne({ _id: 1, a: 1 });
    const stream = await watch(items());
    await items().replaceOne({ _id: 1 }, { b: 2 });
    await items().deleteOne({ _id: 1 });
    const replace = await nextEvent(stream);
    expect(replace.operationType).toBe('replace');
    expect(replace.fullDocument).toEqual({ _id: 1, b: 2 });
    expect(replace.documentKey).toEqual({ _id: 1 });
    const deleted = await nextEvent(stream);
    expect(deleted.operationType).toBe('delete');
    expect(deleted.documentKey).toEqual({ _id: 1 });
    expect(deleted).not.toHaveProperty('fullDocument');
    await stream.close();
  });

  it('ends a collection stream with invalidate after its collection is dropped', async () => {
    const stream = await watch(items());
    await items().drop();
    const drop = await nextEvent(stream);
    expect(drop.operationType).toBe('drop');
    expect(drop.ns).toEqual({ db: dbName, coll: 'items' });
    const invalidate = await nextEvent(stream);
    expect(Object.keys(invalidate)).toEqual(['_id', 'operationType', 'clusterTime', 'wallTime']);
    expect(invalidate.operationType).toBe('invalidate');
    expect(invalidate.clusterTime).toEqual(drop.clusterTime);
    expect(dataOf(invalidate._id) > dataOf(drop._id)).toBe(true);
    expect(await stream.tryNext()).toBeNull();
    expect(stream.closed).toBe(true);
  });

  it('reports a rename with its target, then invalidates', async () => {
    const stream = await watch(items());
    await items().rename('renamed');
    const rename = await nextEvent(stream);
    expect(rename.operationType).toBe('rename');
    expect(rename.ns).toEqual({ db: dbName, coll: 'items' });
    expect(rename.to).toEqual({ db: dbName, coll: 'renamed' });
    expect((await nextEvent(stream)).operationType).toBe('invalidate');
  });

  it('reports dropDatabase to a database stream after each collection drop, then invalidates', async () => {
    await items('second').insertOne({ _id: 1 });
    const stream = await watch(db);
    await db.dropDatabase();
    const drops = [await nextEvent(stream), await nextEvent(stream)];
    expect(drops.map((event) => event.operationType)).toEqual(['drop', 'drop']);
    expect(drops.map((event) => event.ns?.coll).sort()).toEqual(['items', 'second']);
    const dropDatabase = await nextEvent(stream);
    expect(dropDatabase.operationType).toBe('dropDatabase');
    expect(dropDatabase.ns).toEqual({ db: dbName });
    expect((await nextEvent(stream)).operationType).toBe('invalidate');
  });

  it('shows a database stream every user collection of its database and nothing else', async () => {
    const stream = await watch(db);
    await client.db(`${dbName}_other`).collection<Item>('items').insertOne({ _id: 1 });
    await items('a').insertOne({ _id: 2 });
    await items('b').insertOne({ _id: 3 });
    const first = await nextEvent(stream);
    const second = await nextEvent(stream);
    expect([first.ns, second.ns]).toEqual([
      { db: dbName, coll: 'a' },
      { db: dbName, coll: 'b' },
    ]);
    await stream.close();
    await client.db(`${dbName}_other`).dropDatabase();
  });

  it('shows a cluster stream the writes of every database', async () => {
    const stream = await watch(client);
    await items().insertOne({ _id: 1 });
    const event = await nextEvent(stream);
    expect(event.ns).toEqual({ db: dbName, coll: 'items' });
    await stream.close();
  });
});

describe('expanded events', () => {
  it('adds collectionUUID and reports createIndexes, dropIndexes, modify and create', async () => {
    const stream = await watch(db, [], { showExpandedEvents: true });
    await items().insertOne({ _id: 1 });
    await items().createIndex({ x: 1 }, { name: 'x_1' });
    await items().dropIndex('x_1');
    await db.command({ collMod: 'items', validator: { x: { $exists: true } } });
    await db.createCollection('fresh');
    const insert = await nextEvent(stream);
    expect(insert.operationType).toBe('insert');
    expect(insert.collectionUUID).toBeDefined();
    const created = await nextEvent(stream);
    expect(created.operationType).toBe('createIndexes');
    expect(created.operationDescription?.indexes[0]).toMatchObject({ name: 'x_1', key: { x: 1 } });
    const dropped = await nextEvent(stream);
    expect(dropped.operationType).toBe('dropIndexes');
    expect(dropped.operationDescription?.indexes[0]).toMatchObject({ name: 'x_1' });
    const modify = await nextEvent(stream);
    expect(modify.operationType).toBe('modify');
    expect(modify.operationDescription).toMatchObject({ validator: { x: { $exists: true } } });
    expect(modify.stateBeforeChange).toHaveProperty('collectionOptions');
    const create = await nextEvent(stream);
    expect(create.operationType).toBe('create');
    expect(create.ns).toEqual({ db: dbName, coll: 'fresh' });
    expect(create.operationDescription).toHaveProperty('idIndex');
    await stream.close();
  });

  it('leaves expanded events out without showExpandedEvents', async () => {
    const stream = await watch(db);
    await items().createIndex({ x: 1 });
    await db.createCollection('fresh');
    await items().insertOne({ _id: 1 });
    expect((await nextEvent(stream)).operationType).toBe('insert');
    await stream.close();
  });

  it('describes a rename over an existing collection with dropTarget', async () => {
    await items('target').insertOne({ _id: 1 });
    const stream = await watch(items(), [], { showExpandedEvents: true });
    await items().rename('target', { dropTarget: true });
    const rename = await nextEvent(stream);
    expect(rename.operationDescription).toMatchObject({ to: { db: dbName, coll: 'target' } });
    expect(rename.operationDescription).toHaveProperty('dropTarget');
    await stream.close();
  });

  it('shows disambiguatedPaths only with showExpandedEvents', async () => {
    await items().insertOne({ _id: 1, a: { '1': 1 } });
    const plain = await watch(items());
    const expanded = await watch(items(), [], { showExpandedEvents: true });
    await items().updateOne({ _id: 1 }, { $set: { 'a.1': 2 } });
    expect((await nextEvent(plain)).updateDescription).not.toHaveProperty('disambiguatedPaths');
    expect((await nextEvent(expanded)).updateDescription?.disambiguatedPaths).toEqual({ 'a.1': ['a', '1'] });
    await plain.close();
    await expanded.close();
  });

  it('reports one create, one modify and one drop for a view, on the view and without collectionUUID', async () => {
    const stream = await watch(db, [], { showExpandedEvents: true });
    await db.createCollection('view', { viewOn: 'items', pipeline: [{ $match: { a: 1 } }] });
    await db.command({ collMod: 'view', viewOn: 'items', pipeline: [{ $match: { a: 2 } }] });
    await db.dropCollection('view');
    await items().insertOne({ _id: 1 });
    const events: Event[] = [];
    for (let event = await nextEvent(stream); event.operationType !== 'insert'; event = await nextEvent(stream))
      events.push(event);
    expect(events.map((event) => event.operationType)).toEqual(['create', 'modify', 'drop']);
    for (const event of events) {
      expect(event.ns).toEqual({ db: dbName, coll: 'view' });
      expect(event).not.toHaveProperty('collectionUUID');
    }
    expect(events[0].operationDescription).toEqual({ viewOn: 'items', pipeline: [{ $match: { a: 1 } }] });
    expect(events[1].operationDescription).toEqual({ viewOn: 'items', pipeline: [{ $match: { a: 2 } }] });
    await stream.close();
  });

  it('reports a view once even when its events are read after its database is gone', async () => {
    const stream = await watch(db, [], { showExpandedEvents: true });
    await db.createCollection('view', { viewOn: 'items', pipeline: [] });
    await db.command({ collMod: 'view', viewOn: 'items', pipeline: [{ $match: { a: 2 } }] });
    await db.dropDatabase();
    const events: Event[] = [];
    for (let event = await nextEvent(stream); event.operationType !== 'invalidate'; event = await nextEvent(stream))
      events.push(event);
    const onView = events.filter((event) => event.ns?.coll === 'view');
    expect(onView.map((event) => event.operationType)).toEqual(['create', 'modify']);
  });
});

describe('resuming', () => {
  it('resumes after a token with the events that followed it', async () => {
    const stream = await watch(items());
    await items().insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const first = await nextEvent(stream);
    await stream.close();
    const resumed = await watch(items(), [], { resumeAfter: first._id });
    expect((await nextEvent(resumed)).documentKey).toEqual({ _id: 2 });
    expect((await nextEvent(resumed)).documentKey).toEqual({ _id: 3 });
    await resumed.close();
  });

  it('starts at an operation time, including the operation at that time', async () => {
    await items().insertOne({ _id: 1 });
    const session = client.startSession();
    await items().insertOne({ _id: 2 }, { session });
    const time = session.operationTime;
    await session.endSession();
    await items().insertOne({ _id: 3 });
    const stream = await watch(items(), [], { startAtOperationTime: time });
    expect((await nextEvent(stream)).documentKey).toEqual({ _id: 2 });
    expect((await nextEvent(stream)).documentKey).toEqual({ _id: 3 });
    await stream.close();
  });

  it('starts after an invalidate, which resumeAfter refuses', async () => {
    const stream = await watch(items());
    await items().drop();
    await nextEvent(stream);
    const invalidate = await nextEvent(stream);
    await items().insertOne({ _id: 7 });
    const error = await serverError(() =>
      db.command({ aggregate: 'items', pipeline: [{ $changeStream: { resumeAfter: invalidate._id } }], cursor: {} }),
    );
    expect(error.code).toBe(260);
    expect(error.codeName).toBe('InvalidResumeToken');
    const after = await watch(items(), [], { startAfter: invalidate._id });
    const event = await nextEvent(after);
    expect(event.operationType).toBe('insert');
    expect(event.documentKey).toEqual({ _id: 7 });
    await after.close();
  });

  it('fails with ChangeStreamFatalError when the resume token names an event that is not there', async () => {
    const other = await watch(items('other'));
    await items('other').insertOne({ _id: 1 });
    const foreign = await nextEvent(other);
    await other.close();
    await items().insertOne({ _id: 2 });
    const error = await serverError(async () => {
      const reply = await db.command(
        { aggregate: 'items', pipeline: [{ $changeStream: { resumeAfter: foreign._id } }], cursor: {} },
        { promoteLongs: false },
      );
      await db.command({ getMore: reply.cursor.id, collection: 'items', maxTimeMS: 100 });
    });
    expect(error.code).toBe(280);
    expect(error.message).toContain('the resume token was not found');
  });

  it.skipIf(external)('reports ChangeStreamHistoryLost when the oplog no longer reaches the resume point', async () => {
    const small = await serverUnderTest({ oplogSizeMb: 0.01 });
    const smallClient = await new MongoClient(small.uri).connect();
    try {
      const coll = smallClient.db('history').collection<Item>('items');
      const stream = coll.watch<Document, Event>([], { maxAwaitTimeMS: 100 });
      await stream.tryNext();
      await coll.insertOne({ _id: 0 });
      const first = await nextEvent(stream);
      await stream.close();
      await coll.insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: i + 1, pad: 'x'.repeat(200) })));
      const error = await serverError(() =>
        smallClient
          .db('history')
          .command({ aggregate: 'items', pipeline: [{ $changeStream: { resumeAfter: first._id } }], cursor: {} }),
      );
      expect(error.code).toBe(286);
      expect(error.codeName).toBe('ChangeStreamHistoryLost');
      expect(error.message).toBe(
        'Resume of change stream was not possible, as the resume point may no longer be in the oplog.',
      );
    } finally {
      await smallClient.close();
      await small.stop();
    }
  });

  it('advances the postBatchResumeToken of an idle stream', async () => {
    const stream = await watch(items());
    const first = dataOf(stream.resumeToken);
    let latest = first;
    // mongod's periodic no-op writes move idle streams on at least every 10 seconds.
    const deadline = Date.now() + 25_000;
    while (latest === first && Date.now() < deadline) {
      await stream.tryNext();
      latest = dataOf(stream.resumeToken);
    }
    expect(latest > first).toBe(true);
    await stream.close();
  }, 30_000);

  it('moves the postBatchResumeToken past writes the stream does not report', async () => {
    const stream = await watch(items());
    const session = client.startSession();
    await items('other').insertOne({ _id: 1 }, { session });
    const written = asBigInt(session.operationTime);
    await session.endSession();
    expect(await stream.tryNext()).toBeNull();
    expect(timeOf(stream.resumeToken) >= written).toBe(true);
    await stream.close();
  });
});

describe('options and stages', () => {
  it('looks up the current document for updates with fullDocument updateLookup', async () => {
    await items().insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: 1 },
    ]);
    const stream = await watch(items(), [], { fullDocument: 'updateLookup' });
    await items().updateOne({ _id: 1 }, { $set: { n: 2 } });
    await items().updateOne({ _id: 2 }, { $set: { n: 2 } });
    await items().updateOne({ _id: 2 }, { $set: { n: 3 } });
    await items().deleteOne({ _id: 1 });
    // The lookup happens when the event is read: the document as it is then, or null once it is gone.
    expect((await nextEvent(stream)).fullDocument).toBeNull();
    expect((await nextEvent(stream)).fullDocument).toEqual({ _id: 2, n: 3 });
    await stream.close();
  });

  it('adds pre- and post-images for collections that record them', async () => {
    await db.command({ collMod: 'items', changeStreamPreAndPostImages: { enabled: true } });
    await items().insertOne({ _id: 1, n: 1 });
    const stream = await watch(items(), [], { fullDocument: 'required', fullDocumentBeforeChange: 'required' });
    await items().updateOne({ _id: 1 }, { $set: { n: 2 } });
    await items().deleteOne({ _id: 1 });
    const update = await nextEvent(stream);
    expect(update.fullDocument).toEqual({ _id: 1, n: 2 });
    expect(update.fullDocumentBeforeChange).toEqual({ _id: 1, n: 1 });
    const deleted = await nextEvent(stream);
    expect(deleted.fullDocumentBeforeChange).toEqual({ _id: 1, n: 2 });
    await stream.close();
  });

  it('reports null images when available ones are asked for and missing', async () => {
    await items().insertOne({ _id: 1, n: 1 });
    const stream = await watch(items(), [], {
      fullDocument: 'whenAvailable',
      fullDocumentBeforeChange: 'whenAvailable',
    });
    await items().updateOne({ _id: 1 }, { $set: { n: 2 } });
    const update = await nextEvent(stream);
    expect(update.fullDocument).toBeNull();
    expect(update.fullDocumentBeforeChange).toBeNull();
    await stream.close();
  });

  it('fails with NoMatchingDocument when a required pre-image is missing', async () => {
    await items().insertOne({ _id: 1, n: 1 });
    const stream = await watch(items(), [], { fullDocumentBeforeChange: 'required' });
    await items().updateOne({ _id: 1 }, { $set: { n: 2 } });
    const error = await serverError(() => nextEvent(stream));
    expect(error.code).toBe(47);
    expect(error.message).toContain('pre-image');
    await stream.close();
  });

  it('applies $match and $project to each event', async () => {
    const stream = await watch(items(), [
      { $match: { operationType: 'insert', 'fullDocument.keep': true } },
      { $project: { operationType: 1, kept: '$fullDocument.keep' } },
    ]);
    await items().insertOne({ _id: 1, keep: false });
    await items().insertOne({ _id: 2, keep: true });
    const event = await nextEvent(stream);
    expect(Object.keys(event).sort()).toEqual(['_id', 'kept', 'operationType']);
    expect(event.kept).toBe(true);
    await stream.close();
  });

  it('fails with ChangeStreamFatalError when a stage removes the resume token', async () => {
    const stream = await watch(items(), [{ $project: { _id: 0 } }]);
    await items().insertOne({ _id: 1 });
    const error = await serverError(() => nextEvent(stream));
    expect(error.code).toBe(280);
    expect(error.hasErrorLabel('NonResumableChangeStreamError')).toBe(true);
    await stream.close();
  });

  it('refuses stages that cannot follow $changeStream', async () => {
    const error = await serverError(() =>
      db.command({ aggregate: 'items', pipeline: [{ $changeStream: {} }, { $group: { _id: null } }], cursor: {} }),
    );
    expect(error.code).toBe(20);
    expect(error.message).toBe('$group is not permitted in a $changeStream pipeline');
    const notFirst = await serverError(() =>
      db.command({ aggregate: 'items', pipeline: [{ $match: {} }, { $changeStream: {} }], cursor: {} }),
    );
    expect(notFirst.code).toBe(40602);
  });

  it('opens a whole-cluster stream only on admin', async () => {
    const error = await serverError(() =>
      db.command({ aggregate: 1, pipeline: [{ $changeStream: { allChangesForCluster: true } }], cursor: {} }),
    );
    expect(error.codeName).toBe('InvalidOptions');
  });

  it('respects batchSize and returns a postBatchResumeToken with every batch', async () => {
    const reply = await db.command(
      { aggregate: 'items', pipeline: [{ $changeStream: {} }], cursor: { batchSize: 2 } },
      { promoteLongs: false },
    );
    expect(reply.cursor.firstBatch).toEqual([]);
    expect(reply.cursor.postBatchResumeToken._data).toMatch(/^82/);
    await items().insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const more = await db.command(
      { getMore: reply.cursor.id, collection: 'items', batchSize: 2, maxTimeMS: 500 },
      { promoteLongs: false },
    );
    expect(more.cursor.nextBatch.map((event: Event) => event.documentKey)).toEqual([{ _id: 1 }, { _id: 2 }]);
    expect(more.cursor.postBatchResumeToken).toEqual(more.cursor.nextBatch[1]._id);
    await db.command({ killCursors: 'items', cursors: [reply.cursor.id] });
  });

  it('answers a waiting getMore as soon as an event arrives', async () => {
    const reply = await db.command(
      { aggregate: 'items', pipeline: [{ $changeStream: {} }], cursor: {} },
      { promoteLongs: false },
    );
    const started = Date.now();
    const waiting = db.command(
      { getMore: reply.cursor.id, collection: 'items', maxTimeMS: 10_000 },
      { promoteLongs: false },
    );
    setTimeout(() => void items().insertOne({ _id: 1 }), 200);
    const more = await waiting;
    expect(more.cursor.nextBatch).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5000);
    await db.command({ killCursors: 'items', cursors: [reply.cursor.id] });
  });

  it('gives the events of one transaction one cluster time, with the session and transaction number', async () => {
    const stream = await watch(items());
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await items().insertOne({ _id: 1 }, { session });
        await items().insertOne({ _id: 2 }, { session });
      });
    } finally {
      await session.endSession();
    }
    const first = await nextEvent(stream);
    const second = await nextEvent(stream);
    expect(first.clusterTime).toEqual(second.clusterTime);
    expect(first.txnNumber).toBeDefined();
    expect(second.txnNumber).toEqual(first.txnNumber);
    expect(first.lsid).toHaveProperty('id');
    expect(dataOf(first._id) < dataOf(second._id)).toBe(true);
    await stream.close();
  });

  it('shows no event for appendOplogNote but moves the resume token to it', async () => {
    const stream = await watch(items());
    const reply = await client.db('admin').command({ appendOplogNote: 1, data: { note: 'marker' } });
    expect(await stream.tryNext()).toBeNull();
    expect(timeOf(stream.resumeToken) >= asBigInt(reply.operationTime)).toBe(true);
    await stream.close();
  });
});
