// Starting a run, up to the moment it exists: the start options checked against the protocol's
// schema, the preflight against both clusters (start refuses while a check fails), and the run's
// first checkpoint, with T0 read from the source before anything is listed.
import { randomUUID } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { startOptionsSchema, type PreflightReport, type StartOptions, type StartOptionsInput } from '../protocol.js';
import type { RunCheckpoint } from './checkpoint.js';
import { clusterIdentity, startTime } from './connections.js';
import { FerryError } from './errors.js';
import { zeroTotals } from './metrics.js';
import { createNamespaceFilter } from './namespaces.js';
import type { EngineContext, EngineCounters, EngineLog } from './parts.js';
import { preflight } from './preflight.js';
import type { RunParts } from './run.js';

export function parseStartOptions(input: StartOptionsInput): StartOptions {
  const parsed = startOptionsSchema.safeParse(input);
  if (!parsed.success)
    throw invalidOptions(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return parsed.data;
}

export function invalidOptions(message: string): FerryError {
  return new FerryError({ code: 'INVALID_OPTIONS', message, remedy: 'Correct the options and try again.' });
}

export interface PreflightClusters {
  source: MongoClient;
  target: MongoClient;
  sourceUri: string;
  targetUri: string;
  log: EngineLog;
  counters: EngineCounters;
  createCatalog: RunParts['createCatalog'];
}

/** The preflight report for a start with `options`, the selected collections listed as the run would. */
export async function preflightStart(options: StartOptions, clusters: PreflightClusters): Promise<PreflightReport> {
  const { source, target } = clusters;
  const ctx: EngineContext = {
    source,
    target,
    filter: createNamespaceFilter({
      include: options.includeNamespaces,
      exclude: options.excludeNamespaces,
      metadataDb: options.metadataDb,
    }),
    metadataDb: options.metadataDb,
    clone: options.clone,
    repl: options.repl,
    log: clusters.log,
    counters: clusters.counters,
  };
  return preflight({
    source,
    target,
    sourceUri: clusters.sourceUri,
    targetUri: clusters.targetUri,
    sourceIdentity: await clusterIdentity(source),
    targetIdentity: await clusterIdentity(target),
    options,
    collections: await clusters.createCatalog(ctx).listSource(),
  });
}

/** Refuses a start whose preflight has a failed check, naming every one. */
export function requirePassed(report: PreflightReport): void {
  const failed = report.checks.filter((check) => check.status === 'fail');
  if (failed.length === 0) return;
  throw new FerryError({
    code: 'PREFLIGHT_FAILED',
    message: `preflight failed: ${failed.map((check) => `${check.title}: ${check.message}`).join('; ')}`,
    remedy: failed[0].remedy ?? 'Fix what the preflight checks report, then start again.',
  });
}

/** A new run's checkpoint: nothing done yet, T0 read now. */
export async function firstCheckpoint(
  source: MongoClient,
  target: MongoClient,
  options: StartOptions,
): Promise<RunCheckpoint> {
  return {
    runId: randomUUID(),
    source: await clusterIdentity(source),
    target: await clusterIdentity(target),
    state: 'running',
    options,
    // T0 before anything is listed: every write the clone may miss comes after it.
    startTime: await startTime(source),
    clone: { segments: [], preparedNamespaces: [], fullyPlannedNamespaces: [] },
    cloneCompleted: false,
    catalog: { originalIndexes: {} },
    replicationStarted: false,
    totals: zeroTotals,
    updatedAt: new Date(),
  };
}
