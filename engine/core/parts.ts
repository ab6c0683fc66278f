// How the engine's parts fit together: the context every part receives, and the interfaces between
// the catalog (target DDL and index bookkeeping), the cloner, the replicator and the orchestrating
// engine. Each part lives in its own folder and is built against these interfaces.
import type { Binary, Document, MongoClient, Timestamp } from 'mongodb';
import type { CloneTuning, CollectionProgress, NamespaceKind, ReplTuning, UnsuccessfulIndex } from '../protocol.js';
import type { NamespaceFilter } from './namespaces.js';
import type { Segment } from './clone/segments.js';

/** Structured logging, implemented with pino by the engine; parts only call these. */
export interface EngineLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Counters and gauges a part updates; the engine maps them to prom-client metrics and the status. */
export interface EngineCounters {
  cloneReadDocuments(count: number, bytes: number): void;
  cloneInsertedDocuments(count: number, bytes: number): void;
  /** How long the clone's latest batch took to read from the source (the cursor, not the wait for an insert slot). */
  cloneReadBatchDuration(seconds: number): void;
  /** How long the target took to insert the clone's latest batch. */
  cloneInsertBatchDuration(seconds: number): void;
  eventsRead(count: number): void;
  eventsApplied(count: number): void;
  /** The events of a batch applier `worker` has committed (its share of eventsApplied). */
  workerEventsApplied(worker: number, events: number): void;
  flush(worker: number, ops: number, seconds: number): void;
  queueDepth(name: 'events' | `worker-${number}`, depth: number): void;
}

export interface EngineContext {
  /** Read preference primary, read concern majority. */
  readonly source: MongoClient;
  /** Write concern majority with j:true. */
  readonly target: MongoClient;
  readonly filter: NamespaceFilter;
  readonly metadataDb: string;
  readonly clone: CloneTuning;
  readonly repl: ReplTuning;
  readonly log: EngineLog;
  readonly counters: EngineCounters;
}

// ---------------------------------------------------------------------------------------------------
// Catalog: what exists on the source, creating it on the target, and index bookkeeping

export interface SourceCollection {
  db: string;
  name: string;
  kind: NamespaceKind;
  /** `options` exactly as listCollections reports them on the source (an OrderedDocument, see catalog/documents.ts). */
  options: Document;
  /** Missing for views. */
  uuid?: Binary;
  /** Index specs exactly as listIndexes reports them on the source (OrderedDocuments; empty for views). */
  indexes: Document[];
  documents: number;
  sizeBytes: number;
  avgObjSize: number;
}

/**
 * What the catalog must persist in the checkpoint to finalize correctly after a restart. The specs are
 * OrderedDocuments (Maps: field order and BSON types kept); store them as BSON and read them back
 * with `raw: true` + decodeOrdered (or at least promoteValues: false), or an index key of
 * NumberLong(1) comes back as a plain number. The keys are namespaces, which contain dots.
 */
export interface CatalogState {
  /** namespace → the original (unrelaxed) index specs, kept verbatim. */
  originalIndexes: Record<string, Document[]>;
  /** namespace → the original expireAfterSeconds of a clustered collection (relaxed on the target until finalize). */
  clusteredTtl?: Record<string, unknown>;
  /** namespace → the UUID of the source collection copied into it (a rename replay checks it). */
  sourceUuids?: Record<string, unknown>;
}

export interface Catalog {
  /** Selected collections and views on the source, largest first. */
  listSource(): Promise<SourceCollection[]>;
  /** Creates the collection (or view) on the target with the source options and relaxed indexes. */
  prepareTarget(collection: SourceCollection, options: { dropExisting: boolean }): Promise<void>;
  /** Applies one DDL change event (create, drop, rename, dropDatabase, createIndexes, dropIndexes, modify, shardCollection). */
  applyDdl(event: Document): Promise<void>;
  /** Finalize: restore unique (prepareUnique then unique), TTL and hidden from the original specs. */
  restoreIndexes(): Promise<UnsuccessfulIndex[]>;
  state(): CatalogState;
  load(state: CatalogState): void;
}

// ---------------------------------------------------------------------------------------------------
// Clone

export interface CloneCheckpoint {
  /**
   * Every segment planned so far, with its bounds (clone/segments.ts Segment) and whether all its
   * documents are on the target. Split points are found lazily on a collection that keeps changing,
   * so a restart cannot re-plan by id: it re-reads unfinished segments with their recorded bounds and
   * continues planning after the last planned upper bound.
   */
  segments: { segment: Segment; done: boolean }[];
  /** Namespaces whose target collection and indexes have been created. */
  preparedNamespaces: string[];
  /** Namespaces whose planning reached the end of their `_id` ranges. */
  fullyPlannedNamespaces: string[];
}

export interface Cloner {
  /** Copies everything not yet done; resolves when the clone is complete, rejects on a fatal error. */
  run(): Promise<void>;
  /** Stops at the next segment boundary; run() then resolves early with `completed: false` in progress. */
  pause(): Promise<void>;
  readonly completed: boolean;
  progress(): CollectionProgress[];
  /** What to persist (read by the checkpoint writer at any moment). */
  checkpoint(): CloneCheckpoint;
}

// ---------------------------------------------------------------------------------------------------
// Change replication

export interface Replicator {
  /** Opens the cluster-wide change stream at `from` (inclusive) and applies events until paused or failed. */
  start(from: Timestamp): void;
  /** Stops reading, applies everything already read, flushes every applier. */
  pause(): Promise<void>;
  /** Applies until the last applied (or caught-up) time is at or past `time`, then pauses. */
  catchUpTo(time: Timestamp): Promise<void>;
  /** The earliest time a restart must read from so nothing is skipped (minimum over appliers). */
  readonly resumePoint: Timestamp | undefined;
  /** The source time the target reflects: last applied event, or the stream's caught-up time when idle. */
  readonly lastReplicated: Timestamp | undefined;
  readonly eventsRead: number;
  readonly eventsApplied: number;
  /** Resolves when the replicator stops (pause, catch-up done) and rejects on a fatal error. */
  readonly done: Promise<void> | undefined;
}
