import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long, MongoClient, MongoServerError, UUID, type ClientSession, type Db, type Document } from 'mongodb';
import { RawConnection, opMsg } from '../support/raw-wire.js';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';

let server: ServerUnderTest;
let client: MongoClient;
let db: Db;
const dbName = uniqueDbName('transactions');

interface Item {
  _id: number | string;
  n?: number;
}

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
  db = client.db(dbName);
});

afterAll(async () => {
  await db?.dropDatabase();
  await client?.close();
  await server?.stop();
});

async function failure(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof MongoServerError)) throw new Error(`expected a server error, got ${String(error)}`);
  return error;
}

async function withSession<T>(body: (session: ClientSession) => Promise<T>): Promise<T> {
  const session = client.startSession();
  try {
    return await body(session);
  } finally {
    await session.endSession();
  }
}

/**
 * A logical session driven by hand over the wire: the driver rewrites txnNumber and readConcern on
 * session commands, and these tests must send exactly the fields a case needs.
 */
class WireSession {
  readonly lsid = { id: new UUID() };

  private constructor(private readonly connection: RawConnection) {}

  static async open(): Promise<WireSession> {
    const { hostname, port } = new URL(server.uri);
    return new WireSession(await RawConnection.connect(Number(port), hostname));
  }

  async run(command: Document, database = dbName): Promise<Document> {
    return (await this.connection.request(opMsg({ ...command, lsid: this.lsid, $db: database }))).document;
  }

  close(): void {
    this.connection.close();
  }
}

async function withWireSession(body: (session: WireSession) => Promise<void>): Promise<void> {
  const session = await WireSession.open();
  try {
    await body(session);
  } finally {
    session.close();
  }
}

function inTransaction(txnNumber: number, extra: Document = {}): Document {
  return { txnNumber: Long.fromNumber(txnNumber), autocommit: false, ...extra };
}

function startingTransaction(txnNumber: number): Document {
  return inTransaction(txnNumber, { startTransaction: true });
}

describe('multi-document transactions', () => {
  it('makes all writes of a committed transaction visible', async () => {
    const items = db.collection<Item>('committed');
    await items.insertOne({ _id: 0 });
    await withSession((session) =>
      session.withTransaction(async () => {
        await items.insertOne({ _id: 1 }, { session });
        await items.insertMany([{ _id: 2 }, { _id: 3 }], { session });
      }),
    );
    expect(await items.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 0 }, { _id: 1 }, { _id: 2 }, { _id: 3 }]);
  });

  it('discards every write of an aborted transaction', async () => {
    const items = db.collection<Item>('aborted');
    await items.insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
      { _id: 3, n: 3 },
    ]);
    await withSession(async (session) => {
      session.startTransaction();
      await items.insertOne({ _id: 4, n: 4 }, { session });
      await items.replaceOne({ _id: 1 }, { n: 10 }, { session });
      await items.deleteOne({ _id: 2 }, { session });
      await session.abortTransaction();
    });
    expect(await items.find().toArray()).toEqual([
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
      { _id: 3, n: 3 },
    ]);
  });

  it('reports DuplicateKey inside a transaction and aborts it', async () => {
    const items = db.collection<Item>('duplicates');
    await items.insertOne({ _id: 1 });
    await withSession(async (session) => {
      session.startTransaction();
      await items.insertOne({ _id: 2 }, { session });
      const duplicate = await failure(items.insertOne({ _id: 1 }, { session }));
      expect(duplicate.code).toBe(11000);
      expect(duplicate.hasErrorLabel('TransientTransactionError')).toBe(false);
      const commit = await failure(session.commitTransaction());
      expect(commit.code).toBe(251);
      expect(commit.codeName).toBe('NoSuchTransaction');
      expect(commit.hasErrorLabel('TransientTransactionError')).toBe(true);
    });
    expect(await items.find().toArray()).toEqual([{ _id: 1 }]);
  });

  it('publishes a committed transaction as one applyOps oplog entry, and nothing before commit', async () => {
    const items = db.collection<Item>('oplog');
    await items.insertOne({ _id: 0 });
    const oplog = client.db('local').collection('oplog.rs');
    const ns = `${dbName}.oplog`;
    await withSession(async (session) => {
      session.startTransaction();
      await items.insertOne({ _id: 1 }, { session });
      await items.insertOne({ _id: 2 }, { session });
      expect(await oplog.countDocuments({ 'o.applyOps.ns': ns })).toBe(0);
      await session.commitTransaction();
    });
    const [entry] = await oplog.find({ 'o.applyOps.ns': ns }).toArray();
    expect(entry).toMatchObject({ op: 'c', ns: 'admin.$cmd' });
    expect(entry.lsid).toBeDefined();
    expect(entry.txnNumber).toBeDefined();
    expect(entry.o.applyOps.map((op: Document) => [op.op, op.ns, op.o])).toEqual([
      ['i', ns, { _id: 1 }],
      ['i', ns, { _id: 2 }],
    ]);
  });

  it('answers NoSuchTransaction with TransientTransactionError for a transaction that was never started', async () => {
    await withWireSession(async (session) => {
      const reply = await session.run({ find: 'never', ...inTransaction(7) });
      expect(reply).toMatchObject({ ok: 0, code: 251, codeName: 'NoSuchTransaction' });
      expect(reply.errmsg).toMatch(/^Given transaction number 7 does not match any in-progress transactions/);
      expect(reply.errorLabels).toEqual(['TransientTransactionError']);
    });
  });

  it('aborts an open transaction when the session starts a newer one, and calls the old one TransactionTooOld', async () => {
    await withWireSession(async (session) => {
      const insert = await session.run({
        insert: 'superseded',
        documents: [{ _id: 'first' }],
        ...startingTransaction(1),
      });
      expect(insert).toMatchObject({ ok: 1, n: 1 });
      expect(await session.run({ find: 'superseded', ...startingTransaction(2) })).toMatchObject({ ok: 1 });
      const commit = await session.run({ commitTransaction: 1, ...inTransaction(1) }, 'admin');
      expect(commit).toMatchObject({ ok: 0, code: 225, codeName: 'TransactionTooOld' });
      expect(commit.errmsg).toMatch(/^Cannot start transaction with \{ txnNumber: 1 \} on session /);
      await session.run({ abortTransaction: 1, ...inTransaction(2) }, 'admin');
    });
    expect(await db.collection('superseded').countDocuments()).toBe(0);
  });

  it('accepts a repeated commit and answers TransactionCommitted to any other use of a committed transaction', async () => {
    await withWireSession(async (session) => {
      await session.run({ insert: 'recommit', documents: [{ _id: 1 }], ...startingTransaction(1) });
      expect(await session.run({ commitTransaction: 1, ...inTransaction(1) }, 'admin')).toMatchObject({ ok: 1 });
      expect(await session.run({ commitTransaction: 1, ...inTransaction(1) }, 'admin')).toMatchObject({ ok: 1 });
      const abort = await session.run({ abortTransaction: 1, ...inTransaction(1) }, 'admin');
      expect(abort).toMatchObject({ ok: 0, code: 256, codeName: 'TransactionCommitted' });
      expect(abort.errmsg).toBe('Transaction with { txnNumber: 1 } has been committed.');
      const insert = await session.run({ insert: 'recommit', documents: [{ _id: 2 }], ...inTransaction(1) });
      expect(insert).toMatchObject({ ok: 0, code: 256 });
    });
    expect(await db.collection('recommit').countDocuments()).toBe(1);
  });

  it('answers NoSuchTransaction when committing an aborted transaction', async () => {
    await withWireSession(async (session) => {
      await session.run({ insert: 'reabort', documents: [{ _id: 1 }], ...startingTransaction(3) });
      expect(await session.run({ abortTransaction: 1, ...inTransaction(3) }, 'admin')).toMatchObject({ ok: 1 });
      const commit = await session.run({ commitTransaction: 1, ...inTransaction(3) }, 'admin');
      expect(commit).toMatchObject({ ok: 0, code: 251, errmsg: 'Transaction with { txnNumber: 3 } has been aborted.' });
      expect(commit.errorLabels).toEqual(['TransientTransactionError']);
    });
    expect(await db.collection('reabort').countDocuments()).toBe(0);
  });

  it('refuses count inside a transaction with OperationNotSupportedInTransaction', async () => {
    await withWireSession(async (session) => {
      const reply = await session.run({ count: 'anything', ...startingTransaction(1) });
      expect(reply).toMatchObject({ ok: 0, code: 263, codeName: 'OperationNotSupportedInTransaction' });
      expect(reply.errmsg).toMatch(/^Cannot run 'count' in a multi-document transaction/);
    });
  });

  it('refuses a readConcern after the first statement of a transaction', async () => {
    await withWireSession(async (session) => {
      expect(await session.run({ find: 'rc', ...startingTransaction(1) })).toMatchObject({ ok: 1 });
      const reply = await session.run({ find: 'rc', readConcern: { level: 'local' }, ...inTransaction(1) });
      expect(reply).toMatchObject({
        ok: 0,
        code: 72,
        errmsg: 'Only the first command in a transaction may specify a readConcern',
      });
      await session.run({ abortTransaction: 1, ...inTransaction(1) }, 'admin');
    });
  });
});

describe('retryable writes', () => {
  it('replays the reply of a retried write without executing it again', async () => {
    await withWireSession(async (session) => {
      const command = { insert: 'retried', documents: [{ _id: 1 }], txnNumber: Long.fromNumber(1) };
      expect(await session.run(command)).toMatchObject({ ok: 1, n: 1 });
      const retry = await session.run(command);
      expect(retry).toMatchObject({ ok: 1, n: 1 });
      expect(retry.writeErrors).toBeUndefined();
    });
    expect(await db.collection('retried').countDocuments()).toBe(1);
  });

  it('executes a write that carries a newer txnNumber', async () => {
    await withWireSession(async (session) => {
      await session.run({ insert: 'newer', documents: [{ _id: 1 }], txnNumber: Long.fromNumber(1) });
      const second = await session.run({ insert: 'newer', documents: [{ _id: 1 }], txnNumber: Long.fromNumber(2) });
      expect(second.writeErrors?.[0]?.code).toBe(11000);
    });
  });

  it('answers TransactionTooOld for a write with an older txnNumber', async () => {
    await withWireSession(async (session) => {
      await session.run({ insert: 'older', documents: [{ _id: 1 }], txnNumber: Long.fromNumber(5) });
      const reply = await session.run({ insert: 'older', documents: [{ _id: 2 }], txnNumber: Long.fromNumber(4) });
      expect(reply).toMatchObject({ ok: 0, code: 225 });
      expect(reply.errmsg).toMatch(
        /^Retryable write with txnNumber 4 is prohibited on session .* because a newer retryable write with txnNumber 5 has already started on this session\.$/,
      );
    });
  });

  it('refuses a txnNumber on a command that is not a retryable write', async () => {
    await withWireSession(async (session) => {
      const reply = await session.run({ find: 'plain', txnNumber: Long.fromNumber(1) });
      expect(reply).toMatchObject({
        ok: 0,
        code: 50768,
        errmsg:
          'txnNumber may only be provided for multi-document transactions and retryable write commands. autocommit:false was not provided, and find is not a retryable write command.',
      });
    });
  });
});

describe('session lifetime', () => {
  it('kills the cursors of a killed session', async () => {
    const items = db.collection<Item>('cursors');
    await items.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    await withSession(async (session) => {
      const cursor = items.find({}, { session, batchSize: 1 });
      expect(await cursor.next()).toEqual({ _id: 1 });
      await client.db('admin').command({ killSessions: [session.id] });
      const error = await failure(cursor.toArray());
      expect(error.code).toBe(43);
    });
  });

  it('accepts refreshSessions and endSessions', async () => {
    await withWireSession(async (session) => {
      await session.run({ find: 'lifetime' });
      expect(await session.run({ refreshSessions: [session.lsid] }, 'admin')).toMatchObject({ ok: 1 });
      expect(await session.run({ endSessions: [session.lsid] }, 'admin')).toMatchObject({ ok: 1 });
    });
  });
});
