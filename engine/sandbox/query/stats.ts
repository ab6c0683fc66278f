// Storage statistics of a collection in the shape of mongod's collStats command and of $collStats'
// storageStats. Data lives in memory, so the on-disk sizes are a model: storage and each index take
// whole 4 KiB pages, as a small WiredTiger table does; size, count and avgObjSize are exact.
import { Int32, Long, type BsonDoc, type BsonValue } from '../bson/values.js';
import type { Collection } from '../storage/collection.js';
import { listedIndexSpecs } from '../storage/index-specs.js';
import { numberOption } from '../storage/writer.js';

const PAGE = 4096;
/** Bytes an index entry is assumed to take (key and record id). */
const INDEX_ENTRY_BYTES = 16;

/** Whole pages holding `bytes`: never less than one page. */
export function pagesFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / PAGE)) * PAGE;
}

export function storageSizeOf(collection: Collection): number {
  return pagesFor(collection.dataSize);
}

/** Each index of the collection (clustered index included) with its modelled size in bytes. */
export function indexSizesOf(collection: Collection): [string, number][] {
  return listedIndexSpecs(collection).map((spec) => [
    String(spec.get('name')),
    pagesFor(collection.count * INDEX_ENTRY_BYTES),
  ]);
}

/** A number as mongod's appendNumber writes it: an int when it fits, else a long. */
function reported(value: number): Int32 | Long {
  return Number.isSafeInteger(value) && Math.abs(value) < 2 ** 31 ? new Int32(value) : Long.fromNumber(value);
}

export function collectionStats(collection: Collection, scale = 1): BsonDoc {
  const divisor = Math.max(1, Math.trunc(scale));
  const scaled = (bytes: number): Int32 | Long => reported(Math.trunc(bytes / divisor));
  const indexSizes = indexSizesOf(collection);
  const totalIndexSize = indexSizes.reduce((sum, [, size]) => sum + size, 0);
  const storageSize = storageSizeOf(collection);
  const stats = new Map<string, BsonValue>([
    ['ns', collection.ns],
    ['size', scaled(collection.dataSize)],
    ['count', reported(collection.count)],
  ]);
  if (collection.count > 0) stats.set('avgObjSize', reported(Math.trunc(collection.dataSize / collection.count)));
  stats.set('numOrphanDocs', new Int32(0));
  stats.set('storageSize', scaled(storageSize));
  stats.set('freeStorageSize', new Int32(0));
  stats.set('capped', collection.isCapped);
  if (collection.isCapped) {
    stats.set('max', reported(numberOption(collection.options.get('max')) ?? 0));
    stats.set('maxSize', scaled(numberOption(collection.options.get('size')) ?? 0));
  }
  stats.set('nindexes', new Int32(indexSizes.length));
  // mongod fills indexDetails with its storage engine's statistics of each index; the sandbox has none.
  stats.set('indexDetails', new Map());
  stats.set('indexBuilds', []);
  stats.set('totalIndexSize', scaled(totalIndexSize));
  stats.set('indexSizes', new Map(indexSizes.map(([name, size]) => [name, scaled(size)])));
  stats.set('totalSize', scaled(storageSize + totalIndexSize));
  stats.set('scaleFactor', new Int32(divisor));
  return stats;
}
