// Planning the clone of one collection as `_id`-range segments, read in parallel and checkpointed
// one by one so a resumed clone skips the finished ones.
//
// MongoDB's range queries are type-bracketed: `{_id: {$gte: 1}}` never matches a string, and all the
// number types (int, long, double, decimal) share one bracket. A collection whose _ids mix types is
// therefore planned as one range per bracket, each split on its own. NaN sorts below every number and
// equals only itself, so it gets an equality segment of its own, as do the brackets that hold a
// single value (null, MinKey, MaxKey: `$gte: MinKey` would match everything).
//
// Split points are found lazily, one query per segment (splitQuery), so planning never scans the
// collection up front. Because the collection changes while it is copied, the same query can give a
// different answer after a restart: the checkpoint must record every planned segment with its bounds,
// and a resumed clone re-reads unfinished segments with those bounds and continues planning from the
// upper bound of the last one. Segments are [lower, upper), the last of a range [lower, max], so each
// document is read once (PCSM reads every boundary document twice and absorbs the duplicate insert).
import { Double, MaxKey, MinKey, type Code, type Document } from 'mongodb';
import type { CloneTuning } from '../../protocol.js';
import { FerryError } from '../errors.js';

// ---------------------------------------------------------------------------------------------------
// Segment size

export interface CollectionStats {
  count: number;
  sizeBytes: number;
  avgObjSize: number;
}

export interface SegmentSizing {
  /** Documents per segment: the skip of splitQuery. */
  documents: number;
  bytes: number;
  /** For progress only: the stats may be stale. */
  estimatedSegments: number;
  /** Cursor batch size that keeps one batch near CloneTuning.readBatchSizeBytes. */
  batchDocuments: number;
}

const MiB = 1024 * 1024;
/**
 * Automatic segments: about four per reader, so readers stay busy while segments of other
 * collections finish; at least 64 MiB, so the split query and the cursor are a small part of the
 * work; at most 1 GiB, which bounds what a crash makes the clone read again (PCSM's automatic size
 * is at least 458 MiB and grows with the collection, and a crash restarts its whole clone).
 */
export const AUTO_SEGMENT_MIN_BYTES = 64 * MiB;
export const AUTO_SEGMENT_MAX_BYTES = 1024 * MiB;
const AUTO_SEGMENTS_PER_READER = 4;
/** Assumed when the stats give no average (an empty or never-measured collection). */
const FALLBACK_OBJ_SIZE = 1024;
const MAX_BATCH_DOCUMENTS = 100_000;

/**
 * How big the segments of a collection are. Never concludes that a collection is empty: stats can be
 * stale (count 0 after an unclean shutdown), so emptiness is for the bounds query to discover.
 */
export function segmentSizing(
  stats: CollectionStats,
  tuning: Pick<CloneTuning, 'segmentSizeBytes' | 'readWorkers' | 'readBatchSizeBytes'>,
): SegmentSizing {
  const count = Math.max(0, stats.count);
  const avgObjSize =
    stats.avgObjSize > 0
      ? stats.avgObjSize
      : count > 0 && stats.sizeBytes > 0
        ? stats.sizeBytes / count
        : FALLBACK_OBJ_SIZE;
  const bytes =
    tuning.segmentSizeBytes > 0
      ? tuning.segmentSizeBytes
      : clamp(
          stats.sizeBytes / (tuning.readWorkers * AUTO_SEGMENTS_PER_READER),
          AUTO_SEGMENT_MIN_BYTES,
          AUTO_SEGMENT_MAX_BYTES,
        );
  // PCSM-323 passed bytes where a document count belongs; the unit is in the name here.
  const documents = Math.max(1, Math.floor(bytes / avgObjSize));
  return {
    documents,
    bytes,
    estimatedSegments: Math.ceil(count / documents),
    batchDocuments: clamp(Math.floor(tuning.readBatchSizeBytes / avgObjSize), 1, MAX_BATCH_DOCUMENTS),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

// ---------------------------------------------------------------------------------------------------
// Type brackets

/** MongoDB's comparison order of _id types (BSON types that can be an _id), with NaN set apart. */
export const idBrackets = [
  'minKey',
  'null',
  'nan',
  'number',
  'string',
  'object',
  'binData',
  'objectId',
  'bool',
  'date',
  'timestamp',
  'javascript',
  'javascriptWithScope',
  'maxKey',
] as const;
export type IdBracket = (typeof idBrackets)[number];

const singleValued: Partial<Record<IdBracket, () => unknown>> = {
  minKey: () => new MinKey(),
  null: () => null,
  nan: () => new Double(NaN),
  maxKey: () => new MaxKey(),
};

/**
 * The aggregation that gives one row per bracket: `{_id: <bracket>, min, max, count}`. The server does
 * the cross-type comparisons (an Int32 against a Decimal128) that would be error-prone here.
 */
export function idBracketPipeline(): Document[] {
  const type = { $type: '$_id' };
  return [
    {
      $group: {
        _id: {
          $switch: {
            branches: [
              // Aggregation compares NaN equal to NaN, of any numeric type.
              { case: { $eq: ['$_id', NaN] }, then: 'nan' },
              { case: { $isNumber: '$_id' }, then: 'number' },
              { case: { $in: [type, ['string', 'symbol']] }, then: 'string' },
            ],
            default: type,
          },
        },
        min: { $min: '$_id' },
        max: { $max: '$_id' },
        count: { $sum: 1 },
      },
    },
  ];
}

export interface IdBracketRow {
  bracket: string;
  min: unknown;
  max: unknown;
  count: number;
}

export type IdRange =
  | { kind: 'range'; bracket: IdBracket; min: unknown; max: unknown; count: number }
  | { kind: 'equality'; bracket: IdBracket; value: unknown; count: number };

/** The ranges to split, in MongoDB's type order, from the rows of idBracketPipeline(). */
export function idRanges(rows: readonly IdBracketRow[]): IdRange[] {
  return rows
    .map((row): IdRange => {
      const bracket = knownBracket(row.bracket);
      const value = singleValued[bracket];
      if (value) return { kind: 'equality', bracket, value: value(), count: row.count };
      return { kind: 'range', bracket, min: row.min, max: row.max, count: row.count };
    })
    .sort((a, b) => idBrackets.indexOf(a.bracket) - idBrackets.indexOf(b.bracket));
}

/**
 * The ranges when the lowest and highest _id (two indexed findOne calls) share a bracket, which is
 * then the only one, sparing the full index pass of idBracketPipeline(); undefined otherwise. NaN is
 * the lowest number, so a NaN minimum means NaN must be set apart by the pipeline.
 */
export function idRangesFromBounds(min: unknown, max: unknown, count: number): IdRange[] | undefined {
  const bracket = bracketOf(min);
  if (bracket !== bracketOf(max) || bracket === 'nan') return undefined;
  return idRanges([{ bracket, min, max, count }]);
}

/** The bracket of a decoded _id value (BSON classes as decodeOrdered returns them). */
export function bracketOf(value: unknown): IdBracket {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      return Number.isNaN(value) ? 'nan' : 'number';
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
  }
  if (value instanceof Date) return 'date';
  if (value instanceof Map) return 'object';
  // The BSON classes name themselves; comparing names also survives two copies of the bson package.
  switch ((value as { _bsontype?: unknown })._bsontype) {
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'Double':
      return Number.isNaN((value as Double).value) ? 'nan' : 'number';
    case 'Decimal128':
      return String(value).endsWith('NaN') ? 'nan' : 'number';
    case 'Int32':
    case 'Long':
      return 'number';
    case 'BSONSymbol':
      return 'string';
    case 'Binary':
      return 'binData';
    case 'ObjectId':
      return 'objectId';
    case 'Timestamp':
      return 'timestamp';
    case 'Code':
      return (value as Code).scope ? 'javascriptWithScope' : 'javascript';
  }
  throw unsupportedId(typeName(value));
}

function knownBracket(name: string): IdBracket {
  if ((idBrackets as readonly string[]).includes(name)) return name as IdBracket;
  throw unsupportedId(name);
}

function typeName(value: unknown): string {
  const name = (value as { _bsontype?: unknown } | undefined)?._bsontype;
  return typeof name === 'string' ? name : typeof value;
}

function unsupportedId(type: string): FerryError {
  return new FerryError({
    code: 'UNSUPPORTED_ID_TYPE',
    message: `an _id of type ${type} cannot be split into ranges`,
    remedy: 'Report this collection: MongoDB does not allow such an _id in current versions.',
  });
}

// ---------------------------------------------------------------------------------------------------
// Segments

export interface Segment {
  /** Stable within a run, for the checkpoint: `<namespace>#<bracket>#<ordinal>`. */
  id: string;
  namespace: string;
  bracket: IdBracket | 'natural';
  /** Position within its range, from 0. */
  ordinal: number;
  /** Which documents it holds; persisted with the id, so a resumed clone reads the same ones. */
  bounds:
    | { kind: 'range'; lower: unknown; upper: unknown; upperInclusive: boolean }
    | { kind: 'equality'; value: unknown }
    | { kind: 'natural' };
}

export function segmentId(namespace: string, bracket: Segment['bracket'], ordinal: number): string {
  return `${namespace}#${bracket}#${ordinal}`;
}

/** The query that finds where a segment starting at `lower` ends: the first _id of the next one. */
export function splitQuery(
  range: Extract<IdRange, { kind: 'range' }>,
  lower: unknown,
  documents: number,
): { filter: Document; sort: Document; skip: number; limit: number; projection: Document } {
  return {
    filter: { _id: { $gte: lower, $lte: range.max } },
    sort: { _id: 1 },
    skip: documents,
    limit: 1,
    projection: { _id: 1 },
  };
}

/**
 * The segment of `range` that starts at `lower` (the range's min for the first) and ends before
 * `splitPoint`, the _id splitQuery found; without one, it is the range's last segment.
 */
export function rangeSegment(
  namespace: string,
  range: Extract<IdRange, { kind: 'range' }>,
  ordinal: number,
  lower: unknown,
  splitPoint?: unknown,
): Segment {
  const bounds =
    splitPoint === undefined
      ? { kind: 'range' as const, lower, upper: range.max, upperInclusive: true }
      : { kind: 'range' as const, lower, upper: splitPoint, upperInclusive: false };
  return { id: segmentId(namespace, range.bracket, ordinal), namespace, bracket: range.bracket, ordinal, bounds };
}

export function equalitySegment(namespace: string, range: Extract<IdRange, { kind: 'equality' }>): Segment {
  const bounds = { kind: 'equality' as const, value: range.value };
  return { id: segmentId(namespace, range.bracket, 0), namespace, bracket: range.bracket, ordinal: 0, bounds };
}

/**
 * A capped collection is copied whole, in natural order, by one reader: the target evicts documents
 * in insertion order, so splitting would reorder them. A crash recopies it from the start.
 */
export function naturalSegment(namespace: string): Segment {
  return {
    id: segmentId(namespace, 'natural', 0),
    namespace,
    bracket: 'natural',
    ordinal: 0,
    bounds: { kind: 'natural' },
  };
}

/** The find filter of a segment (a natural segment reads everything, sorted by $natural). */
export function segmentFilter(segment: Segment): Document {
  const { bounds } = segment;
  switch (bounds.kind) {
    case 'range':
      return { _id: { $gte: bounds.lower, [bounds.upperInclusive ? '$lte' : '$lt']: bounds.upper } };
    case 'equality':
      return { _id: bounds.value };
    case 'natural':
      return {};
  }
}
