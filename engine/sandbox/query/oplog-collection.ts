// local.oplog.rs, read-only: the sandbox oplog rendered in MongoDB's oplog entry format, for find
// (filter, $natural order, skip, limit, projection, tailable/awaitData) and collStats. A committed
// transaction's entries, which share one Timestamp, become a single applyOps entry as on mongod.
import { compareTimestamps } from '../clock.js';
import { encodeDocument } from '../bson/encode.js';
import { compareDocumentsBySortSpec, sortDirection } from '../bson/compare.js';
import { Int32, Long, Timestamp, type BsonDoc, type BsonValue, type EncodableValue } from '../bson/values.js';
import {
  ArraySource,
  DEFAULT_FIRST_BATCH,
  MAX_BATCH_BYTES,
  type Batch,
  type BatchOptions,
  type CursorSource,
} from '../cursors.js';
import { openCursorReply } from '../commands/cursor-reply.js';
import type { CommandContext, CommandReply } from '../commands/types.js';
import type { FindShape } from '../commands/views.js';
import { CommandError } from '../errors.js';
import type { Sandbox } from '../sandbox.js';
import type { Oplog, OplogEntry } from '../storage/oplog.js';
import { compileFilter, type Predicate } from './matcher.js';
import { updateDiffOf } from './oplog-update-diff.js';
import { applyProjection } from './projection.js';

export const OPLOG_DB = 'local';
export const OPLOG_COLLECTION = 'oplog.rs';
const OPLOG_NS = `${OPLOG_DB}.${OPLOG_COLLECTION}`;
const TERM = Long.fromNumber(1);
const OPLOG_VERSION = Long.fromNumber(2);

function operationFields(entry: OplogEntry): [string, BsonValue][] {
  const fields: [string, BsonValue][] = [
    ['op', entry.op],
    ['ns', entry.ns],
  ];
  if (entry.ui) fields.push(['ui', entry.ui]);
  const diff = entry.op === 'u' ? entry.o.get('diff') : undefined;
  const o =
    diff instanceof Map && diff.has('updatedFields')
      ? new Map<string, BsonValue>([
          ['$v', new Int32(2)],
          ['diff', updateDiffOf(diff)],
        ])
      : entry.o;
  fields.push(['o', o]);
  if (entry.o2) fields.push(['o2', entry.o2]);
  return fields;
}

/** A retryable write's CRUD entries and a transaction's applyOps carry the session; DDL entries do not. */
function sessionFields(entry: OplogEntry): [string, BsonValue][] {
  const crudOrTransaction = entry.op === 'i' || entry.op === 'u' || entry.op === 'd' || entry.txnOpIndex !== undefined;
  return crudOrTransaction && entry.lsid && entry.txnNumber
    ? [
        ['lsid', entry.lsid],
        ['txnNumber', entry.txnNumber],
      ]
    : [];
}

/** One oplog document: a single entry, or a committed transaction's entries as one applyOps. */
function oplogDocument(entries: OplogEntry[]): BsonDoc {
  const [first] = entries;
  const times: [string, BsonValue][] = [
    ['ts', first.ts],
    ['t', TERM],
    ['v', OPLOG_VERSION],
    ['wall', first.wall],
  ];
  if (first.txnOpIndex === undefined) return new Map([...sessionFields(first), ...operationFields(first), ...times]);
  const applyOps = entries.map((entry) => new Map(operationFields(entry)));
  return new Map<string, BsonValue>([
    ...sessionFields(first),
    ['op', 'c'],
    ['ns', 'admin.$cmd'],
    ['o', new Map([['applyOps', applyOps]])],
    ...times,
    [
      'prevOpTime',
      new Map<string, BsonValue>([
        ['ts', new Timestamp({ t: 0, i: 0 })],
        ['t', Long.fromNumber(-1)],
      ]),
    ],
  ]);
}

function sameTransaction(a: OplogEntry, b: OplogEntry): boolean {
  return a.txnOpIndex !== undefined && b.txnOpIndex !== undefined && compareTimestamps(a.ts, b.ts) === 0;
}

/** The document starting (forward) or ending (backward) at `position`, and the next position to read. */
function readAt(oplog: Oplog, position: number, direction: 1 | -1): { doc: BsonDoc; next: number } | undefined {
  const entry = oplog.at(position);
  if (!entry) return undefined;
  const entries = [entry];
  let next = position + direction;
  for (let other = oplog.at(next); other && sameTransaction(entry, other); other = oplog.at((next += direction)))
    entries.push(other);
  if (direction < 0) entries.reverse();
  return { doc: oplogDocument(entries), next };
}

function firstPosition(oplog: Oplog): number {
  return oplog.positionOf(new Timestamp({ t: 0, i: 0 }));
}

function* documentsFrom(oplog: Oplog, position: number, direction: 1 | -1): Generator<BsonDoc> {
  for (let read = readAt(oplog, position, direction); read; read = readAt(oplog, read.next, direction)) yield read.doc;
}

interface TsBounds {
  low?: { ts: Timestamp; inclusive: boolean };
  high?: { ts: Timestamp; inclusive: boolean };
}

/**
 * Splits a `ts` condition made of $eq/$gt/$gte/$lt/$lte on Timestamps from the rest of the filter:
 * Timestamps are compared exactly here and bound where a scan starts.
 */
function splitTsCondition(filter: BsonDoc | undefined): { bounds: TsBounds; rest: BsonDoc | undefined } {
  const condition = filter?.get('ts');
  if (!filter || condition === undefined) return { bounds: {}, rest: filter };
  const bounds: TsBounds = {};
  const operators = condition instanceof Timestamp ? new Map([['$eq', condition]]) : condition;
  if (!(operators instanceof Map)) return { bounds: {}, rest: filter };
  for (const [operator, value] of operators) {
    if (!(value instanceof Timestamp)) return { bounds: {}, rest: filter };
    if (operator === '$eq' || operator === '$gt' || operator === '$gte')
      bounds.low = { ts: value, inclusive: operator !== '$gt' };
    if (operator === '$eq' || operator === '$lt' || operator === '$lte')
      bounds.high = { ts: value, inclusive: operator !== '$lt' };
    if (!['$eq', '$gt', '$gte', '$lt', '$lte'].includes(operator)) return { bounds: {}, rest: filter };
  }
  const rest = new Map(filter);
  rest.delete('ts');
  return { bounds, rest };
}

function withinBounds(ts: BsonValue | undefined, { low, high }: TsBounds): boolean {
  if (!(ts instanceof Timestamp)) return false;
  if (low && compareTimestamps(ts, low.ts) < (low.inclusive ? 0 : 1)) return false;
  return !high || compareTimestamps(ts, high.ts) <= (high.inclusive ? 0 : -1);
}

/** The parts of a find the oplog answers (a collation does not apply to it). */
type OplogFind = Omit<FindShape, 'collation'>;

class OplogScan {
  private readonly bounds: TsBounds;
  private readonly predicate: Predicate;

  constructor(
    private readonly oplog: Oplog,
    filter: BsonDoc | undefined,
  ) {
    const { bounds, rest } = splitTsCondition(filter);
    this.bounds = bounds;
    this.predicate = compileFilter(rest);
  }

  startPosition(direction: 1 | -1): number {
    const { low } = this.bounds;
    if (direction < 0) return this.oplog.endPosition - 1;
    return low ? this.oplog.positionOf(low.ts, !low.inclusive) : firstPosition(this.oplog);
  }

  matches(doc: BsonDoc): boolean {
    return withinBounds(doc.get('ts'), this.bounds) && this.predicate(doc);
  }
}

/** A tailable cursor on the oplog: it stays open at the end and waits (awaitData) for new entries. */
class OplogTail implements CursorSource {
  readonly tailable = true;
  private skipped = 0;
  private returned = 0;

  constructor(
    private readonly oplog: Oplog,
    private readonly scan: OplogScan,
    private position: number,
    private readonly find: OplogFind,
    private readonly awaitData: boolean,
  ) {}

  async nextBatch({ batchSize, awaitMs, isFirstBatch }: BatchOptions): Promise<Batch> {
    let documents = this.collect(batchSize, isFirstBatch);
    if (documents.length === 0 && this.awaitData && !isFirstBatch && !this.limitReached) {
      await this.oplog.waitForAppend(awaitMs);
      documents = this.collect(batchSize, isFirstBatch);
    }
    return { documents, exhausted: this.limitReached };
  }

  private get limitReached(): boolean {
    return this.find.limit > 0 && this.returned >= this.find.limit;
  }

  private collect(batchSize: number | undefined, isFirstBatch: boolean): EncodableValue[] {
    if (this.oplog.isEvicted(this.position))
      throw new CommandError(
        'CappedPositionLost',
        'CollectionScan died due to position in capped collection being deleted.',
      );
    const wanted = batchSize && batchSize > 0 ? batchSize : isFirstBatch ? DEFAULT_FIRST_BATCH : Infinity;
    const out: EncodableValue[] = [];
    let bytes = 0;
    while (out.length < wanted && !this.limitReached && bytes < MAX_BATCH_BYTES) {
      const read = readAt(this.oplog, this.position, 1);
      if (!read) break;
      this.position = read.next;
      if (!this.scan.matches(read.doc)) continue;
      if (this.skipped < this.find.skip) {
        this.skipped += 1;
        continue;
      }
      const doc = this.find.projection?.size
        ? applyProjection(read.doc, this.find.projection, this.find.filter)
        : read.doc;
      bytes += encodeDocument(doc).length;
      out.push(doc);
      this.returned += 1;
    }
    return out;
  }
}

function naturalDirection(sort: BsonDoc | undefined): 1 | -1 | undefined {
  if (!sort || sort.size === 0) return 1;
  const key = sort.keys().next().value;
  if (sort.size !== 1 || (key !== '$natural' && key !== 'ts')) return undefined;
  return sortDirection(sort.get(key as string) as BsonValue) < 0 ? -1 : 1;
}

export function findInOplog(ctx: CommandContext, find: OplogFind): Promise<CommandReply> {
  const { oplog } = ctx.sandbox;
  const scan = new OplogScan(oplog, find.filter);
  const direction = naturalDirection(find.sort);
  if (ctx.body.get('tailable') === true) {
    if (direction !== 1)
      throw new CommandError('BadValue', 'cannot use tailable option with a sort other than {$natural: 1}');
    const tail = new OplogTail(oplog, scan, scan.startPosition(1), find, ctx.body.get('awaitData') === true);
    return openCursorReply(ctx, OPLOG_NS, tail, find.batchSize, find.singleBatch);
  }
  const scanDirection = direction ?? 1;
  const stopAfter = direction !== undefined && find.limit > 0 ? find.skip + find.limit : Infinity;
  const matched: BsonDoc[] = [];
  for (const doc of documentsFrom(oplog, scan.startPosition(scanDirection), scanDirection)) {
    if (matched.length >= stopAfter) break;
    if (scan.matches(doc)) matched.push(doc);
  }
  if (direction === undefined && find.sort) matched.sort(compareDocumentsBySortSpec(find.sort));
  const page = matched.slice(find.skip, find.limit > 0 ? find.skip + find.limit : undefined);
  const documents = page.map((doc) =>
    find.projection?.size ? applyProjection(doc, find.projection, find.filter) : doc,
  );
  const sizeOf = (doc: EncodableValue): number => encodeDocument(doc).length;
  return openCursorReply(ctx, OPLOG_NS, new ArraySource(documents, sizeOf), find.batchSize, find.singleBatch);
}

/** collStats for local.oplog.rs: a capped collection whose maxSize is the configured oplog size. */
export function oplogCollectionStats(sandbox: Sandbox, scale = 1): Record<string, EncodableValue> {
  let count = 0;
  let size = 0;
  for (const doc of documentsFrom(sandbox.oplog, firstPosition(sandbox.oplog), 1)) {
    count += 1;
    size += encodeDocument(doc).length;
  }
  const maxSize = sandbox.options.oplogSizeMb * 1024 * 1024;
  const scaled = (bytes: number): number => Math.trunc(bytes / scale);
  return {
    ns: OPLOG_NS,
    size: scaled(size),
    count,
    ...(count > 0 ? { avgObjSize: Math.trunc(size / count) } : {}),
    storageSize: scaled(size),
    freeStorageSize: 0,
    capped: true,
    max: Long.fromNumber(0),
    maxSize: scaled(maxSize),
    nindexes: 0,
    indexDetails: {},
    indexBuilds: [],
    totalIndexSize: 0,
    totalSize: scaled(size),
    indexSizes: {},
    scaleFactor: scale,
  };
}
