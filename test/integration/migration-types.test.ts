// Every BSON type the driver can write, as values and as _ids, with field orders a plain JS object
// would change: the target must hold the same bytes, whether the documents arrive by the clone or by
// the change stream.
import {
  Binary,
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
  type Document,
  type MongoClient,
} from 'mongodb';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  finalizeAndCompare,
  newEngine,
  startClusters,
  startMigration,
  testNames,
  waitForInitialSync,
  type Clusters,
} from './migration-helpers.js';

let clusters: Clusters;

beforeAll(async () => {
  clusters = await startClusters();
});

afterAll(async () => {
  await clusters?.stop();
});

/** One value of every type the driver writes back unchanged, including edge values. */
function everyValue(): Map<string, unknown> {
  return new Map<string, unknown>([
    ['double', new Double(1.5)],
    ['integralDouble', new Double(5)],
    ['negativeZero', new Double(-0)],
    ['nan', new Double(NaN)],
    ['infinity', new Double(-Infinity)],
    ['string', 'héllo ☃ \u0000 inside'],
    [
      'object',
      new Map<string, unknown>([
        ['b', 1],
        ['a', 2],
      ]),
    ],
    ['array', [new Int32(1), 'x', new Map([['y', null]]), []]],
    ['binary', new Binary(Buffer.from([1, 2, 3]))],
    ['uuid', new Binary(Buffer.alloc(16, 7), Binary.SUBTYPE_UUID)],
    ['md5', new Binary(Buffer.alloc(16, 9), Binary.SUBTYPE_MD5)],
    ['userBinary', new Binary(Buffer.from('custom'), Binary.SUBTYPE_USER_DEFINED)],
    ['objectId', new ObjectId('650000000000000000000001')],
    ['true', true],
    ['false', false],
    ['date', new Date(0)],
    ['oldDate', new Date(-2_000_000_000_000)],
    ['null', null],
    ['regex', new BSONRegExp('^a.c$', 'imsux')],
    ['code', new Code('function () { return 1; }')],
    ['codeWithScope', new Code('x + 1', { x: new Int32(1) })],
    ['symbol', new BSONSymbol('sym')],
    ['int32', new Int32(-5)],
    ['timestamp', new Timestamp({ t: 1, i: 2 })],
    ['long', Long.fromString('9007199254740993')],
    ['smallLong', Long.fromNumber(1)],
    ['decimal', Decimal128.fromString('1.000000000000000000000000000000001')],
    ['decimalNegativeZero', Decimal128.fromString('-0')],
    ['minKey', new MinKey()],
    ['maxKey', new MaxKey()],
    // Integer-like names go first in a JS object; in BSON the order is data.
    [
      'order',
      new Map<string, unknown>([
        ['z', 1],
        ['10', 2],
        ['a', 3],
        ['2', 4],
      ]),
    ],
  ]);
}

/** An _id of every type that may be one. */
const ids: unknown[] = [
  new Int32(1),
  new Double(2.5),
  Long.fromNumber(3),
  Decimal128.fromString('4.0'),
  'text',
  new ObjectId('650000000000000000000002'),
  new Date(86_400_000),
  new Binary(Buffer.from('id')),
  new Map<string, unknown>([
    ['b', 1],
    ['a', 1],
  ]),
  true,
  null,
  new MinKey(),
  new MaxKey(),
  new Timestamp({ t: 5, i: 6 }),
];

function documents(idValues: readonly unknown[] = ids): Map<string, unknown>[] {
  return idValues.map((id, index) => new Map<string, unknown>([['_id', id], ['position', index], ...everyValue()]));
}

/** Inserts through the insert command: the driver's insertOne cannot take a Map as the document. */
async function insertMaps(client: MongoClient, db: string, coll: string, docs: Map<string, unknown>[]): Promise<void> {
  await client.db(db).command({ insert: coll, documents: docs } as Document);
}

/** Updates and replaces that carry typed values, for the change stream's update path. */
async function changeTypes(client: MongoClient, db: string): Promise<void> {
  const collection = client.db(db).collection('values');
  await collection.updateOne({ _id: new Int32(1) } as Document, {
    $set: { long: Long.fromNumber(7), 'object.c': new Decimal128('1.5') },
  });
  await collection.updateOne({ _id: 'text' } as Document, { $unset: { symbol: '' }, $set: { added: new Int32(3) } });
  await collection.updateOne({ _id: Long.fromNumber(3) } as Document, { $push: { array: new Double(2) } } as Document);
  await client.db(db).command({
    update: 'values',
    updates: [
      {
        q: { _id: true },
        u: new Map<string, unknown>([
          ['_id', true],
          ['9', 1],
          ['replaced', everyValue()],
        ]),
      },
    ],
  } as Document);
  await collection.deleteOne({ _id: null } as Document);
}

describe('every BSON type', () => {
  it('arrives unchanged by the clone', async () => {
    const names = testNames('types_clone');
    await insertMaps(
      clusters.source,
      names.db,
      'values',
      documents(
        ids.filter(
          (id) => id instanceof Int32 || id instanceof Double || id instanceof Long || id instanceof Decimal128,
        ),
      ),
    );
    await insertMaps(clusters.source, names.db, 'strings', documents(['a', 'b', 'c']));
    await insertMaps(
      clusters.source,
      names.db,
      'ordered',
      documents([
        new Map([
          ['b', 1],
          ['a', 1],
        ]),
        new Map([['a', 2]]),
      ]),
    );
    const engine = newEngine(names.metadataDb);
    try {
      await startMigration(engine, clusters, names);
      await waitForInitialSync(engine);
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('arrives unchanged by the clone when the _ids mix every type', async () => {
    const names = testNames('types_ids');
    await insertMaps(clusters.source, names.db, 'values', documents());
    const engine = newEngine(names.metadataDb);
    try {
      await startMigration(engine, clusters, names);
      await waitForInitialSync(engine);
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('arrives unchanged by the change stream', async () => {
    const names = testNames('types_stream');
    await clusters.source.db(names.db).createCollection('values');
    const engine = newEngine(names.metadataDb);
    try {
      await startMigration(engine, clusters, names);
      await waitForInitialSync(engine);
      await insertMaps(clusters.source, names.db, 'values', documents());
      await insertMaps(clusters.source, names.db, 'created', documents());
      await changeTypes(clusters.source, names.db);
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
