// Finalize: unique, TTL and hidden indexes are relaxed on the target while syncing and restored at
// finalize, whether they existed before the start or were created while replicating; with
// blockSourceWrites the source refuses user writes until finalize is done, and accepts them after.
import type { Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectIdentical,
  finalizeAndCompare,
  newEngine,
  ok,
  seed,
  startClusters,
  startMigration,
  testNames,
  waitForCaughtUp,
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

const RELAXED_TTL = 2147483647;

async function createSpecialIndexes(db: string): Promise<void> {
  const items = clusters.source.db(db).collection('items');
  await items.createIndex({ n: 1 }, { unique: true, name: 'n_unique' });
  await items.createIndex({ at: 1 }, { expireAfterSeconds: 3600, name: 'at_ttl' });
  await items.createIndex({ s: 1 }, { hidden: true, name: 's_hidden' });
  await items.createIndex(
    { tags: 1, n: -1 },
    { unique: true, partialFilterExpression: { n: { $gt: 10 } }, name: 'partial_unique' },
  );
}

async function targetIndexes(db: string): Promise<Map<string, Document>> {
  const specs = await clusters.target.db(db).collection('items').indexes();
  return new Map(specs.map((spec) => [String(spec.name), spec]));
}

function expectRelaxed(indexes: Map<string, Document>): void {
  expect(indexes.get('n_unique')?.unique).toBeUndefined();
  expect(indexes.get('partial_unique')?.unique).toBeUndefined();
  expect(indexes.get('at_ttl')?.expireAfterSeconds).toBe(RELAXED_TTL);
  expect(indexes.get('s_hidden')?.hidden).toBeUndefined();
}

describe('finalize', () => {
  it('restores unique, TTL and hidden indexes that existed before the start', async () => {
    const names = testNames('finalize_clone');
    await seed(clusters.source, names.db, 'items', 1000);
    await createSpecialIndexes(names.db);
    const engine = newEngine(names.metadataDb);
    try {
      await startMigration(engine, clusters, names);
      await waitForInitialSync(engine);
      expectRelaxed(await targetIndexes(names.db));
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('restores unique, TTL and hidden indexes created and changed while replicating', async () => {
    const names = testNames('finalize_stream');
    await seed(clusters.source, names.db, 'items', 1000);
    const engine = newEngine(names.metadataDb);
    try {
      await startMigration(engine, clusters, names);
      await waitForInitialSync(engine);
      await createSpecialIndexes(names.db);
      await clusters.source
        .db(names.db)
        .command({ collMod: 'items', index: { name: 'at_ttl', expireAfterSeconds: 60 } });
      await waitForCaughtUp(engine, clusters);
      expectRelaxed(await targetIndexes(names.db));
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('catches up to the source first, even from paused', async () => {
    const names = testNames('finalize_catchup');
    await seed(clusters.source, names.db, 'items', 1000);
    const engine = newEngine(names.metadataDb);
    try {
      await startMigration(engine, clusters, names);
      await waitForInitialSync(engine);
      ok(await engine.pause());
      // Written while nothing replicates: only finalize's catch-up can bring these over.
      await seed(clusters.source, names.db, 'items', 3000, 10_000);
      await clusters.source
        .db(names.db)
        .collection('items')
        .deleteMany({ _id: { $lt: 100 } } as Document);
      const finalized = await finalizeAndCompare(engine, clusters, names);
      expect(finalized.finalization?.countMismatches).toEqual([]);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('blocks source writes while it catches up and releases them after', async () => {
    const names = testNames('finalize_block');
    await seed(clusters.source, names.db, 'items', 1000);
    const engine = newEngine(names.metadataDb);
    const items = clusters.source.db(names.db).collection('items');
    try {
      await startMigration(engine, clusters, names);
      await waitForInitialSync(engine);
      ok(await engine.pause());
      await seed(clusters.source, names.db, 'items', 5000, 10_000);

      ok(await engine.finalize({ blockSourceWrites: true }));
      // The block is in place when finalize answers, and stays until the state is finalized.
      const blocked = await items.insertOne({ _id: -1 } as Document).then(
        () => undefined,
        (error: { code?: number }) => error,
      );
      expect(blocked?.code).toBe(371); // UserWritesBlocked
      const finalized = await waitForStatus(engine, 'finalized', (status) => status.state === 'finalized');
      expect(finalized.finalization).toMatchObject({ completed: true, countMismatches: [], unsuccessfulIndexes: [] });
      await expectIdentical(clusters, names);
      await items.insertOne({ _id: -2, after: 'finalize' } as Document);
      expect(await items.countDocuments({ _id: -2 } as Document)).toBe(1);
    } finally {
      await engine.close();
      await clusters.source.db('admin').command({ setUserWriteBlockMode: 1, global: false });
    }
  }, 120_000);
});
