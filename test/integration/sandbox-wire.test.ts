import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError } from 'mongodb';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';
import { RawConnection, opMsg, opQuery, zlibCompressed } from '../support/raw-wire.js';

let server: ServerUnderTest;
let client: MongoClient;
const dbName = uniqueDbName('wire');

function portOf(uri: string): number {
  return Number(new URL(uri).port);
}

beforeAll(async () => {
  server = await serverUnderTest();
  client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
});

afterAll(async () => {
  await client?.db(dbName).dropDatabase();
  await client?.close();
  await server?.stop();
});

describe('handshake and replica-set identity', () => {
  it('presents itself as the writable primary of a replica set with MongoDB 8.0 limits', async () => {
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect(typeof hello.setName).toBe('string');
    expect(hello.hosts).toContain(hello.me);
    expect(hello.primary).toBe(hello.me);
    expect(hello.maxBsonObjectSize).toBe(16 * 1024 * 1024);
    expect(hello.maxMessageSizeBytes).toBe(48_000_000);
    expect(hello.maxWriteBatchSize).toBe(100_000);
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(25);
  });

  it('stamps every reply with $clusterTime and operationTime', async () => {
    const reply = await client.db('admin').command({ ping: 1 });
    expect(reply.$clusterTime?.clusterTime).toBeDefined();
    expect(reply.operationTime).toBeDefined();
  });

  it('answers the legacy OP_QUERY handshake with OP_REPLY', async () => {
    const connection = await RawConnection.connect(portOf(server.uri));
    try {
      const reply = await connection.request(opQuery('admin', { isMaster: 1 }));
      expect(reply.opCode).toBe(1);
      expect(reply.document.ismaster).toBe(true);
      expect(reply.document.ok).toBe(1);
    } finally {
      connection.close();
    }
  });

  it('answers OP_COMPRESSED (zlib) requests with compressed replies', async () => {
    const connection = await RawConnection.connect(portOf(server.uri));
    try {
      const hello = await connection.request(opMsg({ hello: 1, compression: ['zlib'], $db: 'admin' }));
      expect(hello.document.compression).toEqual(['zlib']);
      const reply = await connection.request(zlibCompressed(opMsg({ ping: 1, $db: 'admin' })));
      expect(reply.opCode).toBe(2012);
      expect(reply.document.ok).toBe(1);
    } finally {
      connection.close();
    }
  });

  it('works end to end for a driver that negotiated zlib compression', async () => {
    const url = new URL(server.uri);
    url.searchParams.set('compressors', 'zlib');
    const compressed = await new MongoClient(url.toString()).connect();
    try {
      const docs = Array.from({ length: 50 }, (_, i) => ({ _id: i, text: 'x'.repeat(2000) }));
      await compressed.db(dbName).collection<{ _id: number; text: string }>('compressed').insertMany(docs);
      const back = await compressed
        .db(dbName)
        .collection<{ _id: number; text: string }>('compressed')
        .find()
        .sort({ _id: 1 })
        .toArray();
      expect(back).toEqual(docs);
    } finally {
      await compressed.close();
    }
  });

  it('sends no reply to a moreToCome (unacknowledged) write and still applies it', async () => {
    const connection = await RawConnection.connect(portOf(server.uri));
    try {
      const moreToCome = 1 << 1;
      connection.send(
        opMsg(
          { insert: 'unacknowledged', documents: [{ _id: 1 }], writeConcern: { w: 0 }, $db: dbName },
          {},
          moreToCome,
        ),
      );
      const reply = await connection.request(opMsg({ find: 'unacknowledged', filter: {}, $db: dbName }));
      expect(reply.document.cursor.firstBatch).toEqual([{ _id: 1 }]);
    } finally {
      connection.close();
    }
  });
});

describe('errors and limits', () => {
  it('answers an unknown command with CommandNotFound naming it', async () => {
    const error = await client
      .db('admin')
      .command({ noSuchCommandAnywhere: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(59);
    expect((error as MongoServerError).codeName).toBe('CommandNotFound');
    expect((error as MongoServerError).message).toContain('noSuchCommandAnywhere');
  });

  it('refuses a document larger than 16 MiB with BSONObjectTooLarge', async () => {
    const connection = await RawConnection.connect(portOf(server.uri));
    try {
      const big = Buffer.alloc(16 * 1024 * 1024 + 64);
      big.writeInt32LE(big.length, 0);
      big[4] = 0x05; // binary element "b"
      big.write('b\0', 5);
      big.writeInt32LE(big.length - 13, 7);
      big[11] = 0;
      big[big.length - 1] = 0;
      const reply = await connection.request(opMsg({ insert: 'big', $db: dbName }, { documents: [big] }));
      expect(reply.document.n).toBe(0);
      expect(reply.document.writeErrors[0].code).toBe(10334);
    } finally {
      connection.close();
    }
  });

  it('refuses a write batch of more than 100000 operations', async () => {
    const connection = await RawConnection.connect(portOf(server.uri));
    try {
      const tiny = Buffer.from([5, 0, 0, 0, 0]);
      const docs = Array.from({ length: 100_001 }, () => tiny);
      const reply = await connection.request(opMsg({ insert: 'batch', $db: dbName }, { documents: docs }), 20_000);
      expect(reply.document.ok).toBe(0);
      expect(reply.document.code).toBe(16);
    } finally {
      connection.close();
    }
  });
});
