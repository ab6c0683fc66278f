// listCollections, listDatabases, dbStats and collStats: the catalog as a one-member replica set's
// mongod reports it (admin, config and local always exist; local holds the oplog).
import { statfsSync } from 'node:fs';
import { compareStrings } from '../bson/compare.js';
import { Double, Int32, Long, type BsonDoc, type BsonValue } from '../bson/values.js';
import { ArraySource } from '../cursors.js';
import { CommandError } from '../errors.js';
import { compileFilter } from '../query/matcher.js';
import { OPLOG_COLLECTION, OPLOG_DB, oplogCollectionStats } from '../query/oplog-collection.js';
import { collectionStats, indexSizesOf, storageSizeOf } from '../query/stats.js';
import type { Collection } from '../storage/collection.js';
import { collectionName, optionalBool, optionalDoc, optionalNumber } from './args.js';
import { sizeOfReplyDoc } from './crud.js';
import { openCursorReply } from './cursor-reply.js';
import type { CommandContext, CommandReply, CommandSpec } from './types.js';

/** What the internal databases of a fresh replica-set member take on disk. */
const INTERNAL_DATABASE_SIZES: Record<string, number> = { admin: 40960, config: 110592, local: 81920 };

/** Collections first, then views, each in name order. */
function collectionsOf(ctx: CommandContext, db: string): Collection[] {
  return ctx.sandbox.catalog
    .collections(db)
    .sort((a, b) => Number(a.isView) - Number(b.isView) || compareStrings(a.name, b.name));
}

function listCollectionsEntry(collection: Collection): BsonDoc {
  const entry = new Map<string, BsonValue>([
    ['name', collection.name],
    ['type', collection.isView ? 'view' : 'collection'],
    ['options', collection.options],
  ]);
  if (collection.isView) {
    entry.set('info', new Map([['readOnly', true]]));
    return entry;
  }
  entry.set(
    'info',
    new Map<string, BsonValue>([
      ['readOnly', false],
      ['uuid', collection.uuid],
    ]),
  );
  const idIndex = collection.indexes.get('_id_');
  if (idIndex) entry.set('idIndex', idIndex.spec);
  return entry;
}

const listCollections: CommandSpec = {
  name: 'listCollections',
  run(ctx) {
    const filter = compileFilter(optionalDoc(ctx.body, 'filter'));
    const nameOnly = optionalBool(ctx.body, 'nameOnly') ?? false;
    // Accepted for its type only: without access control every user sees every collection.
    optionalBool(ctx.body, 'authorizedCollections');
    const batchSize = optionalNumber(optionalDoc(ctx.body, 'cursor') ?? new Map(), 'batchSize');
    const entries: BsonDoc[] = collectionsOf(ctx, ctx.db)
      .map(listCollectionsEntry)
      .filter((entry) => filter(entry))
      .map((entry) => (nameOnly ? new Map([...entry].filter(([name]) => name === 'name' || name === 'type')) : entry));
    return openCursorReply(ctx, `${ctx.db}.$cmd.listCollections`, new ArraySource(entries, sizeOfReplyDoc), batchSize);
  },
};

interface DatabaseTotals {
  collections: number;
  views: number;
  objects: number;
  dataSize: number;
  storageSize: number;
  indexes: number;
  indexSize: number;
}

function totalsOf(ctx: CommandContext, db: string): DatabaseTotals {
  const totals: DatabaseTotals = {
    collections: 0,
    views: 0,
    objects: 0,
    dataSize: 0,
    storageSize: 0,
    indexes: 0,
    indexSize: 0,
  };
  for (const collection of ctx.sandbox.catalog.collections(db)) {
    if (collection.isView) {
      totals.views += 1;
      continue;
    }
    const indexSizes = indexSizesOf(collection);
    totals.collections += 1;
    totals.objects += collection.count;
    totals.dataSize += collection.dataSize;
    totals.storageSize += storageSizeOf(collection);
    totals.indexes += indexSizes.length;
    totals.indexSize += indexSizes.reduce((sum, [, size]) => sum + size, 0);
  }
  return totals;
}

const listDatabases: CommandSpec = {
  name: 'listDatabases',
  adminOnly: true,
  run(ctx): CommandReply {
    const filter = compileFilter(optionalDoc(ctx.body, 'filter'));
    const nameOnly = optionalBool(ctx.body, 'nameOnly') ?? false;
    // Accepted for its type only: without access control every user sees every database.
    optionalBool(ctx.body, 'authorizedDatabases');
    const names = new Set([...ctx.sandbox.catalog.databases.keys(), ...Object.keys(INTERNAL_DATABASE_SIZES)]);
    const databases = [...names].sort(compareStrings).map((name) => {
      const totals = totalsOf(ctx, name);
      const sizeOnDisk = (INTERNAL_DATABASE_SIZES[name] ?? 0) + totals.storageSize + totals.indexSize;
      return new Map<string, BsonValue>([
        ['name', name],
        ['sizeOnDisk', new Double(sizeOnDisk)],
        ['empty', sizeOnDisk === 0],
      ]);
    });
    const listed = databases.filter((entry) => filter(entry));
    if (nameOnly) return { databases: listed.map((entry) => new Map([['name', entry.get('name') ?? null]])) };
    const totalSize = listed.reduce((sum, entry) => sum + ((entry.get('sizeOnDisk') as Double).value ?? 0), 0);
    return {
      databases: listed,
      totalSize: new Double(totalSize),
      totalSizeMb: Long.fromNumber(Math.trunc(totalSize / (1024 * 1024))),
    };
  },
};

function scaleOf(ctx: CommandContext): number {
  const scale = optionalNumber(ctx.body, 'scale') ?? 1;
  if (scale < 1) throw new CommandError(51024, `BSON field 'scale' value must be >= 1, actual value '${scale}'`);
  return Math.trunc(scale);
}

function fileSystemSizes(): { used: number; total: number } {
  try {
    const stats = statfsSync('/');
    return { used: (stats.blocks - stats.bfree) * stats.bsize, total: stats.blocks * stats.bsize };
  } catch {
    return { used: 0, total: 0 };
  }
}

const dbStats: CommandSpec = {
  name: 'dbStats',
  aliases: ['dbstats'],
  run(ctx): CommandReply {
    const scale = scaleOf(ctx);
    const totals = totalsOf(ctx, ctx.db);
    const scaled = (bytes: number): Double => new Double(Math.trunc(bytes / scale));
    const fs = fileSystemSizes();
    const reply: CommandReply = {
      db: ctx.db,
      collections: Long.fromNumber(totals.collections),
      views: Long.fromNumber(totals.views),
      objects: Long.fromNumber(totals.objects),
      avgObjSize: new Double(totals.objects ? totals.dataSize / totals.objects : 0),
      dataSize: scaled(totals.dataSize),
      storageSize: scaled(totals.storageSize),
      indexes: Long.fromNumber(totals.indexes),
      indexSize: scaled(totals.indexSize),
      totalSize: scaled(totals.storageSize + totals.indexSize),
      scaleFactor: Long.fromNumber(scale),
    };
    if (optionalBool(ctx.body, 'freeStorage'))
      Object.assign(reply, {
        freeStorageSize: new Double(0),
        indexFreeStorageSize: new Double(0),
        totalFreeStorageSize: new Double(0),
      });
    return { ...reply, fsUsedSize: scaled(fs.used), fsTotalSize: scaled(fs.total) };
  },
};

const collStats: CommandSpec = {
  name: 'collStats',
  run(ctx): CommandReply {
    const name = collectionName(ctx.body, 'collStats');
    const scale = scaleOf(ctx);
    if (ctx.db === OPLOG_DB && name === OPLOG_COLLECTION) return oplogCollectionStats(ctx.sandbox, scale);
    const collection = ctx.sandbox.catalog.get(ctx.db, name);
    if (collection?.isView)
      throw new CommandError('CommandNotSupportedOnView', `Namespace ${collection.ns} is a view, not a collection`);
    // A missing collection is not an error for collStats: mongod answers with zeros.
    if (!collection)
      return {
        ns: `${ctx.db}.${name}`,
        size: new Int32(0),
        count: new Int32(0),
        numOrphanDocs: new Int32(0),
        storageSize: new Int32(0),
        totalSize: new Int32(0),
        nindexes: new Int32(0),
        totalIndexSize: new Int32(0),
        indexDetails: {},
        indexSizes: {},
        scaleFactor: new Int32(scale),
      };
    return Object.fromEntries(collectionStats(collection, scale));
  },
};

export const catalogReadCommands: CommandSpec[] = [listCollections, listDatabases, dbStats, collStats];
