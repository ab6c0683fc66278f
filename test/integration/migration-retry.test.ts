// Transient errors do not fail a migration: when a whole step gives up on an error that waiting can
// fix (after the clone's and replication's own retries), the run waits with backoff, shows the error
// meanwhile, and carries on from its last progress. The clone here is the real one, made to give up
// twice with the error a primary stepping down produces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloner } from '../../engine/core/clone/cloner.js';
import { FerryError } from '../../engine/core/errors.js';
import type { Cloner } from '../../engine/core/parts.js';
import {
  finalizeAndCompare,
  newEngine,
  ok,
  seed,
  startClusters,
  startMigration,
  testNames,
  waitForFailure,
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

const steppedDown = (): FerryError =>
  new FerryError({
    code: 'PRIMARY_CHANGED',
    message: 'the replica set is electing or changing its primary: not primary',
    transient: true,
  });

describe('a transient error', () => {
  it('is retried with backoff, shown meanwhile, and the migration completes', async () => {
    const names = testNames('transient');
    await seed(clusters.source, names.db, 'items', 2000);
    let clonersCreated = 0;
    const engine = newEngine(names.metadataDb, {
      parts: {
        createCloner(ctx, catalog, options): Cloner {
          const cloner = createCloner(ctx, catalog, options);
          clonersCreated++;
          if (clonersCreated > 2) return cloner;
          return Object.assign(Object.create(cloner) as Cloner, { run: () => Promise.reject(steppedDown()) });
        },
      },
    });
    try {
      await startMigration(engine, clusters, names);
      const retrying = await waitForStatus(engine, 'the error to show', (status) => status.error !== undefined);
      expect(retrying).toMatchObject({ state: 'running', error: { code: 'PRIMARY_CHANGED', transient: true } });
      const synced = await waitForInitialSync(engine);
      expect(synced.error).toBeUndefined();
      expect(clonersCreated).toBe(3);
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('that is not transient fails the run with its remedy, and resuming from the failure goes on', async () => {
    const names = testNames('fatal');
    await seed(clusters.source, names.db, 'items', 2000);
    let clonersCreated = 0;
    const engine = newEngine(names.metadataDb, {
      parts: {
        createCloner(ctx, catalog, options): Cloner {
          const cloner = createCloner(ctx, catalog, options);
          clonersCreated++;
          if (clonersCreated > 1) return cloner;
          const denied = new FerryError({
            code: 'UNAUTHORIZED',
            message: 'the user lacks a privilege',
            remedy: 'Grant it.',
          });
          return Object.assign(Object.create(cloner) as Cloner, { run: () => Promise.reject(denied) });
        },
      },
    });
    try {
      await startMigration(engine, clusters, names);
      const failed = await waitForFailure(engine);
      expect(failed).toMatchObject({ state: 'failed', error: { code: 'UNAUTHORIZED', remedy: 'Grant it.' } });
      expect(await engine.resume()).toMatchObject({ ok: false });
      ok(await engine.resume({ fromFailure: true }));
      await waitForInitialSync(engine);
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
