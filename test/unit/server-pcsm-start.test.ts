import { describe, expect, it } from 'vitest';
import { mapPcsmStart, pcsmStartBodySchema, type PcsmStartBody } from '../../engine/server/pcsm-start.js';

const map = (body: PcsmStartBody) => mapPcsmStart(body, 'ferry_internal');

describe("PCSM's /start body mapped onto Ferry's start options", () => {
  it('takes the namespace lists and pauseOnInitialSync as they are, with Ferry defaults elsewhere', () => {
    const mapped = map({
      includeNamespaces: ['shop.*', 'hr.employees'],
      excludeNamespaces: ['shop.tmp'],
      pauseOnInitialSync: true,
    });
    expect(mapped).toMatchObject({
      ok: true,
      options: {
        includeNamespaces: ['shop.*', 'hr.employees'],
        excludeNamespaces: ['shop.tmp'],
        pauseOnInitialSync: true,
        metadataDb: 'ferry_internal',
        allowExistingTargetNamespaces: false,
        clone: { parallelCollections: 2 },
      },
      notes: [],
    });
  });

  it('maps every tuning knob, sizes and durations included', () => {
    const mapped = map({
      cloneNumParallelCollections: 3,
      cloneNumReadWorkers: 5,
      cloneNumInsertWorkers: 6,
      cloneSegmentSize: '1GiB',
      cloneReadBatchSize: '16MiB',
      replNumWorkers: 7,
      replChangeStreamBatchSize: 2000,
      replEventQueueSize: 9000,
      replBulkOpsSize: 500,
      replWorkerFlushInterval: '250ms',
    });
    if (!mapped.ok) throw new Error(mapped.error);
    expect(mapped.options.clone).toEqual({
      parallelCollections: 3,
      readWorkers: 5,
      insertWorkers: 6,
      segmentSizeBytes: 2 ** 30,
      readBatchSizeBytes: 16 * 2 ** 20,
    });
    expect(mapped.options.repl).toEqual({
      workers: 7,
      changeStreamBatchSize: 2000,
      eventQueueSize: 9000,
      bulkOps: 500,
      flushIntervalMs: 250,
    });
  });

  it('reads zero as "automatic" (Ferry keeps its default), as PCSM does', () => {
    const mapped = map({ replNumWorkers: 0, cloneSegmentSize: '0', replWorkerFlushInterval: '0s' });
    if (!mapped.ok) throw new Error(mapped.error);
    expect(mapped.options.repl.workers).toBe(4);
    expect(mapped.options.repl.flushIntervalMs).toBe(200);
    expect(mapped.options.clone.segmentSizeBytes).toBe(0);
  });

  it("refuses sizes outside PCSM's ranges with PCSM's wording", () => {
    expect(map({ cloneSegmentSize: '100MiB' })).toEqual({
      ok: false,
      error: 'invalid clone segment size: cloneSegmentSize must be at least 458 MiB, got 100 MiB',
    });
    expect(map({ cloneSegmentSize: '65GiB' })).toEqual({
      ok: false,
      error: 'invalid clone segment size: cloneSegmentSize must be at most 64 GiB, got 65 GiB',
    });
    expect(map({ cloneReadBatchSize: '1MiB' })).toEqual({
      ok: false,
      error: 'invalid clone read batch size: cloneReadBatchSize must be at least 16 MiB, got 1.0 MiB',
    });
    expect(map({ cloneSegmentSize: 'huge' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^invalid clone segment size: "huge" is not a size/),
    });
    expect(map({ replWorkerFlushInterval: 'soon' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^invalid replWorkerFlushInterval value:/),
    });
  });

  it("caps a read batch above Ferry's 48 MB and says so", () => {
    const mapped = map({ cloneReadBatchSize: '1GiB' });
    if (!mapped.ok) throw new Error(mapped.error);
    expect(mapped.options.clone.readBatchSizeBytes).toBe(48_000_000);
    expect(mapped.notes).toEqual([expect.stringMatching(/cloneReadBatchSize 1.0 GiB is capped at 46 MiB/)]);
  });

  it('names the PCSM field when a value is out of Ferry’s range', () => {
    expect(map({ replNumWorkers: 500 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^invalid replNumWorkers: /),
    });
    expect(map({ cloneNumReadWorkers: -1 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^invalid cloneNumReadWorkers: /),
    });
    expect(map({ includeNamespaces: ['nodot'] })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^invalid includeNamespaces: .*db\.collection/),
    });
  });

  it('accepts the PCSM knobs Ferry has no use for, and notes that they are ignored', () => {
    const mapped = map({ replWorkerQueueSize: 10, replWorkerBulkQueueSize: 3, useCollectionBulkWrite: true });
    expect(mapped).toMatchObject({
      ok: true,
      notes: [
        expect.stringMatching(/^replWorkerQueueSize ignored/),
        expect.stringMatching(/^replWorkerBulkQueueSize ignored/),
        expect.stringMatching(/^useCollectionBulkWrite ignored/),
      ],
    });
  });

  it('types the body as Go would: nulls and unknown fields pass, wrong JSON types do not', () => {
    expect(pcsmStartBodySchema.safeParse({ includeNamespaces: null, somethingElse: 1 }).success).toBe(true);
    expect(pcsmStartBodySchema.safeParse({ includeNamespaces: 'shop.*' }).success).toBe(false);
    expect(pcsmStartBodySchema.safeParse({ replNumWorkers: '4' }).success).toBe(false);
    expect(pcsmStartBodySchema.safeParse({ replNumWorkers: 1.5 }).success).toBe(false);
  });
});
