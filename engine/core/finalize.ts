// Finalize (ARCHITECTURE.md Engine §8): optionally block user writes on the source, catch up to the
// source's cluster time taken at that moment, stop replication, restore the relaxed indexes, and
// compare document counts per collection.
//
// Where Ferry differs from PCSM (pcsm.md §7): PCSM stops replication wherever its reader happens to
// be, so writes made shortly before finalize can be missing on the target unless the operator waited
// for zero lag by hand. Ferry reads the source's cluster time first and applies every event up to it
// before stopping; with blockSourceWrites no write can slip in after that time either. The write
// block is released whatever happens, failure included: a source left read-only is an outage.
import type { MongoClient, Timestamp } from 'mongodb';
import type { UnsuccessfulIndex } from '../protocol.js';
import { clusterTime } from './connections.js';
import { classify, retry } from './errors.js';
import type { Catalog, EngineLog, Replicator, SourceCollection } from './parts.js';
import { formatOpTime } from './repl/resume-token.js';

export interface CountMismatch {
  namespace: string;
  source: number;
  target: number;
}

export interface FinalizeOutcome {
  unsuccessfulIndexes: UnsuccessfulIndex[];
  countMismatches: CountMismatch[];
}

export interface FinalizeInput {
  source: MongoClient;
  target: MongoClient;
  replicator: Replicator;
  catalog: Catalog;
  log: EngineLog;
  /** Where replication starts when it is not running (a paused run, or one recovered from a checkpoint). */
  resumePoint: Timestamp;
  replicationRunning: boolean;
  /** Source writes were blocked: the counts must then match exactly. */
  sourceWritesBlocked: boolean;
  /** The selected collections on the source, listed after the catch-up. */
  listSource(): Promise<SourceCollection[]>;
}

/** Blocks user writes on the whole source (setUserWriteBlockMode, MongoDB 6.0+). */
export async function blockSourceWrites(source: MongoClient, log: EngineLog): Promise<void> {
  await source.db('admin').command({ setUserWriteBlockMode: 1, global: true });
  log.warn('user writes are blocked on the source until finalize completes');
}

/** Releases the write block, retrying transient errors for a while: this must not be lost. */
export async function releaseSourceWrites(source: MongoClient, log: EngineLog): Promise<void> {
  try {
    await retry(() => source.db('admin').command({ setUserWriteBlockMode: 1, global: false }), {
      attempts: 10,
      initialDelayMs: 500,
      maxDelayMs: 10_000,
      onRetry: ({ error }) => log.warn('retrying: release the write block on the source', { error: error.message }),
    });
    log.info('user writes are allowed again on the source');
  } catch (error) {
    log.error(
      'user writes are STILL BLOCKED on the source: run db.adminCommand({setUserWriteBlockMode: 1, global: false}) on it',
      {
        error: classify(error).message,
      },
    );
    throw error;
  }
}

/** Catch up, stop, restore indexes, count. The write block (if any) is the caller's to release. */
export async function finalizePass(input: FinalizeInput): Promise<FinalizeOutcome> {
  const { replicator, log } = input;
  const until = await clusterTime(input.source);
  log.info('finalize: catching up with the source', { until: formatOpTime(until) });
  if (!input.replicationRunning) replicator.start(input.resumePoint);
  await replicator.catchUpTo(until);
  log.info('finalize: replication stopped; restoring indexes');
  const unsuccessfulIndexes = await input.catalog.restoreIndexes();
  for (const index of unsuccessfulIndexes) {
    log.warn('index not restored', { namespace: index.namespace, index: index.indexName, reason: index.reason });
  }
  const countMismatches = await compareCounts(input);
  for (const mismatch of countMismatches) {
    log.warn(
      input.sourceWritesBlocked
        ? 'document counts differ'
        : 'document counts differ (source writes were not blocked, so writes after the catch-up are expected)',
      { ...mismatch },
    );
  }
  return { unsuccessfulIndexes, countMismatches };
}

/**
 * Per collection: the counts from collection metadata first (instant), and an exact count only where
 * those differ, since metadata counts can be off after an unclean shutdown.
 */
async function compareCounts(input: FinalizeInput): Promise<CountMismatch[]> {
  const mismatches: CountMismatch[] = [];
  for (const collection of await input.listSource()) {
    if (collection.kind === 'view' || collection.kind === 'timeseries') continue;
    const namespace = `${collection.db}.${collection.name}`;
    const sourceCollection = input.source.db(collection.db).collection(collection.name);
    const targetCollection = input.target.db(collection.db).collection(collection.name);
    const [sourceEstimate, targetEstimate] = await Promise.all([
      sourceCollection.estimatedDocumentCount(),
      targetCollection.estimatedDocumentCount(),
    ]);
    if (sourceEstimate === targetEstimate) continue;
    const [source, target] = await Promise.all([
      sourceCollection.countDocuments({}),
      targetCollection.countDocuments({}),
    ]);
    if (source !== target) mismatches.push({ namespace, source, target });
  }
  return mismatches;
}
