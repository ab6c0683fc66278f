// Ferry's own API (/api/v1) against the real engine in its worker thread: connections, namespaces,
// preflight, the commands with their HTTP statuses, the recent log, /metrics, the event stream, and
// that no password ever leaves the server. The source requires authentication, so its connection
// string carries a password to look for.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineHost } from '../../engine/host/engine-host.js';
import type {
  ConnectionReport,
  DatabaseInfo,
  LogRecord,
  PreflightReport,
  StatusSnapshot,
} from '../../engine/protocol.js';
import type { FerryServer } from '../../engine/server/http-server.js';
import { seed, startClusters, testNames, waitFor, type Clusters } from './migration-helpers.js';
import { call, openEvents, startTestHost, startTestServer, type SseReader } from './server-helpers.js';

const PASSWORD = 'pa55-w0rd-never-shown';
let clusters: Clusters;
let host: EngineHost;
let server: FerryServer;
let events: SseReader;
const names = testNames('server_api');

beforeAll(async () => {
  clusters = await startClusters({ auth: { user: 'admin', password: PASSWORD } });
  host = await startTestHost(names.metadataDb);
  server = await startTestServer(host, {
    metrics: () => host.metrics(),
    metadataDb: names.metadataDb,
    keepAliveMs: 1000,
  });
  await seed(clusters.source, names.db, 'people', 300);
}, 60_000);

afterAll(async () => {
  events?.close();
  await server?.close();
  await host?.close();
  await clusters?.stop();
});

const api = (method: string, path: string, body?: unknown) =>
  call(server, method, path, body === undefined ? {} : { body });

async function snapshot(): Promise<StatusSnapshot> {
  return (await api('GET', '/api/v1/status')).json as StatusSnapshot;
}

describe('Ferry API with the engine', () => {
  it('refuses commands that need connections with 409 NOT_CONNECTED', async () => {
    expect(await snapshot()).toMatchObject({ state: 'idle', phase: 'idle' });
    const test = await api('POST', '/api/v1/connections/source/test');
    expect(test.status).toBe(409);
    expect(test.json).toMatchObject({ ok: false, error: { code: 'NOT_CONNECTED', remedy: expect.any(String) } });
  });

  it('sets and tests connections, showing the connection string without its password', async () => {
    expect(clusters.sourceUri).toContain(PASSWORD);
    for (const [side, uri] of [
      ['source', clusters.sourceUri],
      ['target', clusters.targetUri],
    ]) {
      const set = await api('PUT', `/api/v1/connections/${side}`, { uri });
      expect(set.status, side).toBe(200);
      expect(set.json).toEqual({ ok: true });
    }
    const test = await api('POST', '/api/v1/connections/source/test');
    expect(test.status).toBe(200);
    const report = (test.json as { value: ConnectionReport }).value;
    expect(report).toMatchObject({ side: 'source', topology: 'replicaSet', sandbox: !clusters.external });
    expect(report.redactedUri).toContain('admin:****@');
    expect(test.text).not.toContain(PASSWORD);
  });

  it('lists namespaces and runs the preflight', async () => {
    const listed = await api('GET', '/api/v1/namespaces');
    expect(listed.status).toBe(200);
    const databases = (listed.json as { value: DatabaseInfo[] }).value;
    expect(
      databases.find((database) => database.name === names.db)?.collections.map((collection) => collection.name),
    ).toEqual(['people']);
    const preflight = await api('POST', '/api/v1/preflight', { includeNamespaces: [`${names.db}.*`] });
    expect(preflight.status).toBe(200);
    expect((preflight.json as { value: PreflightReport }).value.canStart).toBe(true);
  });

  it('answers refused state transitions with 409 and the engine’s words', async () => {
    const pause = await api('POST', '/api/v1/pause');
    expect(pause.status).toBe(409);
    expect(pause.json).toMatchObject({
      ok: false,
      error: { code: 'INVALID_STATE', message: 'cannot pause: not running' },
    });
    expect((await api('POST', '/api/v1/finalize', {})).status).toBe(409);
  });

  it('streams status about twice a second, state changes and log records', async () => {
    events = await openEvents(server);
    expect(events.status).toBe(200);
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(events.headers['cache-control']).toBe('no-cache, no-transform');
    await waitFor('the first status event', async () => events.events.some((event) => event.event === 'status'), 5000);

    const start = await api('POST', '/api/v1/start', { includeNamespaces: [`${names.db}.*`] });
    expect(start.status).toBe(200);
    expect(start.json).toEqual({ ok: true });
    const again = await api('POST', '/api/v1/start', {});
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: { code: 'INVALID_STATE', message: 'already running' } });

    await waitFor('replication', async () => (await snapshot()).phase === 'replicating');
    const from = Date.now();
    await sleep(3000);
    const recent = events.events.filter((event) => event.event === 'status' && event.at >= from);
    expect(recent.length).toBeGreaterThanOrEqual(4);
    expect(recent.length).toBeLessThanOrEqual(8);
    expect(recent.at(-1)?.data).toMatchObject({ state: 'running', phase: 'replicating' });
    expect(events.events.find((event) => event.event === 'state')?.data).toMatchObject({ from: 'idle', to: 'running' });
    expect(
      events.events.some((event) => event.event === 'log' && (event.data as LogRecord).message === 'request'),
    ).toBe(true);
  }, 120_000);

  it('pauses, refuses a reset while running, and resumes', async () => {
    expect((await api('POST', '/api/v1/reset')).status).toBe(409);
    expect((await api('POST', '/api/v1/pause')).json).toEqual({ ok: true });
    await waitFor('the paused state event', async () =>
      events.events.some((event) => event.event === 'state' && (event.data as { to: string }).to === 'paused'),
    );
    expect((await api('POST', '/api/v1/resume', { fromFailure: false })).json).toEqual({ ok: true });
    expect((await snapshot()).state).toBe('running');
  });

  it('keeps the recent log, filtered by level and limit', async () => {
    const reply = await api('GET', '/api/v1/logs?level=info&limit=3');
    expect(reply.status).toBe(200);
    const records = (reply.json as { ok: boolean; value: LogRecord[] }).value;
    expect(records.length).toBe(3);
    expect(records.every((record) => record.level !== 'debug')).toBe(true);
    expect(((await api('GET', '/api/v1/logs?level=error')).json as { value: LogRecord[] }).value).toEqual([]);
  });

  it("serves /metrics: the engine's registry, Node's process metrics and PCSM's names", async () => {
    const reply = await api('GET', '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(reply.text).toMatch(/^ferry_events_applied_total \d+$/m);
    expect(reply.text).toMatch(/^ferry_process_resident_memory_bytes \d+/m);
    expect(reply.text).toMatch(/^percona_clustersync_mongodb_events_applied_total \d+$/m);
    expect(reply.text).toMatch(/^percona_clustersync_mongodb_lag_time_seconds \d+$/m);
  });

  it('finalizes with options and never returns a password anywhere', async () => {
    const finalize = await api('POST', '/api/v1/finalize', { verify: true });
    expect(finalize.json).toEqual({ ok: true });
    await waitFor('finalized', async () => (await snapshot()).state === 'finalized');
    for (const path of ['/api/v1/status', '/status', '/api/v1/logs', '/metrics']) {
      expect((await api('GET', path)).text, path).not.toContain(PASSWORD);
    }
    expect(JSON.stringify(events.events)).not.toContain(PASSWORD);
    expect((await api('POST', '/api/v1/reset')).json).toEqual({ ok: true });
    expect(await snapshot()).toMatchObject({ state: 'idle' });
  }, 120_000);

  it('ends event streams with a bye event when the server closes', async () => {
    const second = await openEvents(server);
    await waitFor('the second stream', async () => server.eventStreams() === 2, 5000);
    await server.close();
    await Promise.all([events.ended, second.ended]);
    expect(second.events.at(-1)).toMatchObject({ event: 'bye' });
    expect(server.eventStreams()).toBe(0);
  });
});
