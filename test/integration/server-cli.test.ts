// The command line: the client commands (spawned as `npx tsx engine/cli/main.ts ...`) against a server
// started in this test, and `ferry serve` itself (spawned as one Node process, so its own exit code and
// signals are what the test sees): refusals with exit code 2, the token shown once, SIGTERM stopping
// cleanly, a restart carrying the migration on from its checkpoint, --reset-state and --demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineHost } from '../../engine/host/engine-host.js';
import type { DatabaseInfo, StatusSnapshot } from '../../engine/protocol.js';
import type { FerryServer } from '../../engine/server/http-server.js';
import { loadOrCreateToken } from '../../engine/server/token-store.js';
import { connectBoth, seed, startClusters, testNames, waitFor, type Clusters } from './migration-helpers.js';
import { startTestHost, startTestServer } from './server-helpers.js';

const repository = new URL('../../', import.meta.url).pathname;
let clusters: Clusters;
let scratch: string;

beforeAll(async () => {
  clusters = await startClusters();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-cli-'));
}, 60_000);

afterAll(async () => {
  await clusters?.stop();
  await rm(scratch, { recursive: true, force: true });
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npx tsx engine/cli/main.ts ...args` to completion. */
function ferry(args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'engine/cli/main.ts', ...args], {
      cwd: repository,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the CLI client', () => {
  const names = testNames('cli_client');
  let host: EngineHost;
  let server: FerryServer;
  let configDir: string;
  let port: string;
  let token: string;
  const env = () => ({ FERRY_CONFIG_DIR: configDir, FERRY_PORT: port });

  beforeAll(async () => {
    configDir = join(scratch, 'client-config');
    token = (await loadOrCreateToken(configDir)).token;
    await seed(clusters.source, names.db, 'rows', 200);
    host = await startTestHost(names.metadataDb);
    await connectBoth(host, clusters);
    server = await startTestServer(host, { token, metadataDb: names.metadataDb });
    port = String(server.port);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await host?.close();
  });

  const engineStatus = async (): Promise<StatusSnapshot> =>
    (await (
      await fetch(new URL('/api/v1/status', server.url), { headers: { authorization: `Bearer ${token}` } })
    ).json()) as StatusSnapshot;

  it('prints the status as indented JSON, and refusals with exit code 1', async () => {
    const [status, pause, badSize, badCount] = await Promise.all([
      ferry(['status'], env()),
      ferry(['pause'], env()),
      ferry(['start', '--clone-segment-size', '100MiB'], env()),
      ferry(['start', '--clone-num-read-workers', 'many'], env()),
    ]);
    expect(status.code).toBe(0);
    expect(status.stdout).toBe(
      `${JSON.stringify({ ok: true, state: 'idle', lagTimeSeconds: 0, eventsRead: 0, eventsApplied: 0 }, null, 2)}\n`,
    );
    expect(pause.code).toBe(1);
    expect(JSON.parse(pause.stdout)).toEqual({ ok: false, error: 'cannot pause: not running' });
    expect(badSize.code).toBe(1);
    expect(JSON.parse(badSize.stdout)).toEqual({
      ok: false,
      error: 'invalid clone segment size: cloneSegmentSize must be at least 458 MiB, got 100 MiB',
    });
    expect(badCount.code).toBe(2);
    expect(badCount.stderr).toContain('error: --clone-num-read-workers many is not a whole number');
  }, 60_000);

  it('starts with PCSM flags, pauses, resumes, finalizes and resets', async () => {
    const start = await ferry(
      [
        'start',
        '--include-namespaces',
        `${names.db}.*`,
        '--repl-worker-flush-interval',
        '100ms',
        '--repl-num-workers',
        '2',
        '--pretty',
      ],
      env(),
    );
    expect(start.stdout).toBe('result        ok\n');
    expect(start.code).toBe(0);
    await waitFor('replication', async () => (await engineStatus()).phase === 'replicating');

    const pretty = await ferry(['status', '--pretty'], env());
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/^state {9}running \(Replicating Changes\)$/m);
    expect(pretty.stdout).toMatch(/^initial sync {2}completed$/m);

    expect((await ferry(['pause'], env())).code).toBe(0);
    expect((await engineStatus()).state).toBe('paused');
    expect((await ferry(['resume'], env())).code).toBe(0);
    const again = await ferry(['resume', '--from-failure'], env());
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({
      ok: false,
      error: 'cannot resume: not paused or not resuming from failure',
    });

    expect((await ferry(['finalize'], env())).code).toBe(0);
    await waitFor('finalized', async () => (await engineStatus()).state === 'finalized');
    const reset = await ferry(['reset'], env());
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ ok: true });
    expect((await engineStatus()).state).toBe('idle');
  }, 180_000);

  it('finds the token in FERRY_TOKEN or the token file, and says so when it is refused or the server is away', async () => {
    const empty = join(scratch, 'no-config');
    const closedPort = await freePort();
    const [none, wrong, fromEnv, away] = await Promise.all([
      ferry(['status'], { FERRY_CONFIG_DIR: empty, FERRY_PORT: port }),
      ferry(['status'], { FERRY_CONFIG_DIR: empty, FERRY_PORT: port, FERRY_TOKEN: 'wrong' }),
      ferry(['status', '--port', port], { FERRY_CONFIG_DIR: empty, FERRY_TOKEN: token }),
      ferry(['status', '--port', closedPort], env()),
    ]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('refused the token: set FERRY_TOKEN');
    expect(wrong.code).toBe(1);
    expect(fromEnv.code).toBe(0);
    expect(away.code).toBe(1);
    expect(away.stderr).toContain(`cannot reach Ferry at http://127.0.0.1:${closedPort}/ (ECONNREFUSED)`);
  }, 60_000);
});

/** A port nothing listens on (one the system just handed out and took back). */
async function freePort(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return String(port);
}

interface Served {
  child: ChildProcess;
  url: string;
  /** Standard output and standard error, as they arrived. */
  output: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts `ferry serve` as one Node process and resolves once it announces its address. */
function serve(args: string[], env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', 'serve', ...args], {
    cwd: repository,
    env: { ...process.env, ...env },
  });
  let output = '';
  let stdout = '';
  // 'close' rather than 'exit': by then both pipes are drained, so the output is complete.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ferry serve did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /Ferry is listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output: () => output, stdout: () => stdout, exited });
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onData(chunk);
    });
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ferry serve exited with ${code}:\n${output}`));
    });
  });
}

describe('ferry serve', () => {
  it('refuses --no-auth on an address other machines can reach, with exit code 2', async () => {
    const [open, badPort] = await Promise.all([
      ferry(['serve', '--no-auth', '--host', '0.0.0.0'], {}),
      ferry(['serve'], { FERRY_PORT: 'http' }),
    ]);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/^error: --no-auth is allowed only on a loopback address .*--host 0\.0\.0\.0/m);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('error: FERRY_PORT=http is not a port');
  }, 60_000);

  it('shows the token once, stops on SIGTERM, and a restart carries the migration on', async () => {
    const names = testNames('cli_serve');
    const configDir = join(scratch, 'serve-config');
    const env = { FERRY_CONFIG_DIR: configDir };
    const args = [
      '--source',
      clusters.sourceUri,
      '--target',
      clusters.targetUri,
      '--port',
      '0',
      '--metadata-db',
      names.metadataDb,
      '--log-level',
      'warn',
    ];
    await seed(clusters.source, names.db, 'rows', 100);

    const first = await serve(args, env);
    const shown = /Token \(shown once; stored in (\S+)\): (\S+)/.exec(first.output());
    expect(shown?.[1]).toBe(join(configDir, 'server-token'));
    expect((await stat(join(configDir, 'server-token'))).mode & 0o777).toBe(0o600);
    const token = shown?.[2] ?? '';
    const request = async (server: Served, method: string, path: string, body?: unknown): Promise<unknown> => {
      const response = await fetch(new URL(path, server.url), {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return response.json();
    };
    const phase = async (server: Served) => ((await request(server, 'GET', '/api/v1/status')) as StatusSnapshot).phase;

    expect(await request(first, 'POST', '/start', { includeNamespaces: [`${names.db}.*`] })).toEqual({ ok: true });
    await waitFor('replication', async () => (await phase(first)) === 'replicating');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    await clusters.source
      .db(names.db)
      .collection('rows')
      .insertOne({ _id: 'written while stopped' } as Document);
    const second = await serve(args, env);
    expect(second.output()).toContain(`Token: stored in ${join(configDir, 'server-token')}`);
    expect(second.output()).not.toContain(token);
    await waitFor(
      'the write made while stopped',
      async () =>
        (await clusters.target
          .db(names.db)
          .collection('rows')
          .findOne({ _id: 'written while stopped' } as Document)) !== null,
    );
    expect(await phase(second)).toBe('replicating');
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);

    const third = await serve([...args, '--reset-state'], env);
    expect(((await request(third, 'GET', '/status')) as { state: string }).state).toBe('idle');
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 240_000);

  describe("prints the engine's lines itself, in the server's format and at the server's level", () => {
    const resetLine = 'migration reset: checkpoint and heartbeat removed; the target data is unchanged';
    /** `ferry serve --target ... --reset-state` until it listens, then SIGTERM; the engine logs the reset at info. */
    const serveReset = async (args: string[], env: Record<string, string>): Promise<Served> => {
      const names = testNames('cli_log');
      const served = await serve(
        [
          '--target',
          clusters.targetUri,
          '--reset-state',
          '--no-auth',
          '--port',
          '0',
          '--metadata-db',
          names.metadataDb,
          ...args,
        ],
        { FERRY_CONFIG_DIR: join(scratch, 'log-config'), ...env },
      );
      // An answer first: ferry serve announces its address a moment before it handles signals.
      expect((await fetch(new URL('/status', served.url))).status).toBe(200);
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
      return served;
    };

    it('readable lines with no JSON mixed in; --log-level beats FERRY_LOG_LEVEL', async () => {
      const served = await serveReset(['--log-level', 'info'], { FERRY_LOG_LEVEL: 'error' });
      const lines = served.stdout().split('\n');
      expect(lines.find((line) => line.endsWith(resetLine))).toMatch(
        /^\d\d:\d\d:\d\d\.\d{3} INFO {2}ferry {2}migration reset: /,
      );
      expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    }, 60_000);

    it("JSON lines with --log-json, the engine's named ferry", async () => {
      const served = await serveReset(['--log-json'], { FERRY_LOG_LEVEL: 'info' });
      const records = served
        .stdout()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(records).toContainEqual(expect.objectContaining({ level: 30, name: 'ferry', msg: resetLine }));
      expect(records).toContainEqual(expect.objectContaining({ name: 'server', msg: 'listening' }));
    }, 60_000);

    it('FERRY_LOG_LEVEL applies to the engine when no flag is given', async () => {
      const served = await serveReset([], { FERRY_LOG_LEVEL: 'warn' });
      expect(served.output()).toContain('Ferry is listening on');
      expect(served.output()).not.toContain(resetLine);
      expect(served.output()).not.toContain(' INFO ');
    }, 60_000);
  });

  it('--demo starts two sandboxes with the demo data', async () => {
    const demo = await serve(['--demo', '--no-auth', '--port', '0', '--log-level', 'warn'], {
      FERRY_CONFIG_DIR: join(scratch, 'demo'),
    });
    expect(demo.output()).toContain('Authentication is off (--no-auth)');
    const listed = (await (await fetch(new URL('/api/v1/namespaces', demo.url))).json()) as { value: DatabaseInfo[] };
    expect(listed.value.map((database) => database.name).sort()).toEqual(
      expect.arrayContaining(['analytics', 'hr', 'shop']),
    );
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
  }, 120_000);
});
