// History lost: the source oplog rolls past the resume point while the migration is paused. The run
// must fail and say plainly what happened and what to do, and refuse to resume from the same point.
// Sandbox only: a tiny oplog is needed to overflow it in a test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectBoth,
  external,
  newEngine,
  ok,
  seed,
  startClusters,
  testNames,
  waitForFailure,
  waitForInitialSync,
  type Clusters,
} from './migration-helpers.js';

let clusters: Clusters | undefined;

beforeAll(async () => {
  if (!external) clusters = await startClusters({ oplogSizeMb: 0.05 });
});

afterAll(async () => {
  await clusters?.stop();
});

describe('history lost', () => {
  it.skipIf(external)(
    'fails the run with the cause and the remedy when the oplog rolls past the resume point',
    async () => {
      const pair = clusters as Clusters;
      const names = testNames('history');
      await seed(pair.source, names.db, 'items', 200);
      const engine = newEngine(names.metadataDb);
      try {
        await connectBoth(engine, pair);
        ok(await engine.start({ includeNamespaces: [`${names.db}.*`], metadataDb: names.metadataDb }));
        await waitForInitialSync(engine);
        ok(await engine.pause());
        // About ten times the oplog's 52 KB, written while nothing reads the stream.
        await seed(pair.source, names.db, 'items', 5000, 10_000);

        ok(await engine.resume());
        const status = await waitForFailure(engine);
        expect(status.error).toMatchObject({ code: 'HISTORY_LOST', transient: false });
        expect(status.error?.message).toMatch(/oplog history is lost/);
        expect(status.error?.remedy).toMatch(/Enlarge the source oplog/);
        expect(status.phase).toBe('failed');

        const refused = await engine.resume({ fromFailure: true });
        expect(refused).toMatchObject({
          ok: false,
          error: { remedy: expect.stringMatching(/reset and start the migration again/) },
        });
        expect(await engine.finalize()).toMatchObject({ ok: false });
      } finally {
        await engine.close();
      }
    },
    120_000,
  );
});
