// What the migration tests share: a source and a target (real replica sets from FERRY_TEST_SOURCE_URI
// / FERRY_TEST_TARGET_URI when both are set, else two sandboxes in this process), an engine tuned
// for tests (fast checkpoints and heartbeats, quiet log), polling with a deadline instead of timed
// assertions, a write load, and the finalize-and-compare every migration ends with. Each test uses
// its own database and metadata database, so tests can share real clusters.
import { MongoClient, type Document, type Timestamp } from 'mongodb';
import { expect } from 'vitest';
import type { FerryApi, Result, StatusSnapshot } from '../../engine/protocol.js';
import { Engine, type EngineOptions } from '../../engine/core/engine.js';
import type { LogLevel } from '../../engine/core/log.js';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../engine/sandbox/index.js';
import { expectClustersIdentical } from '../support/compare-clusters.js';
import { uniqueDbName } from '../support/server-under-test.js';

export interface Clusters {
  sourceUri: string;
  targetUri: string;
  source: MongoClient;
  target: MongoClient;
  /** True against real replica sets: sandbox-only scenarios skip themselves. */
  external: boolean;
  /** The source sandbox, when there is one. */
  sourceSandbox?: RunningSandbox;
  stop(): Promise<void>;
}

export const external = Boolean(process.env.FERRY_TEST_SOURCE_URI && process.env.FERRY_TEST_TARGET_URI);

export async function startClusters(sourceOptions: Partial<SandboxOptions> = {}): Promise<Clusters> {
  const sandboxes: RunningSandbox[] = [];
  let sourceUri = process.env.FERRY_TEST_SOURCE_URI ?? '';
  let targetUri = process.env.FERRY_TEST_TARGET_URI ?? '';
  if (!external) {
    sandboxes.push(await startSandbox({ port: 0, ...sourceOptions }), await startSandbox({ port: 0 }));
    [sourceUri, targetUri] = sandboxes.map((sandbox) => sandbox.uri);
  }
  const source = new MongoClient(sourceUri);
  const target = new MongoClient(targetUri);
  const clusters: Clusters = {
    sourceUri,
    targetUri,
    source,
    target,
    external,
    async stop() {
      await Promise.all([source.close(), target.close()]);
      await Promise.all(sandboxes.map((sandbox) => sandbox.stop()));
    },
  };
  if (sandboxes[0]) clusters.sourceSandbox = sandboxes[0];
  return clusters;
}

/** A database for the test's data and one for Ferry's metadata, unique to this test. */
export function testNames(prefix: string): { db: string; metadataDb: string } {
  return { db: uniqueDbName(prefix), metadataDb: uniqueDbName('meta') };
}

/**
 * Fast timings so tests wait seconds, not minutes; the log stays quiet unless FERRY_LOG_LEVEL asks
 * for it (read here: the engine takes its level from its options only).
 */
export const testEngineOptions = {
  log: { level: testLogLevel() },
  checkpointIntervalMs: 250,
  statusIntervalMs: 100,
  heartbeat: { intervalMs: 250, staleMs: 2000 },
};

function testLogLevel(): LogLevel | 'silent' {
  const level = process.env.FERRY_LOG_LEVEL;
  return level === 'debug' || level === 'info' || level === 'warn' || level === 'error' ? level : 'silent';
}

export function newEngine(metadataDb: string, options: EngineOptions = {}): Engine {
  return new Engine({ ...testEngineOptions, metadataDb, ...options });
}

export async function connectBoth(api: FerryApi, clusters: Clusters): Promise<void> {
  ok(await api.setConnection('source', { uri: clusters.sourceUri }));
  ok(await api.setConnection('target', { uri: clusters.targetUri }));
}

/** Connects both clusters and starts a migration of the test's database (and nothing else). */
export async function startMigration(
  api: FerryApi,
  clusters: Clusters,
  names: { db: string; metadataDb: string },
): Promise<void> {
  await connectBoth(api, clusters);
  ok(await api.start({ includeNamespaces: [`${names.db}.*`], metadataDb: names.metadataDb }));
}

/** The value of a successful result; a refusal fails the test with the engine's own words. */
export function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`refused: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/**
 * Polls until `probe` returns something other than undefined or false, or fails after the deadline.
 * A probe that throws ends the wait at once (a failed engine will not recover by waiting).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits for a status that satisfies `test`; a failed engine ends the wait at once with its error. */
export function waitForStatus(
  api: FerryApi,
  what: string,
  test: (status: StatusSnapshot) => boolean,
  timeoutMs?: number,
): Promise<StatusSnapshot> {
  return waitFor(
    what,
    async () => {
      const status = await api.status();
      if (test(status)) return status;
      if (status.state === 'failed') throw new Error(`engine failed: ${status.error?.code}: ${status.error?.message}`);
      return undefined;
    },
    timeoutMs,
  );
}

/** Waits for the run to fail (waitForStatus would stop at the failure as an error). */
export function waitForFailure(api: FerryApi): Promise<StatusSnapshot> {
  return waitFor('the run to fail', async () => {
    const status = await api.status();
    return status.state === 'failed' && status;
  });
}

export function waitForInitialSync(api: FerryApi): Promise<StatusSnapshot> {
  return waitForStatus(api, 'initial sync', (status) => status.state === 'running' && status.initialSync.completed);
}

/** Waits until replication has applied everything written to the source so far. */
export async function waitForCaughtUp(api: FerryApi, clusters: Clusters): Promise<StatusSnapshot> {
  const reply = await clusters.source.db('admin').command({ ping: 1 });
  const now = reply.operationTime as Timestamp;
  return waitForStatus(
    api,
    `replication to reach ${now.t}.${now.i}`,
    ({ lastReplicatedOpTime: last }) => last !== undefined && (last.t > now.t || (last.t === now.t && last.i >= now.i)),
  );
}

/** Finalizes, waits for `finalized`, and compares the test's database on both clusters byte for byte. */
export async function finalizeAndCompare(
  api: FerryApi,
  clusters: Clusters,
  names: { db: string; metadataDb: string },
  options: { blockSourceWrites?: boolean; selected?: (namespace: string) => boolean } = {},
): Promise<StatusSnapshot> {
  ok(await api.finalize({ blockSourceWrites: options.blockSourceWrites ?? false }));
  const status = await waitForStatus(api, 'finalized', (snapshot) => snapshot.state === 'finalized');
  expect(status.finalization?.unsuccessfulIndexes).toEqual([]);
  await expectIdentical(clusters, names, options.selected);
  return status;
}

/**
 * Compares the test's database on both clusters byte for byte (or the namespaces `selected` accepts,
 * for tests whose filter leaves some out).
 */
export function expectIdentical(
  clusters: Clusters,
  names: { db: string; metadataDb: string },
  selected: (namespace: string) => boolean = (namespace) => namespace.startsWith(`${names.db}.`),
): Promise<void> {
  return expectClustersIdentical(clusters.sourceUri, clusters.targetUri, {
    metadataDb: names.metadataDb,
    namespaces: selected,
  });
}

/** Inserts `count` small documents with integer _ids from `first`, in batches. */
export async function seed(client: MongoClient, db: string, coll: string, count: number, first = 0): Promise<void> {
  const batch = 10_000;
  for (let start = first; start < first + count; start += batch) {
    const end = Math.min(first + count, start + batch);
    const documents: Document[] = [];
    for (let i = start; i < end; i++) documents.push({ _id: i, n: i, s: `document ${i}`, tags: ['a', i % 7] });
    await client.db(db).collection(coll).insertMany(documents, { ordered: false });
  }
}

export interface WriteLoad {
  /** How many writes it has made so far. */
  writes(): number;
  /** Stops the load and resolves with how many writes it made. */
  stop(): Promise<number>;
}

/**
 * Writes to `db.coll` until stopped: inserts above `firstNewId`, and updates, replaces and deletes of
 * ids below `existing`. One write at a time, so the writes interleave with the migration's work.
 */
export function startWriteLoad(
  client: MongoClient,
  db: string,
  coll: string,
  existing: number,
  firstNewId: number,
): WriteLoad {
  let stopping = false;
  let writes = 0;
  const collection = client.db(db).collection(coll);
  const loop = (async () => {
    let next = firstNewId;
    while (!stopping) {
      const id = Math.floor(Math.random() * existing);
      switch (writes % 6) {
        case 0:
          await collection.insertOne({ _id: next, n: next, s: `inserted ${next}` } as Document);
          next++;
          break;
        case 1:
          await collection.updateOne({ _id: id } as Document, { $set: { s: `updated ${writes}` }, $inc: { n: 1 } });
          break;
        case 2:
          await collection.updateOne(
            { _id: id } as Document,
            { $push: { tags: writes }, $unset: { gone: '' } } as Document,
          );
          break;
        case 3:
          await collection.replaceOne({ _id: id } as Document, {
            replaced: writes,
            nested: { b: 1, a: [1, { c: 2 }] },
          });
          break;
        case 4:
          await collection.deleteOne({ _id: id } as Document);
          break;
        case 5:
          await collection.updateOne({ _id: id } as Document, { $set: { 'nested.b': writes } });
          break;
      }
      writes++;
    }
  })();
  return {
    writes: () => writes,
    async stop() {
      stopping = true;
      await loop;
      return writes;
    },
  };
}
