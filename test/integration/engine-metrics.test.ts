// The engine's Prometheus metrics that PCSM's dashboard reads from a migration: the clone's read and
// insert batch durations and the events each applier applied, fed by the cloner and the appliers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectBoth,
  finalizeAndCompare,
  newEngine,
  ok,
  seed,
  startClusters,
  testNames,
  waitForCaughtUp,
  waitForInitialSync,
  type Clusters,
} from './migration-helpers.js';

let clusters: Clusters;

beforeAll(async () => {
  clusters = await startClusters();
});

afterAll(async () => {
  await clusters?.stop();
});

/** Every sample of `name` in an exposition, by its label text ('' when it has none). */
function samples(exposition: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) found.set(match[2] ?? '', Number(match[3]));
  }
  return found;
}

describe("the engine's metrics", () => {
  it('report the clone batch durations and the events each applier applied', async () => {
    const names = testNames('metrics');
    await seed(clusters.source, names.db, 'items', 3000);
    const engine = newEngine(names.metadataDb);
    try {
      await connectBoth(engine, clusters);
      ok(
        await engine.start({
          includeNamespaces: [`${names.db}.*`],
          metadataDb: names.metadataDb,
          clone: { readBatchSizeBytes: 16 * 1024 },
          repl: { workers: 2 },
        }),
      );
      await waitForInitialSync(engine);
      const before = await engine.metricsText();
      expect(samples(before, 'ferry_clone_read_batch_duration_seconds').get('')).toBeGreaterThan(0);
      expect(samples(before, 'ferry_clone_insert_batch_duration_seconds').get('')).toBeGreaterThan(0);

      const written = 200;
      const items = clusters.source.db(names.db).collection<{ _id: number }>('items');
      for (let i = 0; i < written; i++) await items.updateOne({ _id: i }, { $set: { touched: true } });
      await waitForCaughtUp(engine, clusters);

      const after = await engine.metricsText();
      const perWorker = samples(after, 'ferry_repl_worker_events_applied_total');
      // Updates of 200 documents are routed by document: both appliers get some.
      expect([...perWorker.keys()].sort()).toEqual(['{worker="0"}', '{worker="1"}']);
      const byAppliers = [...perWorker.values()].reduce((sum, count) => sum + count, 0);
      expect(byAppliers).toBeGreaterThanOrEqual(written);
      expect(byAppliers).toBeLessThanOrEqual(samples(after, 'ferry_events_applied_total').get('') ?? 0);

      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
