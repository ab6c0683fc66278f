// Crashes and restarts: the engine runs in a worker thread (EngineHost) that is killed mid-clone and
// mid-replication; the host starts a new worker, which recovers the run from its checkpoint with
// nothing lost and without copying finished segments again. A new engine on the same target also
// carries on a run that an earlier one left running or paused.
import type { Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../engine/core/checkpoint.js';
import { segmentFilter } from '../../engine/core/clone/segments.js';
import { EngineHost } from '../../engine/host/engine-host.js';
import {
  connectBoth,
  finalizeAndCompare,
  newEngine,
  ok,
  seed,
  startClusters,
  startMigration,
  startWriteLoad,
  testEngineOptions,
  testNames,
  waitFor,
  waitForInitialSync,
  waitForStatus,
  type Clusters,
} from './migration-helpers.js';

let clusters: Clusters;

beforeAll(async () => {
  clusters = await startClusters();
});

afterAll(async () => {
  await clusters?.stop();
});

function startHost(metadataDb: string): Promise<EngineHost> {
  return EngineHost.start({
    metadataDb,
    logLevel: testEngineOptions.log.level,
    checkpointIntervalMs: testEngineOptions.checkpointIntervalMs,
    statusIntervalMs: testEngineOptions.statusIntervalMs,
    heartbeat: testEngineOptions.heartbeat,
    restartDelayMs: 100,
  });
}

/** A counter of the current worker's metrics (the new worker's count starts at 0). */
async function metric(host: EngineHost, name: string): Promise<number> {
  const line = (await host.metrics()).split('\n').find((row) => row.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('a crashed engine worker', () => {
  it('is restarted mid-clone and copies only the segments that were not finished', async () => {
    const names = testNames('crash_clone');
    const documents = 60_000;
    await seed(clusters.source, names.db, 'items', documents);
    const store = new CheckpointStore(clusters.target, names.metadataDb);
    const host = await startHost(names.metadataDb);
    try {
      await connectBoth(host, clusters);
      ok(
        await host.start({
          includeNamespaces: [`${names.db}.*`],
          metadataDb: names.metadataDb,
          clone: { segmentSizeBytes: 64 * 1024, readWorkers: 1, insertWorkers: 1 },
        }),
      );
      await waitFor('five segments recorded as done', async () => {
        const checkpoint = await store.read();
        return (checkpoint?.clone.segments.filter((entry) => entry.done).length ?? 0) >= 5;
      });
      await host.killWorker();
      // The last checkpoint the killed worker wrote: what the new worker starts from.
      const checkpoint = await store.read();
      const done = checkpoint?.clone.segments.filter((entry) => entry.done) ?? [];
      expect(checkpoint?.cloneCompleted).toBe(false);
      let documentsInDoneSegments = 0;
      for (const { segment } of done) {
        documentsInDoneSegments += await clusters.source
          .db(names.db)
          .collection('items')
          .countDocuments(segmentFilter(segment));
      }
      expect(documentsInDoneSegments).toBeGreaterThan(0);

      await waitFor('the restarted worker', async () => host.generation === 2);
      await host.whenReady();
      await waitForInitialSync(host);
      const readAfterRestart = await metric(host, 'ferry_clone_read_documents_total');
      expect(readAfterRestart).toBeGreaterThan(0);
      expect(readAfterRestart).toBeLessThanOrEqual(documents - documentsInDoneSegments);
      await finalizeAndCompare(host, clusters, names);
    } finally {
      await host.close();
    }
  }, 300_000);

  it('is restarted mid-replication under write load and loses nothing', async () => {
    const names = testNames('crash_repl');
    await seed(clusters.source, names.db, 'items', 5000);
    const host = await startHost(names.metadataDb);
    const load = startWriteLoad(clusters.source, names.db, 'items', 5000, 1_000_000);
    try {
      await startMigration(host, clusters, names);
      await waitForInitialSync(host);
      await waitForStatus(host, 'events applied', (status) => status.eventsApplied > 100);
      await host.killWorker();
      await waitFor('the restarted worker', async () => host.generation === 2);
      await host.whenReady();
      const recovered = await host.status();
      expect(recovered.state).toBe('running');
      await waitForStatus(
        host,
        'replication after the restart',
        (status) => status.eventsApplied > recovered.eventsApplied,
      );
      await load.stop();
      // The restarted run replays from its last checkpoint, which may predate the initial sync the first
      // worker reached: finalize is accepted once the replay has passed the clone's finish time again.
      await waitForInitialSync(host);
      await finalizeAndCompare(host, clusters, names);
    } finally {
      await load.stop();
      await host.close();
    }
  }, 300_000);
});

describe('a new engine on the same target', () => {
  it('carries on a run the previous engine left running at shutdown', async () => {
    const names = testNames('handover_running');
    await seed(clusters.source, names.db, 'items', 3000);
    const first = newEngine(names.metadataDb);
    await startMigration(first, clusters, names);
    await waitForInitialSync(first);
    const runId = (await first.status()).runId;
    await first.close();

    await clusters.source
      .db(names.db)
      .collection('items')
      .insertMany([{ _id: -1 }, { _id: -2 }] as Document[]);
    const second = newEngine(names.metadataDb);
    try {
      await connectBoth(second, clusters);
      expect(await second.status()).toMatchObject({ state: 'running', runId });
      await finalizeAndCompare(second, clusters, names);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('keeps a paused run paused until it is resumed', async () => {
    const names = testNames('handover_paused');
    await seed(clusters.source, names.db, 'items', 3000);
    const first = newEngine(names.metadataDb);
    await startMigration(first, clusters, names);
    await waitForInitialSync(first);
    ok(await first.pause());
    await first.close();

    await clusters.source
      .db(names.db)
      .collection('items')
      .deleteMany({ _id: { $lt: 50 } } as Document);
    const second = newEngine(names.metadataDb);
    try {
      await connectBoth(second, clusters);
      expect((await second.status()).state).toBe('paused');
      ok(await second.resume());
      await finalizeAndCompare(second, clusters, names);
    } finally {
      await second.close();
    }
  }, 120_000);
});
