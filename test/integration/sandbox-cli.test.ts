// `ferry sandbox`, run as a user runs it: a child process whose stdout carries one connection string
// per server and whose exit code tells whether the input was usable.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface CliRun {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

const running: CliRun[] = [];

function ferry(...args: string[]): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: CliRun = {
    child,
    stdout: [],
    stderr: [],
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  collectLines(child.stdout, run.stdout);
  collectLines(child.stderr, run.stderr);
  running.push(run);
  return run;
}

function collectLines(stream: NodeJS.ReadableStream | null, lines: string[]): void {
  let pending = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    lines.push(...complete);
  });
}

/** Resolves with the first `count` stdout lines; rejects if the process exits first. */
async function connectionStrings(run: CliRun, count: number, timeoutMs = 25_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (run.stdout.length < count) {
    if (run.child.exitCode !== null)
      throw new Error(`ferry exited with ${run.child.exitCode}: ${run.stderr.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`no connection string in time: ${run.stderr.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return run.stdout.slice(0, count);
}

async function withClient<T>(uri: string, use: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    await run.exited;
  }
});

describe('ferry sandbox', () => {
  it('prints one connection string per --port, each server its own replica set', async () => {
    const run = ferry('sandbox', '--port', '0', '--port', '0');
    const uris = await connectionStrings(run, 2);
    expect(uris[0]).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=rs0$/);
    expect(uris[1]).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=rs1$/);
    expect(uris[0]).not.toBe(uris[1]);
    const setNames = await Promise.all(
      uris.map((uri) => withClient(uri, async (client) => (await client.db('admin').command({ hello: 1 })).setName)),
    );
    expect(setNames).toEqual(['rs0', 'rs1']);
    await withClient(uris[0], (client) => client.db('cli').collection<{ _id: number }>('items').insertOne({ _id: 1 }));
    const inSecond = await withClient(uris[1], (client) => client.db('cli').collection('items').find().toArray());
    expect(inSecond).toEqual([]);
  });

  it('names the replica set after --replset', async () => {
    const run = ferry('sandbox', '--port', '0', '--replset', 'demoSet');
    const [uri] = await connectionStrings(run, 1);
    expect(uri).toMatch(/\?replicaSet=demoSet$/);
    const hello = await withClient(uri, (client) => client.db('admin').command({ hello: 1 }));
    expect(hello.setName).toBe('demoSet');
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('stops cleanly with exit code 0 on %s', async (signal) => {
    const run = ferry('sandbox', '--port', '0');
    const [uri] = await connectionStrings(run, 1);
    run.child.kill(signal);
    expect(await run.exited).toBe(0);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500 });
    await expect(client.db('admin').command({ ping: 1 })).rejects.toThrow();
    await client.close();
  });

  it('keeps data across a restart with --dbpath', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-cli-dbpath-'));
    try {
      const first = ferry('sandbox', '--port', '0', '--dbpath', dir);
      const [firstUri] = await connectionStrings(first, 1);
      await withClient(firstUri, (client) =>
        client
          .db('kept')
          .collection('notes')
          .insertMany([{ text: 'one' }, { text: 'two' }]),
      );
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);

      const second = ferry('sandbox', '--port', '0', '--dbpath', dir);
      const [secondUri] = await connectionStrings(second, 1);
      const texts = await withClient(secondUri, (client) =>
        client
          .db('kept')
          .collection('notes')
          .find({}, { projection: { _id: 0 } })
          .toArray(),
      );
      expect(texts).toEqual([{ text: 'one' }, { text: 'two' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads the demo data set into the first server only with --seed demo', { timeout: 90_000 }, async () => {
    const run = ferry('sandbox', '--port', '0', '--port', '0', '--seed', 'demo');
    const [seeded, empty] = await connectionStrings(run, 2, 80_000);
    await withClient(seeded, async (client) => {
      const counts: Record<string, number> = {};
      for (const db of ['shop', 'analytics', 'hr'])
        for (const info of await client.db(db).listCollections({ type: 'collection' }).toArray())
          if (!info.name.startsWith('system.'))
            counts[`${db}.${info.name}`] = await client.db(db).collection(info.name).countDocuments();
      expect(counts).toEqual({
        'shop.customers': 5000,
        'shop.products': 800,
        'shop.orders': 15_000,
        'shop.reviews': 6000,
        'analytics.events': 10_000,
        'analytics.sessions': 3000,
        'hr.employees': 1200,
      });
      const views = await client.db('hr').listCollections({ type: 'view' }).toArray();
      expect(views.map((view) => view.name)).toEqual(['directory']);
      const events = await client.db('analytics').listCollections({ name: 'events' }, { nameOnly: false }).next();
      expect(events?.options).toMatchObject({ capped: true, max: 10_000 });
      const orderIndexes = await client.db('shop').collection('orders').listIndexes().toArray();
      expect(orderIndexes.find((index) => index.name === 'items_product')).toMatchObject({ hidden: true });
      // The data is generated from fixed seeds: the first order is the same on every run and machine.
      const firstOrder = await client.db('shop').collection('orders').find().limit(1).next();
      expect(String(firstOrder?._id)).toBe('647215c55e0e69a5c998daa0');
      expect(String(firstOrder?.total)).toBe('1356.75');
    });
    const databases = await withClient(empty, (client) => client.db('admin').admin().listDatabases());
    expect(databases.databases.map((db) => db.name)).not.toContain('shop');
  });

  it('requires the --auth user, whose credentials the connection string carries', async () => {
    const run = ferry('sandbox', '--port', '0', '--auth', 'admin:s3cret:with-colon');
    const [uri] = await connectionStrings(run, 1);
    expect(uri).toMatch(/^mongodb:\/\/admin:s3cret%3Awith-colon@127\.0\.0\.1:\d+\//);
    const names = await withClient(uri, (client) => client.db('admin').admin().listDatabases());
    expect(names.ok).toBe(1);
    const anonymous = uri.replace(/\/\/[^@]*@/, '//');
    await expect(withClient(anonymous, (client) => client.db('admin').admin().listDatabases())).rejects.toMatchObject({
      codeName: 'Unauthorized',
    });
  });

  it.skipIf(spawnSync('openssl', ['version']).status !== 0)('serves TLS with --tls-cert and --tls-key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-cli-tls-'));
    try {
      const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
      const run = ferry('sandbox', '--port', '0', '--tls-cert', cert, '--tls-key', key);
      const [uri] = await connectionStrings(run, 1);
      expect(uri).toMatch(/[?&]tls=true/);
      const client = new MongoClient(uri, { tlsCAFile: cert, serverSelectionTimeoutMS: 5000 });
      try {
        expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
      } finally {
        await client.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shows every option in --help and exits 0', async () => {
    const run = ferry('sandbox', '--help');
    expect(await run.exited).toBe(0);
    const help = run.stdout.join('\n');
    for (const option of [
      '--port',
      '--host',
      '--replset',
      '--auth',
      '--tls-cert',
      '--tls-key',
      '--oplog-size-mb',
      '--dbpath',
      '--seed',
    ])
      expect(help).toContain(option);
  });
});

describe('ferry sandbox with bad input', () => {
  let busy: net.Server;
  let busyPort: number;
  let files: string;

  beforeAll(async () => {
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as net.AddressInfo).port;
    files = await mkdtemp(join(tmpdir(), 'ferry-cli-bad-'));
    await writeFile(join(files, 'cert.pem'), 'not a certificate');
    await writeFile(join(files, 'key.pem'), 'not a key');
    await mkdir(join(files, 'foreign-db'));
    await writeFile(join(files, 'foreign-db', 'manifest.bson'), 'written by something else');
  });

  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
    await rm(files, { recursive: true, force: true });
  });

  const cases: [string, () => string[], RegExp][] = [
    ['a port out of range', () => ['--port', '70000'], /--port 70000 .*0 to 65535/],
    ['a port that is not a number', () => ['--port', 'http'], /--port http /],
    ['--auth without a colon', () => ['--auth', 'admin'], /--auth must be user:password/],
    ['--tls-cert without --tls-key', () => ['--tls-cert', 'cert.pem'], /--tls-cert .*--tls-key/],
    [
      'an unreadable certificate file',
      () => ['--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem'],
      /cannot read --tls-cert \/nonexistent\/cert\.pem/,
    ],
    [
      'files that are not a PEM certificate and key',
      () => ['--port', '0', '--tls-cert', join(files, 'cert.pem'), '--tls-key', join(files, 'key.pem')],
      /--tls-cert\/--tls-key/,
    ],
    ['a port already in use', () => ['--port', String(busyPort)], /already in use.*--port/],
    [
      'a --dbpath holding something else',
      () => ['--port', '0', '--dbpath', join(files, 'foreign-db')],
      /cannot load --dbpath .*foreign-db.*manifest\.bson/,
    ],
    ['the same port twice', () => ['--port', '27999', '--port', '27999'], /--port 27999 is given twice/],
    ['an oplog size that is not a number', () => ['--oplog-size-mb', 'big'], /--oplog-size-mb big/],
    ['an unknown data set', () => ['--seed', 'huge'], /--seed huge .*demo/],
    ['an unknown option', () => ['--bogus'], /unknown option '--bogus'/],
  ];

  it.each(cases)('rejects %s with one line on stderr and exit code 2', async (_name, args, message) => {
    const run = ferry('sandbox', ...args());
    expect(await run.exited).toBe(2);
    expect(run.stdout).toEqual([]);
    const errors = run.stderr.filter((line) => line.trim() !== '');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });
});
