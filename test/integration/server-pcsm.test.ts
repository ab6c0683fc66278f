// A whole migration driven through the PCSM-compatible endpoints alone, the way PCSM's own end-to-end
// harness drives PCSM: start, write to the source, write a sync point with appendOplogNote, wait until
// /status says lastReplicatedOpTime has passed it, finalize, wait for finalized, compare both clusters.
// The engine is the real one, in its worker thread (engine/host), against real clusters or sandboxes.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Document, Timestamp } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineHost } from '../../engine/host/engine-host.js';
import type { FerryServer } from '../../engine/server/http-server.js';
import type { PcsmStatus } from '../../engine/server/pcsm-status.js';
import {
  connectBoth,
  expectIdentical,
  seed,
  startClusters,
  testNames,
  waitFor,
  type Clusters,
} from './migration-helpers.js';
import { call, startTestHost, startTestServer } from './server-helpers.js';

let clusters: Clusters;
let host: EngineHost;
let server: FerryServer;
const names = testNames('pcsm_api');

beforeAll(async () => {
  clusters = await startClusters();
  host = await startTestHost(names.metadataDb);
  // As `ferry serve --source --target` does: the connections are set before the API is used.
  await connectBoth(host, clusters);
  server = await startTestServer(host, { metrics: () => host.metrics(), metadataDb: names.metadataDb });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await host?.close();
  await clusters?.stop();
});

async function status(): Promise<PcsmStatus> {
  const reply = await call(server, 'GET', '/status');
  expect(reply.status).toBe(200);
  return reply.json as PcsmStatus;
}

async function post(path: string, body?: unknown): Promise<unknown> {
  const reply = await call(server, 'POST', path, body === undefined ? {} : { body });
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  return reply.json;
}

function waitForStatus(what: string, test: (status: PcsmStatus) => boolean): Promise<PcsmStatus> {
  return waitFor(what, async () => {
    const current = await status();
    if (current.state === 'failed') throw new Error(`failed: ${current.error}`);
    return test(current) ? current : undefined;
  });
}

/** A cluster time from PCSM's "T.I" form, as one number that orders like the time. */
function order(ts: string): bigint {
  const [t, i] = ts.split('.').map(BigInt);
  return (t << 32n) + i;
}

describe('a migration through the PCSM-compatible API', () => {
  it('answers logical errors with HTTP 200 and ok:false, in PCSM words', async () => {
    expect(await status()).toEqual({ ok: true, state: 'idle', lagTimeSeconds: 0, eventsRead: 0, eventsApplied: 0 });
    expect(await post('/pause')).toEqual({ ok: false, error: 'cannot pause: not running' });
    expect(await post('/resume', { fromFailure: false })).toEqual({
      ok: false,
      error: 'cannot resume: not paused or not resuming from failure',
    });
    expect(await post('/finalize')).toMatchObject({ ok: false, error: expect.stringMatching(/^cannot finalize/) });
    expect(await post('/start', { cloneSegmentSize: '100MB' })).toEqual({
      ok: false,
      error: 'invalid clone segment size: cloneSegmentSize must be at least 458 MiB, got 95 MiB',
    });
  });

  it('starts, replicates writes past a sync point, finalizes, and the clusters are identical', async () => {
    const items = clusters.source.db(names.db).collection('items');
    await seed(clusters.source, names.db, 'items', 2000);
    await items.createIndex({ n: 1 }, { unique: true });
    await seed(clusters.source, names.db, 'other', 100);

    expect(
      await post('/start', {
        includeNamespaces: [`${names.db}.*`],
        replWorkerFlushInterval: '50ms',
        replNumWorkers: 2,
        cloneNumReadWorkers: 2,
      }),
    ).toEqual({ ok: true });
    expect(await post('/start', {})).toEqual({ ok: false, error: 'already running' });

    const cloning = await status();
    expect(cloning.state).toBe('running');
    expect(cloning.initialSync).toMatchObject({ completed: expect.any(Boolean), cloneCompleted: expect.any(Boolean) });

    const synced = await waitForStatus('initial sync', (current) => current.initialSync?.completed === true);
    expect(synced.info).toBe('Replicating Changes');
    expect(synced.initialSync?.clonedSizeBytes).toBeGreaterThan(0);
    expect(synced.initialSync?.lagTimeSeconds).toBeUndefined();

    await items.insertMany([{ _id: 5000, n: 5000 } as Document, { _id: 5001, n: 5001 } as Document]);
    await items.updateOne({ _id: 7 } as Document, { $set: { s: 'changed' }, $inc: { n: 100_000 } });
    await items.deleteOne({ _id: 8 } as Document);
    await clusters.source
      .db(names.db)
      .collection('late')
      .insertOne({ _id: 'new collection' } as Document);

    // The sync point: a no-op oplog entry on the source; its operationTime is the time to pass.
    const note = await clusters.source
      .db('admin')
      .command({ appendOplogNote: 1, data: { msg: 'ferry test sync point' } });
    const syncPoint = note.operationTime as Timestamp;
    const reached = await waitForStatus('the sync point', (current) => {
      const ts = current.lastReplicatedOpTime?.ts;
      return ts !== undefined && order(ts) >= order(`${syncPoint.t}.${syncPoint.i}`);
    });
    expect(reached.lastReplicatedOpTime?.ts).toMatch(/^\d+\.\d+$/);
    expect(reached.lastReplicatedOpTime?.isoDate).toBe(
      new Date(Number(reached.lastReplicatedOpTime?.ts.split('.')[0]) * 1000).toISOString().replace('.000Z', 'Z'),
    );
    expect(reached.eventsApplied).toBeGreaterThan(0);
    expect(reached.eventsRead).toBeGreaterThan(0);

    expect(await post('/pause')).toEqual({ ok: true });
    const paused = await status();
    expect(paused.state).toBe('paused');
    expect(paused.info).toBeUndefined();
    expect(await post('/resume', {})).toEqual({ ok: true });

    expect(await post('/finalize')).toEqual({ ok: true });
    const finalized = await waitForStatus('finalized', (current) => current.state === 'finalized');
    expect(finalized).toMatchObject({ ok: true, info: 'Finalized', finalization: { completed: true } });
    expect(finalized.finalization?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(finalized.finalization?.completedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(finalized.finalization?.unsuccessfulIndexes).toBeUndefined();
    expect(await post('/pause')).toEqual({ ok: false, error: 'cannot pause: not running' });

    await expectIdentical(clusters, names);
  }, 180_000);
});

describe('lastReplicatedOpTime while the source is idle', () => {
  it('keeps advancing once caught up, with no writes on the source', async () => {
    const idleNames = testNames('pcsm_idle');
    await seed(clusters.source, idleNames.db, 'quiet', 10);
    const idleHost = await startTestHost(idleNames.metadataDb);
    const idleServer = await startTestServer(idleHost, { metadataDb: idleNames.metadataDb });
    try {
      await connectBoth(idleHost, clusters);
      expect(
        (await call(idleServer, 'POST', '/start', { body: { includeNamespaces: [`${idleNames.db}.*`] } })).json,
      ).toEqual({ ok: true });
      const read = async (): Promise<PcsmStatus> => (await call(idleServer, 'GET', '/status')).json as PcsmStatus;
      const first = await waitFor('initial sync', async () => {
        const current = await read();
        return current.initialSync?.completed && current.lastReplicatedOpTime ? current : undefined;
      });
      await sleep(2500);
      const later = await read();
      expect(later.state).toBe('running');
      expect(order(later.lastReplicatedOpTime?.ts ?? '0.0')).toBeGreaterThan(
        order(first.lastReplicatedOpTime?.ts ?? '0.0'),
      );
      expect(later.lagTimeSeconds).toBeLessThanOrEqual(2);
    } finally {
      await idleServer.close();
      await idleHost.close();
    }
  }, 120_000);
});
