import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, ObjectId, Timestamp, type Db, type Document } from 'mongodb';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';

const external = process.env.FERRY_TEST_SOURCE_URI !== undefined;
const dbName = uniqueDbName('admin');
const appName = `ferry-admin-${process.pid}`;

let server: ServerUnderTest;
let client: MongoClient;
let admin: Db;
let db: Db;

interface Item {
  _id: number;
  at?: string;
}

beforeAll(async () => {
  server = await serverUnderTest({ stepDownMs: 1500 });
  client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000 }).connect();
  admin = client.db('admin');
  db = client.db(dbName);
});

afterAll(async () => {
  await db?.dropDatabase();
  await client?.close();
  await server?.stop();
});

async function serverFailure(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof MongoServerError)) throw new Error(`expected a server error, got ${String(error)}`);
  return error;
}

describe('serverStatus', () => {
  it('describes the mongod process, its connections and its opcounters', async () => {
    const status = await admin.command({ serverStatus: 1 });
    expect(status.process).toBe('mongod');
    expect(status.version).toMatch(/^8\.0\./);
    expect(typeof status.host).toBe('string');
    expect(status.pid).toBeGreaterThan(0);
    expect(status.uptimeMillis).toBeGreaterThanOrEqual(0);
    expect(status.localTime).toBeInstanceOf(Date);
    expect(status.connections.current).toBeGreaterThanOrEqual(1);
    expect(status.connections.totalCreated).toBeGreaterThanOrEqual(status.connections.current);
    expect(status.repl.setName).toBe((await admin.command({ hello: 1 })).setName);
    expect(status.repl.isWritablePrimary).toBe(true);
    expect(typeof status.storageEngine.name).toBe('string');
  });

  it('counts inserted documents in opcounters.insert', async () => {
    const before = (await admin.command({ serverStatus: 1 })).opcounters.insert;
    await db.collection<Item>('counted').insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const after = (await admin.command({ serverStatus: 1 })).opcounters.insert;
    expect(after - before).toBeGreaterThanOrEqual(3);
  });

  it('leaves out a section asked for with 0', async () => {
    const status = await admin.command({ serverStatus: 1, repl: 0, opcounters: 0 });
    expect(status.repl).toBeUndefined();
    expect(status.opcounters).toBeUndefined();
    expect(status.connections).toBeDefined();
  });
});

describe('host and configuration', () => {
  it('reports the host in hostInfo', async () => {
    const info = await admin.command({ hostInfo: 1 });
    expect(info.system.numCores).toBeGreaterThan(0);
    expect(Number(info.system.memSizeMB)).toBeGreaterThan(0);
    expect(typeof info.system.cpuArch).toBe('string');
    expect(typeof info.os.type).toBe('string');
  });

  it('reports the replica set in getCmdLineOpts', async () => {
    const options = await admin.command({ getCmdLineOpts: 1 });
    expect(Array.isArray(options.argv)).toBe(true);
    expect(options.parsed.replication.replSet).toBe((await admin.command({ hello: 1 })).setName);
  });

  it('returns the featureCompatibilityVersion from getParameter', async () => {
    const reply = await admin.command({ getParameter: 1, featureCompatibilityVersion: 1 });
    expect(reply.featureCompatibilityVersion).toEqual({ version: '8.0' });
  });

  it('returns every parameter for getParameter "*"', async () => {
    const reply = await admin.command({ getParameter: '*' });
    expect(reply.featureCompatibilityVersion).toEqual({ version: '8.0' });
    expect(reply.transactionLifetimeLimitSeconds).toBeGreaterThan(0);
  });

  it('answers InvalidOptions for a parameter it does not have', async () => {
    const error = await serverFailure(admin.command({ getParameter: 1, noSuchParameterAnywhere: 1 }));
    expect(error.code).toBe(72);
    expect(error.errmsg).toBe('no option found to get');
  });

  it('changes a runtime parameter with setParameter and returns the previous value', async () => {
    const { transactionLifetimeLimitSeconds: original } = await admin.command({
      getParameter: 1,
      transactionLifetimeLimitSeconds: 1,
    });
    try {
      const reply = await admin.command({ setParameter: 1, transactionLifetimeLimitSeconds: original + 30 });
      expect(reply.was).toBe(original);
      const changed = await admin.command({ getParameter: 1, transactionLifetimeLimitSeconds: 1 });
      expect(changed.transactionLifetimeLimitSeconds).toBe(original + 30);
    } finally {
      await admin.command({ setParameter: 1, transactionLifetimeLimitSeconds: original });
    }
  });

  it('refuses to set a parameter it does not know', async () => {
    const error = await serverFailure(admin.command({ setParameter: 1, noSuchParameterAnywhere: 1 }));
    expect(error.errmsg).toContain('noSuchParameterAnywhere');
  });
});

describe('replica set status and the oplog', () => {
  it('reports one healthy primary that is this member in replSetGetStatus', async () => {
    const status = await admin.command({ replSetGetStatus: 1 });
    const hello = await admin.command({ hello: 1 });
    expect(status.set).toBe(hello.setName);
    expect(status.myState).toBe(1);
    expect(status.optimes.appliedOpTime.ts).toBeInstanceOf(Timestamp);
    const self = status.members.find((member: Document) => member.self === true);
    expect(self).toMatchObject({ name: hello.me, health: 1, state: 1, stateStr: 'PRIMARY' });
  });

  it('identifies the replica set with settings.replicaSetId in replSetGetConfig', async () => {
    const { config } = await admin.command({ replSetGetConfig: 1 });
    const hello = await admin.command({ hello: 1 });
    expect(config._id).toBe(hello.setName);
    expect(config.members.map((member: { host: string }) => member.host)).toContain(hello.me);
    expect(config.settings.replicaSetId).toBeInstanceOf(ObjectId);
  });

  it('exposes writes in local.oplog.rs in the oplog entry format', async () => {
    const items = db.collection<Item>('oplog');
    await items.insertOne({ _id: 7 });
    const oplog = client.db('local').collection('oplog.rs');
    const entry = await oplog.findOne({ ns: `${dbName}.oplog`, op: 'i' });
    expect(entry).toMatchObject({ op: 'i', ns: `${dbName}.oplog`, o: { _id: 7 } });
    expect(entry?.ts).toBeInstanceOf(Timestamp);
    expect(entry?.wall).toBeInstanceOf(Date);
    expect(entry?.ui).toBeDefined();
  });

  it('reads the oplog newest first with a $natural sort and after a given ts', async () => {
    const items = db.collection<Item>('natural');
    await items.insertOne({ _id: 1 });
    const oplog = client.db('local').collection('oplog.rs');
    const [first] = await oplog.find({ ns: `${dbName}.natural` }).toArray();
    await items.insertOne({ _id: 2 });
    const [newest] = await oplog.find({}).sort({ $natural: -1 }).limit(1).toArray();
    expect(newest).toMatchObject({ ns: `${dbName}.natural`, o: { _id: 2 } });
    const later = await oplog.find({ ts: { $gt: first.ts }, ns: `${dbName}.natural` }).toArray();
    expect(later.map((entry) => entry.o)).toEqual([{ _id: 2 }]);
  });

  it('tails the oplog with a tailable awaitData cursor', async () => {
    await db.collection<Item>('tailed').insertOne({ _id: 41 });
    const oplog = client.db('local').collection('oplog.rs');
    const [newest] = await oplog.find({}).sort({ $natural: -1 }).limit(1).toArray();
    const cursor = oplog.find(
      { ts: { $gt: newest.ts }, ns: `${dbName}.tailed` },
      { tailable: true, awaitData: true, maxAwaitTimeMS: 2000 },
    );
    try {
      const next = cursor.next();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await db.collection<Item>('tailed').insertOne({ _id: 42 });
      expect(await next).toMatchObject({ op: 'i', ns: `${dbName}.tailed`, o: { _id: 42 } });
    } finally {
      await cursor.close();
    }
  });

  it('reports local.oplog.rs as a capped collection with a maximum size', async () => {
    const stats = await client.db('local').command({ collStats: 'oplog.rs' });
    expect(stats.capped).toBe(true);
    expect(Number(stats.maxSize)).toBeGreaterThan(0);
    expect(Number(stats.count)).toBeGreaterThan(0);
  });

  it('writes an appendOplogNote as a no-op entry', async () => {
    const marker = `${dbName}-note`;
    await admin.command({ appendOplogNote: 1, data: { marker } });
    const entry = await client.db('local').collection('oplog.rs').findOne({ op: 'n', 'o.marker': marker });
    expect(entry).toMatchObject({ op: 'n', o: { marker } });
  });
});

describe('operations and diagnostics', () => {
  it('shows a running command of another connection in currentOp', async () => {
    const blocked = await new MongoClient(server.uri, { appName, serverSelectionTimeoutMS: 5000 }).connect();
    try {
      await admin.command({
        configureFailPoint: 'failCommand',
        mode: { times: 1 },
        data: { failCommands: ['find'], blockConnection: true, blockTimeMS: 800, appName },
      });
      const running = blocked.db(dbName).collection('slow').findOne({ marker: 1 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const { inprog } = await admin.command({ currentOp: 1, appName });
      await running;
      const op = inprog.find((operation: Document) => operation.command?.find === 'slow');
      expect(op).toMatchObject({ active: true, appName, ns: `${dbName}.slow` });
      expect(typeof op.opid).toBe('number');
      expect(op.command.filter).toEqual({ marker: 1 });
    } finally {
      await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
      await blocked.close();
    }
  });

  it('accepts killOp', async () => {
    const reply = await admin.command({ killOp: 1, op: 123456789 });
    expect(reply.info).toBe('attempting to kill op');
  });

  it('reads the profiling level with profile -1', async () => {
    const reply = await db.command({ profile: -1 });
    expect(reply).toMatchObject({ was: 0, slowms: 100, sampleRate: 1 });
  });

  it('tells a client its own address in whatsmyuri', async () => {
    const reply = await admin.command({ whatsmyuri: 1 });
    expect(reply.you).toMatch(/:\d+$/);
  });

  it('returns the startup warnings log', async () => {
    const reply = await admin.command({ getLog: 'startupWarnings' });
    expect(typeof reply.totalLinesWritten).toBe('number');
    expect(Array.isArray(reply.log)).toBe(true);
  });

  it('lists the commands it answers', async () => {
    const { commands } = await admin.command({ listCommands: 1 });
    expect(Object.keys(commands)).toEqual(expect.arrayContaining(['find', 'insert', 'serverStatus']));
  });

  it('explains a find as a collection scan with execution statistics', async () => {
    const items = db.collection<Item>('explained');
    await items.insertMany([
      { _id: 1, at: 'a' },
      { _id: 2, at: 'b' },
      { _id: 3, at: 'a' },
    ]);
    const reply = await db.command({
      explain: { find: 'explained', filter: { at: 'a' } },
      verbosity: 'executionStats',
    });
    expect(reply.queryPlanner.namespace).toBe(`${dbName}.explained`);
    expect(reply.queryPlanner.winningPlan.stage).toBe('COLLSCAN');
    expect(reply.executionStats.nReturned).toBe(2);
    expect(reply.executionStats.totalDocsExamined).toBe(3);
  });

  it('explains an _id equality as an express _id index lookup', async () => {
    await db.collection<Item>('express').insertOne({ _id: 1 });
    const reply = await db.command({ explain: { find: 'express', filter: { _id: 1 } }, verbosity: 'queryPlanner' });
    expect(reply.queryPlanner.winningPlan).toMatchObject({ stage: 'EXPRESS_IXSCAN', indexName: '_id_' });
    expect(reply.executionStats).toBeUndefined();
  });
});

describe('write blocking and stepdown', () => {
  it('fails user writes with UserWritesBlocked while setUserWriteBlockMode is on', async () => {
    const items = db.collection<Item>('blocked');
    await admin.command({ setUserWriteBlockMode: 1, global: true });
    try {
      const error = await serverFailure(items.insertOne({ _id: 1 }));
      expect(error.code).toBe(371);
    } finally {
      await admin.command({ setUserWriteBlockMode: 1, global: false });
    }
    await items.insertOne({ _id: 1 });
    expect(await items.countDocuments()).toBe(1);
  });

  it.skipIf(external)('steps down for a moment and comes back as primary with a newer electionId', async () => {
    const before = (await admin.command({ hello: 1 })).electionId;
    await admin.command({ replSetStepDown: 1, secondaryCatchUpPeriodSecs: 0, force: true });
    // Stepping down closes the open connections; a fresh direct connection sees the secondary.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const direct = await new MongoClient(server.uri, {
      directConnection: true,
      retryWrites: false,
      serverSelectionTimeoutMS: 5000,
    }).connect();
    try {
      const hello = await direct.db('admin').command({ hello: 1 });
      expect(hello.isWritablePrimary).toBe(false);
      expect(hello.secondary).toBe(true);
      const error = await serverFailure(direct.db(dbName).collection<Item>('stepdown').insertOne({ _id: 1 }));
      expect(error.code).toBe(10107);
      expect(error.hasErrorLabel('RetryableWriteError')).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await direct.db(dbName).collection<Item>('stepdown').insertOne({ _id: 1 });
      const after = (await direct.db('admin').command({ hello: 1 })).electionId;
      expect(after.toHexString() > before.toHexString()).toBe(true);
    } finally {
      await direct.close();
    }
  });
});
