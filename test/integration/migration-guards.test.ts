// What keeps a migration from being corrupted by mistake: a second engine on the same target is
// refused while the first one's heartbeat is fresh; a checkpoint is only continued with the clusters
// it was made with (not another source, not the two swapped); start refuses while preflight fails;
// reset discards the checkpoint and heartbeat and leaves the target's data alone.
import { BSON, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../engine/core/checkpoint.js';
import { HEARTBEAT_COLLECTION } from '../../engine/core/heartbeat.js';
import { startSandbox } from '../../engine/sandbox/index.js';
import { opMsg, RawConnection } from '../support/raw-wire.js';
import {
  connectBoth,
  external,
  newEngine,
  ok,
  seed,
  startClusters,
  startMigration,
  testNames,
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

describe('a second engine on the same target', () => {
  it('is refused while the first one is alive, with who holds the target', async () => {
    const names = testNames('heartbeat');
    await seed(clusters.source, names.db, 'items', 1000);
    const first = newEngine(names.metadataDb);
    const second = newEngine(names.metadataDb);
    try {
      await startMigration(first, clusters, names);
      await waitForInitialSync(first);

      ok(await second.setConnection('source', { uri: clusters.sourceUri }));
      const refused = await second.setConnection('target', { uri: clusters.targetUri });
      expect(refused).toMatchObject({ ok: false, error: { code: 'HEARTBEAT_HELD' } });
      if (!refused.ok) {
        expect(refused.error.message).toMatch(/another Ferry instance is migrating into this target: .*pid \d+/);
        expect(refused.error.remedy).toMatch(/Stop the other instance/);
      }
      expect(await second.start({ includeNamespaces: [`${names.db}.*`], metadataDb: names.metadataDb })).toMatchObject({
        ok: false,
        error: { code: 'HEARTBEAT_HELD' },
      });
      expect((await first.status()).state).toBe('running');
    } finally {
      await second.close();
      await first.close();
    }
  }, 120_000);
});

describe('a checkpoint', () => {
  it('is not continued with a different source', async () => {
    if (external) return; // needs a third cluster
    const names = testNames('other_source');
    await seed(clusters.source, names.db, 'items', 500);
    const first = newEngine(names.metadataDb);
    await startMigration(first, clusters, names);
    await waitForInitialSync(first);
    ok(await first.pause());
    await first.close();

    const otherSource = await startSandbox({ port: 0 });
    const second = newEngine(names.metadataDb);
    try {
      ok(await second.setConnection('source', { uri: otherSource.uri }));
      const refused = await second.setConnection('target', { uri: clusters.targetUri });
      expect(refused).toMatchObject({ ok: false, error: { code: 'CHECKPOINT_OTHER_CLUSTER' } });
      if (!refused.ok) expect(refused.error.remedy).toMatch(/Connect the source the run started with/);
      expect((await second.start({ metadataDb: names.metadataDb })).ok).toBe(false);
      expect(await second.status()).toMatchObject({ state: 'idle', error: { code: 'CHECKPOINT_OTHER_CLUSTER' } });

      // The original source takes the run back, still paused.
      ok(await second.setConnection('source', { uri: clusters.sourceUri }));
      expect((await second.status()).state).toBe('paused');
    } finally {
      await second.close();
      await otherSource.stop();
    }
  }, 120_000);

  it('is not continued with source and target swapped', async () => {
    const names = testNames('swapped');
    await seed(clusters.source, names.db, 'items', 500);
    const first = newEngine(names.metadataDb);
    await startMigration(first, clusters, names);
    await waitForInitialSync(first);
    ok(await first.pause());
    await first.close();

    const second = newEngine(names.metadataDb);
    try {
      ok(await second.setConnection('source', { uri: clusters.targetUri }));
      const refused = await second.setConnection('target', { uri: clusters.sourceUri });
      expect(refused).toMatchObject({ ok: false, error: { code: 'CLUSTERS_SWAPPED' } });
    } finally {
      await second.close();
    }
  }, 120_000);
});

describe('start', () => {
  it('is refused while preflight fails, saying which check and what to do', async () => {
    const names = testNames('preflight');
    await seed(clusters.source, names.db, 'items', 10);
    await clusters.target
      .db(names.db)
      .collection('items')
      .insertOne({ _id: 'already here' } as Document);
    const engine = newEngine(names.metadataDb);
    try {
      await connectBoth(engine, clusters);
      const report = ok(await engine.preflight({ includeNamespaces: [`${names.db}.*`], metadataDb: names.metadataDb }));
      expect(report.canStart).toBe(false);
      expect(report.checks.find((check) => check.id === 'target-namespaces')).toMatchObject({
        status: 'fail',
        message: `already on the target: ${names.db}.items`,
      });
      const refused = await engine.start({ includeNamespaces: [`${names.db}.*`], metadataDb: names.metadataDb });
      expect(refused).toMatchObject({ ok: false, error: { code: 'PREFLIGHT_FAILED' } });
      if (!refused.ok) expect(refused.error.remedy).toMatch(/allow Ferry to drop and recreate/);
      expect((await engine.status()).state).toBe('idle');
    } finally {
      await engine.close();
    }
  }, 60_000);
});

describe('preflight', () => {
  it('fails on documents holding values the driver cannot write back unchanged', async () => {
    if (external) return; // writes a deprecated BSON type through a raw connection to the sandbox
    const names = testNames('lossy');
    await seed(clusters.source, names.db, 'items', 10);
    // {_id: 'lossy', u: undefined}: serialized with null (0x0A), then retyped as Undefined (0x06).
    const document = Buffer.from(BSON.serialize({ _id: 'lossy', u: null }));
    document[document.indexOf(Buffer.from('\x0Au\0', 'latin1'))] = 0x06;
    const { hostname, port } = new URL(clusters.sourceUri);
    const connection = await RawConnection.connect(Number(port), hostname);
    try {
      const reply = await connection.request(opMsg({ insert: 'items', $db: names.db }, { documents: [document] }));
      expect(reply.document.n).toBe(1);
    } finally {
      connection.close();
    }
    const engine = newEngine(names.metadataDb);
    try {
      await connectBoth(engine, clusters);
      const report = ok(await engine.preflight({ includeNamespaces: [`${names.db}.*`], metadataDb: names.metadataDb }));
      expect(report.canStart).toBe(false);
      expect(report.checks.find((check) => check.id === 'document-types')).toMatchObject({
        status: 'fail',
        message: expect.stringContaining(`${names.db}.items (undefined)`),
        remedy: expect.stringMatching(/Rewrite such values on the source/),
      });
    } finally {
      await engine.close();
    }
  }, 60_000);
});

describe('reset', () => {
  it('removes the checkpoint and the heartbeat and leaves the target data as it is', async () => {
    const names = testNames('reset');
    await seed(clusters.source, names.db, 'items', 800);
    const engine = newEngine(names.metadataDb);
    try {
      await startMigration(engine, clusters, names);
      await waitForInitialSync(engine);
      expect(await engine.reset()).toMatchObject({ ok: false, error: { message: 'cannot reset: running' } });
      ok(await engine.pause());
      ok(await engine.reset());
      expect(await engine.status()).toMatchObject({ state: 'idle', eventsApplied: 0 });
      expect(await new CheckpointStore(clusters.target, names.metadataDb).read()).toBeUndefined();
      expect(await clusters.target.db(names.metadataDb).collection(HEARTBEAT_COLLECTION).countDocuments()).toBe(0);
      expect(await clusters.target.db(names.db).collection('items').countDocuments()).toBe(800);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
