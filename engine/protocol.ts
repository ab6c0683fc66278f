// The contract between the engine and everything that drives or shows it: the Electron main process,
// the headless server, the CLI and the React UI. Types and zod schemas only; no behaviour. Inputs that
// cross a process boundary are validated with these schemas.
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------
// States

export const engineStates = ['idle', 'running', 'paused', 'finalizing', 'finalized', 'failed'] as const;
export type EngineState = (typeof engineStates)[number];

/** What the engine is doing inside a state (shown as PCSM's `info`). */
export const enginePhases = ['idle', 'cloning', 'catching-up', 'replicating', 'paused', 'finalizing', 'finalized', 'failed'] as const;
export type EnginePhase = (typeof enginePhases)[number];

export type Side = 'source' | 'target';

// ---------------------------------------------------------------------------------------------------
// Errors

/** An error as shown to a DBA: what happened, and what to do about it. */
export interface FerryErrorInfo {
  /** Stable machine-readable code, e.g. `HISTORY_LOST`, `TARGET_NOT_EMPTY`, `CONNECTION_FAILED`. */
  code: string;
  message: string;
  remedy?: string;
  /** True when retrying later may succeed without the operator changing anything. */
  transient?: boolean;
}

/** Every command answers with a result or a refusal, never by throwing across the boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: FerryErrorInfo };

// ---------------------------------------------------------------------------------------------------
// Connections

export const connectionSettingsSchema = z.object({
  uri: z.string().min(1, 'a connection string is required'),
  tlsCAFile: z.string().optional(),
  tlsCertificateKeyFile: z.string().optional(),
});
export type ConnectionSettings = z.infer<typeof connectionSettingsSchema>;

export interface PrivilegeReport {
  /** Roles of the authenticated user, as `role@db`. */
  roles: string[];
  /** Whether the roles cover what this side needs (source: read + change streams; target: write + DDL). */
  sufficient: boolean;
  missing: string[];
}

export interface ConnectionReport {
  side: Side;
  /** The URI with its password removed. */
  redactedUri: string;
  serverVersion: string;
  topology: 'replicaSet' | 'sharded' | 'standalone';
  setName?: string;
  members: string[];
  privileges: PrivilegeReport;
  /** Seconds between the oldest and newest oplog entries, when readable. */
  oplogWindowSeconds?: number;
  pingMs: number;
  /** True when the server identifies itself as Ferry's sandbox. */
  sandbox: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Scope

export const namespaceKinds = ['collection', 'view', 'capped', 'timeseries', 'clustered', 'system'] as const;
export type NamespaceKind = (typeof namespaceKinds)[number];

export interface NamespaceInfo {
  db: string;
  name: string;
  kind: NamespaceKind;
  documents: number;
  sizeBytes: number;
  indexes: number;
}

export interface DatabaseInfo {
  name: string;
  sizeBytes: number;
  collections: NamespaceInfo[];
}

/** `db.*` or `db.coll`; exclude wins over include; an include list denies everything not listed. */
const namespacePattern = z
  .string()
  .regex(/^[^.$\s/\\"]+\.(\*|[^$\s][^\0]*)$/, 'a namespace is written `db.collection` or `db.*`');

// ---------------------------------------------------------------------------------------------------
// Options

export const cloneTuningSchema = z.object({
  parallelCollections: z.number().int().min(1).max(64).default(2),
  readWorkers: z.number().int().min(1).max(64).default(2),
  insertWorkers: z.number().int().min(1).max(64).default(4),
  /** Target size of one `_id`-range segment; 0 = automatic. */
  segmentSizeBytes: z.number().int().min(0).default(0),
  readBatchSizeBytes: z.number().int().min(1024).max(48_000_000).default(16 * 1024 * 1024),
});
export type CloneTuning = z.infer<typeof cloneTuningSchema>;

export const replTuningSchema = z.object({
  workers: z.number().int().min(1).max(64).default(4),
  bulkOps: z.number().int().min(1).max(100_000).default(1000),
  flushIntervalMs: z.number().int().min(1).max(60_000).default(200),
  changeStreamBatchSize: z.number().int().min(1).max(100_000).default(5000),
  eventQueueSize: z.number().int().min(1).max(1_000_000).default(10_000),
});
export type ReplTuning = z.infer<typeof replTuningSchema>;

export const startOptionsSchema = z.object({
  includeNamespaces: z.array(namespacePattern).default([]),
  excludeNamespaces: z.array(namespacePattern).default([]),
  pauseOnInitialSync: z.boolean().default(false),
  /** Database on the target that holds Ferry's checkpoint and heartbeat. */
  metadataDb: z.string().regex(/^[^.$\s/\\"]+$/).default('ferry_internal'),
  /** Namespaces that may already exist on the target: they are dropped and recreated. */
  allowExistingTargetNamespaces: z.boolean().default(false),
  clone: cloneTuningSchema.default(cloneTuningSchema.parse({})),
  repl: replTuningSchema.default(replTuningSchema.parse({})),
});
export type StartOptions = z.infer<typeof startOptionsSchema>;
export type StartOptionsInput = z.input<typeof startOptionsSchema>;

export const resumeOptionsSchema = z.object({ fromFailure: z.boolean().default(false) });
export type ResumeOptions = z.infer<typeof resumeOptionsSchema>;

export const finalizeOptionsSchema = z.object({
  /** Block user writes on the source (setUserWriteBlockMode) while catching up; always released. */
  blockSourceWrites: z.boolean().default(false),
  verify: z.boolean().default(true),
});
export type FinalizeOptions = z.infer<typeof finalizeOptionsSchema>;

// ---------------------------------------------------------------------------------------------------
// Preflight

export interface PreflightCheck {
  id: string;
  title: string;
  status: 'pass' | 'warn' | 'fail';
  message: string;
  remedy?: string;
}

export interface PreflightReport {
  checks: PreflightCheck[];
  /** False when any check failed. */
  canStart: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Status

/** A cluster time as seconds and increment. */
export interface OpTime {
  t: number;
  i: number;
}

export interface CollectionProgress {
  namespace: string;
  kind: NamespaceKind;
  state: 'pending' | 'cloning' | 'done' | 'skipped' | 'failed';
  estimatedBytes: number;
  copiedBytes: number;
  copiedDocuments: number;
  segmentsDone: number;
  segmentsTotal: number;
}

export interface UnsuccessfulIndex {
  namespace: string;
  indexName: string;
  type: 'failed' | 'incomplete' | 'inconsistent';
  keys: Record<string, unknown>;
  reason: string;
}

export interface StatusSnapshot {
  state: EngineState;
  phase: EnginePhase;
  runId?: string;
  error?: FerryErrorInfo;
  /** Source cluster time minus the time of the last applied (or caught-up) event. */
  lagSeconds: number;
  eventsRead: number;
  eventsApplied: number;
  /** Rates over the last few seconds. */
  eventsPerSecond: number;
  copyBytesPerSecond: number;
  lastReplicatedOpTime?: OpTime;
  /** T0: the source cluster time the clone started from. */
  startOpTime?: OpTime;
  initialSync: {
    completed: boolean;
    cloneCompleted: boolean;
    estimatedCloneSizeBytes: number;
    clonedSizeBytes: number;
    clonedDocuments: number;
    /** Seconds until the clone is done, when it can be estimated. */
    etaSeconds?: number;
  };
  collections: CollectionProgress[];
  finalization?: {
    completed: boolean;
    startedAt?: string;
    completedAt?: string;
    unsuccessfulIndexes: UnsuccessfulIndex[];
    /** Collections whose document counts differed after the catch-up (expected only without blockSourceWrites). */
    countMismatches?: { namespace: string; source: number; target: number }[];
  };
  /** When this snapshot was taken (ISO 8601). */
  at: string;
}

// ---------------------------------------------------------------------------------------------------
// Events pushed to hosts and the UI

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  at: string;
  fields?: Record<string, unknown>;
}

export type EngineEvent =
  | { type: 'status'; status: StatusSnapshot }
  | { type: 'state'; from: EngineState; to: EngineState; at: string }
  | { type: 'log'; record: LogRecord };

// ---------------------------------------------------------------------------------------------------
// The API every transport (Electron IPC, HTTP + SSE, the worker host) implements

export interface FerryApi {
  setConnection(side: Side, settings: ConnectionSettings): Promise<Result<void>>;
  testConnection(side: Side): Promise<Result<ConnectionReport>>;
  listNamespaces(): Promise<Result<DatabaseInfo[]>>;
  preflight(options: StartOptionsInput): Promise<Result<PreflightReport>>;
  start(options: StartOptionsInput): Promise<Result<void>>;
  pause(): Promise<Result<void>>;
  resume(options?: Partial<ResumeOptions>): Promise<Result<void>>;
  finalize(options?: Partial<FinalizeOptions>): Promise<Result<void>>;
  reset(): Promise<Result<void>>;
  status(): Promise<StatusSnapshot>;
  /** Subscribes to engine events; returns the unsubscribe function. */
  subscribe(listener: (event: EngineEvent) => void): () => void;
}

export type FerryCommand = Exclude<keyof FerryApi, 'subscribe'>;
