// Shared vocabulary of the operation modules: what an operation definition looks like, the
// context it runs in, the option names common to many operations and how documents are decoded.
//
// Numeric types: `promoteValues: false` would also apply to error replies, turning `code` into an
// Int32 and breaking the driver's own retry/resume decisions. So find fetches documents raw and
// decodes them here without promotion (exact int/long/double for $$type) - the driver keeps raw
// decoding to the batch for find/getMore only - and the other reads use `promoteLongs: false`
// (longs stay Long, int32 and double become numbers, which $$type treats leniently). Counts and
// write results keep the driver's plain numbers.
import { BSON } from 'mongodb';
import type { Collection, Db, Document, MongoClient } from 'mongodb';
import type { ArgumentSpec } from './arguments.js';
import type { EntityMap } from './entities.js';
import type { ResultShape } from './matcher.js';
import type { Doc, Operation } from './types.js';

export interface OperationContext {
  entities: EntityMap;
  /** The runner's own client (initial data, outcome, fail points, assertions). */
  internal: MongoClient;
  /** Remember a fail point so it is switched off after the test, whatever happens. */
  recordFailPoint(name: string): void;
  /** Execute nested operations with full assertion handling (withTransaction callbacks). */
  runNested(operations: Operation[]): Promise<void>;
}

export interface Call {
  name: string;
  object: string;
  /** Arguments as written in the test file (for nested operations and entity descriptions). */
  raw: Doc;
  /** Arguments converted for the driver. */
  args: Document;
}

export interface OperationDef extends ArgumentSpec {
  /** How expectResult is matched; default 'root' (a result document may carry extra fields). */
  shape?: ResultShape;
  run(call: Call, ctx: OperationContext): Promise<unknown>;
}

export type Table = Record<string, OperationDef>;

/** For find: documents come back as BSON bytes, which decodeRaw turns into typed values. */
export const RAW = { raw: true } as const;
export const LONGS = { promoteLongs: false } as const;

export function decodeRaw(document: unknown): unknown {
  return document instanceof Uint8Array ? BSON.deserialize(document, { promoteValues: false }) : document;
}

export const WRITE = ['session', 'writeConcern', 'comment', 'rawData', 'timeoutMS'] as const;
export const READ = [
  'session',
  'readConcern',
  'readPreference',
  'comment',
  'rawData',
  'maxTimeMS',
  'timeoutMS',
] as const;
export const FIND_OPTIONS = [
  ...READ,
  'allowDiskUse',
  'allowPartialResults',
  'batchSize',
  'collation',
  'cursorType',
  'hint',
  'let',
  'limit',
  'max',
  'maxAwaitTimeMS',
  'min',
  'noCursorTimeout',
  'projection',
  'returnKey',
  'showRecordId',
  'skip',
  'sort',
  'timeoutMode',
] as const;
export const CHANGE_STREAM_OPTIONS = [
  'batchSize',
  'collation',
  'comment',
  'fullDocument',
  'fullDocumentBeforeChange',
  'maxAwaitTimeMS',
  'resumeAfter',
  'showExpandedEvents',
  'startAfter',
  'startAtOperationTime',
  'session',
  'timeoutMS',
] as const;

export const coll = (ctx: OperationContext, call: Call): Collection<Document> =>
  ctx.entities.getAs(call.object, 'collection').collection;
export const database = (ctx: OperationContext, call: Call): Db => ctx.entities.getAs(call.object, 'database').db;
export const mongoClient = (ctx: OperationContext, call: Call): MongoClient => ctx.entities.client(call.object).client;
