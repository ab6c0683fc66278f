// The compare every migration test ends with must see what a migration could get wrong.
import { Double, Int32 } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClustersIdentical } from '../support/compare-clusters.js';
import { startPair, type MigrationPair } from '../support/migration-pair.js';
import { uniqueDbName } from '../support/server-under-test.js';

let pair: MigrationPair;

beforeAll(async () => {
  pair = await startPair();
});

afterAll(async () => {
  await pair.stop();
});

/** Writes the same thing on both sides, then `differ` on the target only, and returns the compare's verdict. */
async function verdict(
  write: (db: ReturnType<MigrationPair['source']['db']>) => Promise<unknown>,
  differ: (db: ReturnType<MigrationPair['target']['db']>) => Promise<unknown>,
): Promise<string> {
  const dbName = uniqueDbName('compare');
  await write(pair.source.db(dbName));
  await write(pair.target.db(dbName));
  await differ(pair.target.db(dbName));
  return expectClustersIdentical(pair.sourceUri, pair.targetUri, {
    namespaces: (namespace) => namespace.startsWith(`${dbName}.`),
  }).then(
    () => 'identical',
    (error: Error) => error.message,
  );
}

const fields = (...entries: [string, unknown][]) => new Map(entries);

describe('comparing clusters', () => {
  it('passes identical clusters', async () => {
    expect(
      await verdict(
        (db) => db.collection('c').insertOne(fields(['_id', new Int32(1)], ['a', new Int32(1)])),
        async () => {},
      ),
    ).toBe('identical');
  });

  it('sees a number of another type', async () => {
    const message = await verdict(
      (db) => db.collection('c').insertOne(fields(['_id', new Int32(1)], ['a', new Int32(1)])),
      (db) => db.collection('c').replaceOne(fields(['_id', new Int32(1)]), fields(['a', new Double(1)])),
    );
    expect(message).toMatch(/documents differ at _id Int32\(1\): .*"a": Int32\(1\).*"a": Double\(1\)/);
  });

  it('sees fields in another order', async () => {
    const message = await verdict(
      (db) => db.collection('c').insertOne(fields(['_id', new Int32(1)], ['a', 1], ['b', 2])),
      (db) => db.collection('c').replaceOne(fields(['_id', new Int32(1)]), fields(['b', 2], ['a', 1])),
    );
    expect(message).toMatch(/documents differ at _id Int32\(1\)/);
  });

  it('sees missing and extra documents, options and indexes', async () => {
    const message = await verdict(
      async (db) => {
        await db.createCollection('c', { validator: { a: { $exists: true } } });
        await db.collection('c').insertMany([{ a: 1 }, { a: 2 }].map((doc, i) => ({ _id: i, ...doc })) as never[]);
      },
      async (db) => {
        await db.collection('c').deleteOne({ _id: 0 } as never);
        await db.collection('c').insertOne({ _id: 9, a: 9 } as never);
        await db.command({ collMod: 'c', validationLevel: 'moderate' });
        await db.collection('c').createIndex({ a: 1 });
      },
    );
    expect(message).toMatch(/missing on the target: Int32\(0\)/);
    expect(message).toMatch(/only on the target: Int32\(9\)/);
    expect(message).toMatch(/options\.validationLevel: \(missing\) on the source, "moderate" on the target/);
    expect(message).toMatch(/index a_1: only on the target/);
  });

  it('sees capped documents in another natural order', async () => {
    const message = await verdict(
      async (db) => {
        await db.createCollection('c', { capped: true, size: 4096 });
        await db.collection('c').insertMany([{ _id: 1 }, { _id: 2 }] as never[]);
      },
      async (db) => {
        await db.collection('c').drop();
        await db.createCollection('c', { capped: true, size: 4096 });
        await db.collection('c').insertMany([{ _id: 2 }, { _id: 1 }] as never[]);
      },
    );
    expect(message).toMatch(/differ at position 0 \(natural order\)/);
  });
});
