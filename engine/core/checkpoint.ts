// The checkpoint: everything a restarted engine needs to carry on a run, in one document of
// `<metadataDb>.checkpoints` on the target, replaced whole at every write (every few seconds, at
// every state change, on pause and on graceful shutdown). Kept on the target because that is where
// the data whose progress it describes lives: a target restored from a backup brings its matching
// checkpoint along.
//
// Parts of it must come back with their exact BSON types: segment bounds (an _id of NumberLong(5)
// is not the string "5"), original index specs (a key of NumberLong(1)). The document is written
// with those values as they are and read back raw through decodeOrdered; the rest (options,
// counters, error) is plain data and is turned back into JS values field by field.
import { Timestamp, type Collection, type Document, type MongoClient } from 'mongodb';
import {
  startOptionsSchema,
  type EngineState,
  type FerryErrorInfo,
  type FinalizeOptions,
  type StartOptions,
  type StatusSnapshot,
} from '../protocol.js';
import { decodeOrdered, type OrderedDocument } from './bson/ordered.js';
import { numberOf } from './catalog/documents.js';
import type { Segment } from './clone/segments.js';
import { clusterIdentity, type ClusterIdentity } from './connections.js';
import { FerryError } from './errors.js';
import { zeroTotals, type CounterTotals } from './metrics.js';
import type { CatalogState, CloneCheckpoint } from './parts.js';

export const CHECKPOINT_COLLECTION = 'checkpoints';
const CHECKPOINT_ID = 'checkpoint';
/** Bumped when the document's shape changes incompatibly; an unknown version is refused, not guessed at. */
const FORMAT_VERSION = 1;

export interface FinalizeRecord {
  options: FinalizeOptions;
  startedAt: string;
  completedAt?: string;
  unsuccessfulIndexes: NonNullable<StatusSnapshot['finalization']>['unsuccessfulIndexes'];
  countMismatches?: { namespace: string; source: number; target: number }[];
}

export interface RunCheckpoint {
  runId: string;
  source: ClusterIdentity;
  target: ClusterIdentity;
  state: EngineState;
  /** The start options, filter included. */
  options: StartOptions;
  /** T0. */
  startTime: Timestamp;
  /** Source cluster time when the clone completed. */
  cloneFinishTime?: Timestamp;
  clone: CloneCheckpoint;
  cloneCompleted: boolean;
  catalog: CatalogState;
  replicationStarted: boolean;
  /** Where replication must read from after a restart; T0 until replication has started. */
  resumePoint?: Timestamp;
  lastReplicated?: Timestamp;
  totals: CounterTotals;
  error?: FerryErrorInfo;
  finalization?: FinalizeRecord;
  updatedAt: Date;
}

export class CheckpointStore {
  constructor(
    private readonly client: MongoClient,
    private readonly metadataDb: string,
  ) {}

  private get collection(): Collection<Document> {
    return this.client.db(this.metadataDb).collection(CHECKPOINT_COLLECTION);
  }

  async read(): Promise<RunCheckpoint | undefined> {
    const raw = await this.collection.findOne({ _id: CHECKPOINT_ID } as Document, { raw: true });
    return raw ? decodeCheckpoint(decodeOrdered(raw as unknown as Uint8Array)) : undefined;
  }

  async write(checkpoint: RunCheckpoint): Promise<void> {
    await this.collection.replaceOne({ _id: CHECKPOINT_ID } as Document, encodeCheckpoint(checkpoint), {
      upsert: true,
    });
  }

  async remove(): Promise<void> {
    await this.collection.deleteOne({ _id: CHECKPOINT_ID } as Document);
  }
}

// ---------------------------------------------------------------------------------------------------
// Identity checks

/**
 * The checkpoint on the target, if the clusters now connected may continue it. Throws when they may
 * not: the checkpoint names another source or target, or the two are swapped (the checkpoint is then
 * on the cluster given as source, naming it as its target).
 */
export async function continuableCheckpoint(
  source: MongoClient,
  target: MongoClient,
  metadataDb: string,
): Promise<RunCheckpoint | undefined> {
  const [sourceIdentity, targetIdentity] = [await clusterIdentity(source), await clusterIdentity(target)];
  const checkpoint = await new CheckpointStore(target, metadataDb).read();
  if (checkpoint) {
    const mismatch = identityMismatch(checkpoint, sourceIdentity, targetIdentity);
    if (mismatch) throw mismatch;
    return checkpoint;
  }
  const onSource = await new CheckpointStore(source, metadataDb).read().catch(() => undefined);
  const swapped = onSource && identityMismatch(onSource, sourceIdentity, targetIdentity);
  if (swapped && swapped.code === 'CLUSTERS_SWAPPED') throw swapped;
  return undefined;
}

/**
 * Why a saved run cannot continue with the clusters now connected, or undefined when it can. Same
 * cluster means: same kind, same set name, same cluster id where both were readable, and at least
 * one host in common otherwise (a member added or replaced keeps the others).
 */
export function identityMismatch(
  checkpoint: Pick<RunCheckpoint, 'source' | 'target' | 'runId'>,
  source: ClusterIdentity,
  target: ClusterIdentity,
): FerryError | undefined {
  if (sameCluster(checkpoint.source, target) && sameCluster(checkpoint.target, source)) {
    return new FerryError({
      code: 'CLUSTERS_SWAPPED',
      message: `source and target are swapped: run ${checkpoint.runId} copies ${describe(checkpoint.source)} into ${describe(checkpoint.target)}`,
      remedy: 'Swap the two connection strings back.',
    });
  }
  for (const [side, saved, now] of [
    ['source', checkpoint.source, source],
    ['target', checkpoint.target, target],
  ] as const) {
    if (!sameCluster(saved, now)) {
      return new FerryError({
        code: 'CHECKPOINT_OTHER_CLUSTER',
        message: `the target holds the checkpoint of run ${checkpoint.runId}, whose ${side} was ${describe(saved)}, not ${describe(now)}`,
        remedy: `Connect the ${side} the run started with to continue it, or reset to discard its checkpoint (target data stays as it is).`,
      });
    }
  }
  return undefined;
}

export function sameCluster(a: ClusterIdentity, b: ClusterIdentity): boolean {
  if (a.topology !== b.topology || a.setName !== b.setName) return false;
  if (a.clusterId !== undefined && b.clusterId !== undefined) return a.clusterId === b.clusterId;
  return a.hosts.some((host) => b.hosts.includes(host));
}

function describe(identity: ClusterIdentity): string {
  const name = identity.setName === undefined ? identity.topology : `replica set ${identity.setName}`;
  return `${name} (${identity.hosts.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------------
// Encoding

export function encodeCheckpoint(checkpoint: RunCheckpoint): Document {
  const doc: Document = {
    _id: CHECKPOINT_ID,
    version: FORMAT_VERSION,
    runId: checkpoint.runId,
    source: checkpoint.source,
    target: checkpoint.target,
    state: checkpoint.state,
    options: checkpoint.options,
    startTime: checkpoint.startTime,
    cloneCompleted: checkpoint.cloneCompleted,
    clone: checkpoint.clone,
    // Namespaces contain dots, which are awkward as field names: stored as lists instead.
    catalog: {
      originalIndexes: Object.entries(checkpoint.catalog.originalIndexes).map(([namespace, specs]) => ({
        namespace,
        specs,
      })),
      clusteredTtl: Object.entries(checkpoint.catalog.clusteredTtl ?? {}).map(([namespace, value]) => ({
        namespace,
        value,
      })),
    },
    replicationStarted: checkpoint.replicationStarted,
    totals: checkpoint.totals,
    updatedAt: checkpoint.updatedAt,
  };
  if (checkpoint.cloneFinishTime) doc.cloneFinishTime = checkpoint.cloneFinishTime;
  if (checkpoint.resumePoint) doc.resumePoint = checkpoint.resumePoint;
  if (checkpoint.lastReplicated) doc.lastReplicated = checkpoint.lastReplicated;
  if (checkpoint.error) doc.error = checkpoint.error;
  if (checkpoint.finalization) doc.finalization = checkpoint.finalization;
  return doc;
}

export function decodeCheckpoint(doc: OrderedDocument): RunCheckpoint {
  const version = numberOf(doc.get('version'));
  if (version !== FORMAT_VERSION) {
    throw new FerryError({
      code: 'CHECKPOINT_UNREADABLE',
      message: `the checkpoint on the target has format version ${String(version)}, this Ferry reads version ${FORMAT_VERSION}`,
      remedy: 'Continue the run with the Ferry version that started it, or reset to discard the checkpoint.',
    });
  }
  const catalog = mapOf(doc.get('catalog'));
  const checkpoint: RunCheckpoint = {
    runId: String(doc.get('runId')),
    source: plain(doc.get('source')) as ClusterIdentity,
    target: plain(doc.get('target')) as ClusterIdentity,
    state: String(doc.get('state')) as EngineState,
    options: startOptionsSchema.parse(plain(doc.get('options'))),
    startTime: timestamp(doc.get('startTime'), 'startTime'),
    cloneCompleted: doc.get('cloneCompleted') === true,
    clone: decodeClone(mapOf(doc.get('clone'))),
    catalog: {
      originalIndexes: Object.fromEntries(
        listOf(catalog.get('originalIndexes')).map((entry) => {
          const item = mapOf(entry);
          return [String(item.get('namespace')), listOf(item.get('specs')) as Document[]];
        }),
      ),
      clusteredTtl: Object.fromEntries(
        listOf(catalog.get('clusteredTtl')).map((entry) => {
          const item = mapOf(entry);
          return [String(item.get('namespace')), item.get('value')];
        }),
      ),
    },
    replicationStarted: doc.get('replicationStarted') === true,
    totals: { ...zeroTotals, ...(plain(doc.get('totals')) as Partial<CounterTotals>) },
    updatedAt: doc.get('updatedAt') instanceof Date ? (doc.get('updatedAt') as Date) : new Date(0),
  };
  const optional = {
    cloneFinishTime: doc.get('cloneFinishTime'),
    resumePoint: doc.get('resumePoint'),
    lastReplicated: doc.get('lastReplicated'),
  };
  for (const [field, value] of Object.entries(optional)) {
    if (value !== undefined) checkpoint[field as keyof typeof optional] = timestamp(value, field);
  }
  if (doc.has('error')) checkpoint.error = plain(doc.get('error')) as FerryErrorInfo;
  if (doc.has('finalization')) checkpoint.finalization = plain(doc.get('finalization')) as FinalizeRecord;
  return checkpoint;
}

function decodeClone(clone: OrderedDocument): CloneCheckpoint {
  return {
    segments: listOf(clone.get('segments')).map((entry) => {
      const item = mapOf(entry);
      return { segment: decodeSegment(mapOf(item.get('segment'))), done: item.get('done') === true };
    }),
    preparedNamespaces: listOf(clone.get('preparedNamespaces')).map(String),
    fullyPlannedNamespaces: listOf(clone.get('fullyPlannedNamespaces')).map(String),
  };
}

/** A segment as recorded, its bounds kept as decoded: they are _id values of any BSON type. */
function decodeSegment(doc: OrderedDocument): Segment {
  const bounds = mapOf(doc.get('bounds'));
  const kind = bounds.get('kind');
  const segment = {
    id: String(doc.get('id')),
    namespace: String(doc.get('namespace')),
    bracket: String(doc.get('bracket')) as Segment['bracket'],
    ordinal: numberOf(doc.get('ordinal')),
  };
  switch (kind) {
    case 'range':
      return {
        ...segment,
        bounds: {
          kind,
          lower: bounds.get('lower'),
          upper: bounds.get('upper'),
          upperInclusive: bounds.get('upperInclusive') === true,
        },
      };
    case 'equality':
      return { ...segment, bounds: { kind, value: bounds.get('value') } };
    case 'natural':
      return { ...segment, bounds: { kind } };
    default:
      throw unreadable(`segment ${segment.id} has bounds of kind ${String(kind)}`);
  }
}

/** Options, counters, identities and errors as plain JS values (numbers of any BSON type as numbers). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [key, plain(item)]));
  const number = numberOf(value);
  if (typeof value === 'object' && value !== null && !Number.isNaN(number)) return number;
  return value;
}

function mapOf(value: unknown): OrderedDocument {
  if (value instanceof Map) return value as OrderedDocument;
  throw unreadable('a document field is missing');
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function timestamp(value: unknown, field: string): Timestamp {
  if (value instanceof Timestamp) return value;
  throw unreadable(`${field} is not a timestamp`);
}

function unreadable(detail: string): FerryError {
  return new FerryError({
    code: 'CHECKPOINT_UNREADABLE',
    message: `the checkpoint on the target cannot be read: ${detail}`,
    remedy: 'Reset to discard it (target data stays as it is), then start again.',
  });
}
