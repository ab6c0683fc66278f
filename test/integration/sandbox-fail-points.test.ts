import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Long,
  MongoClient,
  MongoNetworkError,
  MongoServerError,
  MongoWriteConcernError,
  UUID,
  type Document,
} from 'mongodb';
import { RawConnection, opMsg } from '../support/raw-wire.js';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';

const external = process.env.FERRY_TEST_SOURCE_URI !== undefined;
const dbName = uniqueDbName('failpoints');
// Every fail point here names this application, so other suites sharing a real server are not hit.
const appName = `ferry-failpoints-${process.pid}`;

let server: ServerUnderTest;
let admin: MongoClient;
let client: MongoClient;

interface Item {
  _id: number;
}

beforeAll(async () => {
  server = await serverUnderTest();
  admin = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
  client = await new MongoClient(server.uri, {
    appName,
    retryReads: false,
    retryWrites: false,
    serverSelectionTimeoutMS: 5000,
  }).connect();
});

afterEach(async () => {
  await configure('off');
  await configure('off', {}, 'failGetMoreAfterCursorCheckout');
});

afterAll(async () => {
  await admin?.db(dbName).dropDatabase();
  await client?.close();
  await admin?.close();
  await server?.stop();
});

function configure(mode: Document | string, data: Document = {}, name = 'failCommand'): Promise<Document> {
  return admin.db('admin').command({ configureFailPoint: name, mode, data: { ...data, appName } });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the command to fail');
    },
    (reason: unknown) => reason,
  );
}

async function serverFailure(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await failure(promise);
  if (!(error instanceof MongoServerError)) throw new Error(`expected a server error, got ${String(error)}`);
  return error;
}

/** A connection that announces `appName` in its handshake and then sends hand-written commands. */
async function rawConnection(): Promise<RawConnection> {
  const { hostname, port } = new URL(server.uri);
  const connection = await RawConnection.connect(Number(port), hostname);
  await connection.request(opMsg({ hello: 1, client: { application: { name: appName } }, $db: 'admin' }));
  return connection;
}

describe('failCommand', () => {
  it('fails the chosen command with the configured code and mongod message, then lets it through', async () => {
    await configure({ times: 1 }, { failCommands: ['find'], errorCode: 8 });
    const items = client.db(dbName).collection<Item>('fail');
    const error = await serverFailure(items.findOne({}));
    expect(error.code).toBe(8);
    expect(error.codeName).toBe('UnknownError');
    expect(error.errmsg).toBe("Failing command via 'failCommand' failpoint");
    expect(await items.findOne({})).toBeNull();
  });

  it('skips the first matching commands in skip mode', async () => {
    await configure({ skip: 1 }, { failCommands: ['find'], errorCode: 2 });
    const items = client.db(dbName).collection<Item>('skip');
    expect(await items.findOne({})).toBeNull();
    expect((await serverFailure(items.findOne({}))).code).toBe(2);
  });

  it('reports in count how often the fail point has fired', async () => {
    const before = (await configure({ times: 2 }, { failCommands: ['find'], errorCode: 2 })).count;
    const items = client.db(dbName).collection<Item>('count');
    await failure(items.findOne({}));
    await failure(items.findOne({}));
    const after = (await configure('off')).count;
    expect(after - before).toBe(2);
  });

  it('leaves commands from other applications alone', async () => {
    await configure('alwaysOn', { failCommands: ['find'], errorCode: 2 });
    expect(await admin.db(dbName).collection('apps').findOne({})).toBeNull();
    expect((await serverFailure(client.db(dbName).collection('apps').findOne({}))).code).toBe(2);
  });

  it('closes the connection without replying when closeConnection is set', async () => {
    await configure({ times: 1 }, { failCommands: ['find'], closeConnection: true });
    const error = await failure(client.db(dbName).collection('closed').findOne({}));
    expect(error).toBeInstanceOf(MongoNetworkError);
    expect(await client.db(dbName).collection('closed').findOne({})).toBeNull();
  });

  it('delays the command by blockTimeMS and then runs it', async () => {
    await configure({ times: 1 }, { failCommands: ['insert'], blockConnection: true, blockTimeMS: 300 });
    const items = client.db(dbName).collection<Item>('blocked');
    const started = Date.now();
    await items.insertOne({ _id: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await items.countDocuments()).toBe(1);
  });

  it('runs the write and then reports the configured writeConcernError', async () => {
    await configure(
      { times: 1 },
      { failCommands: ['insert'], writeConcernError: { code: 91, errmsg: 'Replication is being shut down' } },
    );
    const items = client.db(dbName).collection<Item>('wce');
    const error = await failure(items.insertOne({ _id: 1 }));
    expect(error).toBeInstanceOf(MongoWriteConcernError);
    expect((error as MongoWriteConcernError).code).toBe(91);
    expect(await items.countDocuments({ _id: 1 })).toBe(1);
  });

  it('never fails configureFailPoint itself', async () => {
    await configure('alwaysOn', { failCommands: ['configureFailPoint'], errorCode: 2 });
    expect((await configure('off')).ok).toBe(1);
  });

  it('labels a retryable error of a retryable write with RetryableWriteError', async () => {
    await configure({ times: 1 }, { failCommands: ['insert'], errorCode: 91 });
    const connection = await rawConnection();
    try {
      const reply = await connection.request(
        opMsg({
          insert: 'labels',
          documents: [{ _id: 1 }],
          lsid: { id: new UUID() },
          txnNumber: Long.fromNumber(1),
          $db: dbName,
        }),
      );
      expect(reply.document).toMatchObject({ ok: 0, code: 91, errorLabels: ['RetryableWriteError'] });
    } finally {
      connection.close();
    }
  });

  it('labels a retryable error inside a transaction with TransientTransactionError', async () => {
    await configure({ times: 1 }, { failCommands: ['insert'], errorCode: 10107 });
    const connection = await rawConnection();
    try {
      const reply = await connection.request(
        opMsg({
          insert: 'labels',
          documents: [{ _id: 2 }],
          lsid: { id: new UUID() },
          txnNumber: Long.fromNumber(1),
          autocommit: false,
          startTransaction: true,
          $db: dbName,
        }),
      );
      expect(reply.document).toMatchObject({ ok: 0, code: 10107, errorLabels: ['TransientTransactionError'] });
    } finally {
      connection.close();
    }
  });

  it('replaces the server labels with the errorLabels of the fail point', async () => {
    await configure({ times: 1 }, { failCommands: ['insert'], errorCode: 91, errorLabels: [] });
    const connection = await rawConnection();
    try {
      const reply = await connection.request(
        opMsg({
          insert: 'labels',
          documents: [{ _id: 3 }],
          lsid: { id: new UUID() },
          txnNumber: Long.fromNumber(1),
          $db: dbName,
        }),
      );
      expect(reply.document).toMatchObject({ ok: 0, code: 91 });
      expect(reply.document.errorLabels).toBeUndefined();
    } finally {
      connection.close();
    }
  });
});

describe('configureFailPoint', () => {
  it('may only be run against the admin database', async () => {
    const error = await serverFailure(admin.db(dbName).command({ configureFailPoint: 'failCommand', mode: 'off' }));
    expect(error.code).toBe(13);
  });

  it('rejects a mode it does not know', async () => {
    const error = await serverFailure(configure('sometimes'));
    expect(error.code).toBe(2);
  });

  it.skipIf(external)('names the fail points the sandbox supports when asked for another one', async () => {
    const error = await serverFailure(configure('alwaysOn', {}, 'hangBeforeLoggingCreateCollection'));
    expect(error.code).toBe(2);
    expect(error.errmsg).toContain('failCommand');
  });
});

describe('failGetMoreAfterCursorCheckout', () => {
  it('fails a getMore on an existing cursor with the configured code', async () => {
    const items = client.db(dbName).collection<Item>('getmore');
    await items.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const cursor = items.find({}, { batchSize: 1 });
    expect(await cursor.next()).toEqual({ _id: 1 });
    await configure({ times: 1 }, { errorCode: 6 }, 'failGetMoreAfterCursorCheckout');
    const error = await serverFailure(cursor.next());
    expect(error.code).toBe(6);
    expect(error.errmsg).toBe("Hit the 'failGetMoreAfterCursorCheckout' failpoint");
    await cursor.close();
  });
});
