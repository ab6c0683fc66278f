// PCSM's POST /start body (pcsm.md §2) mapped onto Ferry's StartOptions. Two kinds of mistakes, as in
// PCSM: a body whose JSON types are wrong (a string where a number belongs) is a bad request (HTTP
// 400), while a value of the right type that is out of range is a logical error answered with
// {ok:false, error} and PCSM's wording ("invalid clone segment size: ...").
import { z } from 'zod';
import { startOptionsSchema, type StartOptions } from '../protocol.js';
import { formatIecBytes, parseByteSize, parseGoDuration } from './sizes.js';

// Go's json.Unmarshal leaves a field alone when it is null or absent, so both mean "not set".
const count = z.number().int().nullish();
const sizeText = z.string().nullish();

/** Field names and JSON types of PCSM's startRequest; unknown fields are ignored, as Go does. */
export const pcsmStartBodySchema = z.object({
  pauseOnInitialSync: z.boolean().nullish(),
  includeNamespaces: z.array(z.string()).nullish(),
  excludeNamespaces: z.array(z.string()).nullish(),
  cloneNumParallelCollections: count,
  cloneNumReadWorkers: count,
  cloneNumInsertWorkers: count,
  cloneSegmentSize: sizeText,
  cloneReadBatchSize: sizeText,
  replNumWorkers: count,
  replChangeStreamBatchSize: count,
  replEventQueueSize: count,
  replWorkerQueueSize: count,
  replBulkOpsSize: count,
  replWorkerFlushInterval: z.string().nullish(),
  replWorkerBulkQueueSize: count,
  useCollectionBulkWrite: z.boolean().nullish(),
  /** Ferry's own addition: PCSM always drops target collections; Ferry refuses unless told to. */
  allowExistingTargetNamespaces: z.boolean().nullish(),
});
export type PcsmStartBody = z.infer<typeof pcsmStartBodySchema>;

// PCSM's validation ranges (its config/const.go): a segment holds at least ten 47,999,488-byte write
// batches and at most 64 GiB; a read batch is at least one BSON document (16 MiB).
const MIN_SEGMENT_BYTES = 10 * (48_000_000 - 512);
const MAX_SEGMENT_BYTES = 64 * 2 ** 30;
const MIN_READ_BATCH_BYTES = 16 * 2 ** 20;
const MAX_READ_BATCH_BYTES = 2 ** 31 - 1;
/** Ferry's cap (engine/protocol.ts): a reply never carries more than a 48 MB message anyway. */
const FERRY_MAX_READ_BATCH_BYTES = 48_000_000;

/** Where each PCSM field lands in StartOptions, to name the PCSM field when Ferry's schema refuses a value. */
const ferryPaths: Record<string, string> = {
  'clone.parallelCollections': 'cloneNumParallelCollections',
  'clone.readWorkers': 'cloneNumReadWorkers',
  'clone.insertWorkers': 'cloneNumInsertWorkers',
  'clone.segmentSizeBytes': 'cloneSegmentSize',
  'clone.readBatchSizeBytes': 'cloneReadBatchSize',
  'repl.workers': 'replNumWorkers',
  'repl.changeStreamBatchSize': 'replChangeStreamBatchSize',
  'repl.eventQueueSize': 'replEventQueueSize',
  'repl.bulkOps': 'replBulkOpsSize',
  'repl.flushIntervalMs': 'replWorkerFlushInterval',
};

export type PcsmStartMapping = { ok: true; options: StartOptions; notes: string[] } | { ok: false; error: string };

/**
 * StartOptions for a PCSM start body. Zero means "automatic" for every PCSM tuning knob, so zero
 * keeps Ferry's default; `metadataDb` comes from the server's configuration.
 */
export function mapPcsmStart(body: PcsmStartBody, metadataDb: string): PcsmStartMapping {
  const notes: string[] = [];
  const clone: Record<string, number> = {};
  const repl: Record<string, number> = {};
  const setCount = (target: Record<string, number>, key: string, value: number | null | undefined): void => {
    if (value !== undefined && value !== null && value !== 0) target[key] = value;
  };
  setCount(clone, 'parallelCollections', body.cloneNumParallelCollections);
  setCount(clone, 'readWorkers', body.cloneNumReadWorkers);
  setCount(clone, 'insertWorkers', body.cloneNumInsertWorkers);
  setCount(repl, 'workers', body.replNumWorkers);
  setCount(repl, 'changeStreamBatchSize', body.replChangeStreamBatchSize);
  setCount(repl, 'eventQueueSize', body.replEventQueueSize);
  setCount(repl, 'bulkOps', body.replBulkOpsSize);

  if (body.cloneSegmentSize !== undefined && body.cloneSegmentSize !== null) {
    const bytes = sizeInRange(body.cloneSegmentSize, 'cloneSegmentSize', MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
    if (typeof bytes === 'string') return { ok: false, error: `invalid clone segment size: ${bytes}` };
    clone.segmentSizeBytes = bytes;
  }
  if (body.cloneReadBatchSize !== undefined && body.cloneReadBatchSize !== null) {
    const bytes = sizeInRange(
      body.cloneReadBatchSize,
      'cloneReadBatchSize',
      MIN_READ_BATCH_BYTES,
      MAX_READ_BATCH_BYTES,
    );
    if (typeof bytes === 'string') return { ok: false, error: `invalid clone read batch size: ${bytes}` };
    if (bytes > FERRY_MAX_READ_BATCH_BYTES) {
      notes.push(
        `cloneReadBatchSize ${formatIecBytes(bytes)} is capped at ${formatIecBytes(FERRY_MAX_READ_BATCH_BYTES)}: ` +
          'a server reply never carries more than one 48 MB message',
      );
    }
    if (bytes > 0) clone.readBatchSizeBytes = Math.min(bytes, FERRY_MAX_READ_BATCH_BYTES);
  }
  if (body.replWorkerFlushInterval !== undefined && body.replWorkerFlushInterval !== null) {
    let ms: number;
    try {
      ms = parseGoDuration(body.replWorkerFlushInterval);
    } catch (error) {
      return { ok: false, error: `invalid replWorkerFlushInterval value: ${(error as Error).message}` };
    }
    if (ms < 0)
      return { ok: false, error: `invalid replWorkerFlushInterval value: ${body.replWorkerFlushInterval} is negative` };
    if (ms > 0) repl.flushIntervalMs = Math.max(1, Math.round(ms));
  }
  for (const [field, reason] of [
    ['replWorkerQueueSize', 'Ferry sizes its applier queues from replEventQueueSize'],
    ['replWorkerBulkQueueSize', 'Ferry writes one bulk per applier at a time'],
    ['useCollectionBulkWrite', 'Ferry always writes collection-level bulks'],
  ] as const) {
    const value = body[field];
    if (value !== undefined && value !== null && value !== 0 && value !== false)
      notes.push(`${field} ignored: ${reason}`);
  }

  const parsed = startOptionsSchema.safeParse({
    includeNamespaces: body.includeNamespaces ?? [],
    excludeNamespaces: body.excludeNamespaces ?? [],
    pauseOnInitialSync: body.pauseOnInitialSync ?? false,
    allowExistingTargetNamespaces: body.allowExistingTargetNamespaces ?? false,
    metadataDb,
    clone,
    repl,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join('.');
    const field = ferryPaths[path] ?? path.replace(/\.\d+$/, '');
    return { ok: false, error: `invalid ${field}: ${issue.message}` };
  }
  return { ok: true, options: parsed.data, notes };
}

/** The size in bytes, or why it is refused (PCSM's words: 0 is automatic, otherwise min..max). */
function sizeInRange(text: string, field: string, min: number, max: number): number | string {
  let bytes: number;
  try {
    bytes = parseByteSize(text);
  } catch (error) {
    return (error as Error).message;
  }
  if (bytes === 0) return 0;
  if (bytes < min) return `${field} must be at least ${formatIecBytes(min)}, got ${formatIecBytes(bytes)}`;
  if (bytes > max) return `${field} must be at most ${formatIecBytes(max)}, got ${formatIecBytes(bytes)}`;
  return bytes;
}
