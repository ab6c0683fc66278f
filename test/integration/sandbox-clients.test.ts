// Smoke tests with real clients other than the Node driver: mongosh and pymongo each insert, find,
// aggregate, list collections and read the replica-set status, as a user would on mongod 8.0.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUnderTest, uniqueDbName, type ServerUnderTest } from '../support/server-under-test.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const mongoshBin = join(repoRoot, 'node_modules', '.bin', 'mongosh');
const DB = uniqueDbName('clients');
const CLIENT_TIMEOUT_MS = 60_000;

let server: ServerUnderTest;
let uri: string;
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'ferry-clients-home-'));
  // mongosh reads its global config from here: no telemetry, nothing written to the real home.
  await writeFile(join(home, 'mongosh.conf'), 'mongosh:\n  forceDisableTelemetry: true\n');
  server = await serverUnderTest();
  uri = server.uri;
});

afterAll(async () => {
  if (server?.external) {
    const client = new MongoClient(uri);
    await client.db(DB).dropDatabase();
    await client.close();
  }
  await server?.stop();
  await rm(home, { recursive: true, force: true });
});

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      HOME: home,
      MONGOSH_GLOBAL_CONFIG_FILE_FOR_TESTING: join(home, 'mongosh.conf'),
      MONGOSH_FORCE_DISABLE_TELEMETRY_FOR_TESTING: '1',
      DO_NOT_TRACK: '1',
    };
    execFile(command, args, { env, timeout: CLIENT_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The JSON the script printed on its last line of output. */
function lastJson(stdout: string): unknown {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function replicaSetOf(connectionString: string): string | undefined {
  return /[?&]replicaSet=([^&]+)/.exec(connectionString)?.[1];
}

// --- mongosh ---

async function mongosh(script: string): Promise<unknown> {
  const prelude = `const testDb = db.getSiblingDB(${JSON.stringify(DB)});`;
  const stdout = await run(mongoshBin, [uri, '--quiet', '--norc', '--eval', `${prelude}\n${script}`]);
  return lastJson(stdout);
}

describe('mongosh', () => {
  it('inserts and finds documents', async () => {
    const result = await mongosh(`
      testDb.shItems.insertOne({ _id: 1, name: 'ada', langs: ['en', 'fr'], score: 9.5 });
      testDb.shItems.insertMany([{ _id: 2, name: 'alan', score: 4 }, { _id: 3, name: 'grace', score: 7 }]);
      const found = testDb.shItems.find({ score: { $gte: 5 } }, { name: 1 }).sort({ _id: 1 }).toArray();
      print(EJSON.stringify({ found, one: testDb.shItems.findOne({ _id: 2 }) }));
    `);
    expect(result).toEqual({
      found: [
        { _id: 1, name: 'ada' },
        { _id: 3, name: 'grace' },
      ],
      one: { _id: 2, name: 'alan', score: 4 },
    });
  });

  it('aggregates', async () => {
    const result = await mongosh(`
      testDb.shSales.insertMany([
        { _id: 1, region: 'north', amount: 10 },
        { _id: 2, region: 'south', amount: 5 },
        { _id: 3, region: 'north', amount: 7 },
      ]);
      const totals = testDb.shSales.aggregate([
        { $group: { _id: '$region', total: { $sum: '$amount' }, count: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ]).toArray();
      print(EJSON.stringify({ totals }));
    `);
    expect(result).toEqual({
      totals: [
        { _id: 'north', total: 17, count: 2 },
        { _id: 'south', total: 5, count: 1 },
      ],
    });
  });

  it('lists collections', async () => {
    const result = await mongosh(`
      testDb.shAlpha.insertOne({ _id: 1 });
      testDb.createCollection('shBeta');
      const names = testDb.getCollectionNames().filter((name) => name === 'shAlpha' || name === 'shBeta');
      print(EJSON.stringify({ names: names.sort() }));
    `);
    expect(result).toEqual({ names: ['shAlpha', 'shBeta'] });
  });

  it('reports rs.status() and db.hello() of a primary', async () => {
    const result = await mongosh(`
      const status = rs.status();
      const hello = db.hello();
      print(EJSON.stringify({
        ok: status.ok,
        set: status.set,
        primaries: status.members.filter((member) => member.stateStr === 'PRIMARY').length,
        setName: hello.setName,
        isWritablePrimary: hello.isWritablePrimary,
      }));
    `);
    const expectedSet = replicaSetOf(uri);
    expect(result).toMatchObject({ ok: 1, primaries: 1, isWritablePrimary: true });
    const { set, setName } = result as { set: string; setName: string };
    expect(setName).toBe(set);
    if (expectedSet) expect(set).toBe(expectedSet);
  });
});

// --- pymongo ---

/** The first Python 3 on this machine that can import pymongo (a pyenv python3 may not see Debian's). */
function findPythonWithPymongo(): string | undefined {
  return ['python3', '/usr/bin/python3'].find(
    (python) => spawnSync(python, ['-c', 'import pymongo'], { stdio: 'ignore' }).status === 0,
  );
}

const python = findPythonWithPymongo();

const PYMONGO_SCRIPT = `
import json, sys
import pymongo

uri, db_name, scenario = sys.argv[1:4]
client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=10000)
db = client[db_name]
result = {}
if scenario == 'crud':
    db.pyItems.insert_one({'_id': 1, 'name': 'ada', 'langs': ['en', 'fr'], 'score': 9.5})
    db.pyItems.insert_many([{'_id': 2, 'name': 'alan', 'score': 4}, {'_id': 3, 'name': 'grace', 'score': 7}])
    found = db.pyItems.find({'score': {'$gte': 5}}, {'name': 1}).sort('_id', 1)
    result = {'found': list(found), 'one': db.pyItems.find_one({'_id': 2})}
elif scenario == 'aggregate':
    db.pySales.insert_many([
        {'_id': 1, 'region': 'north', 'amount': 10},
        {'_id': 2, 'region': 'south', 'amount': 5},
        {'_id': 3, 'region': 'north', 'amount': 7},
    ])
    pipeline = [
        {'$group': {'_id': '$region', 'total': {'$sum': '$amount'}, 'count': {'$sum': 1}}},
        {'$sort': {'_id': 1}},
    ]
    result = {'totals': list(db.pySales.aggregate(pipeline))}
elif scenario == 'collections':
    db.pyAlpha.insert_one({'_id': 1})
    db.create_collection('pyBeta')
    result = {'names': sorted(n for n in db.list_collection_names() if n in ('pyAlpha', 'pyBeta'))}
elif scenario == 'status':
    status = client.admin.command('replSetGetStatus')
    hello = client.admin.command('hello')
    result = {
        'ok': status['ok'],
        'set': status['set'],
        'primaries': len([m for m in status['members'] if m['stateStr'] == 'PRIMARY']),
        'setName': hello['setName'],
        'isWritablePrimary': hello['isWritablePrimary'],
    }
print(json.dumps(result))
`;

async function pymongo(scenario: string): Promise<unknown> {
  const stdout = await run(String(python), ['-c', PYMONGO_SCRIPT, uri, DB, scenario]);
  return lastJson(stdout);
}

describe.skipIf(!python)(
  python ? 'pymongo' : 'pymongo (skipped: pymongo not installed (apt-get install python3-pymongo))',
  () => {
    it('inserts and finds documents', async () => {
      expect(await pymongo('crud')).toEqual({
        found: [
          { _id: 1, name: 'ada' },
          { _id: 3, name: 'grace' },
        ],
        one: { _id: 2, name: 'alan', score: 4 },
      });
    });

    it('aggregates', async () => {
      expect(await pymongo('aggregate')).toEqual({
        totals: [
          { _id: 'north', total: 17, count: 2 },
          { _id: 'south', total: 5, count: 1 },
        ],
      });
    });

    it('lists collections', async () => {
      expect(await pymongo('collections')).toEqual({ names: ['pyAlpha', 'pyBeta'] });
    });

    it('reports replSetGetStatus and hello of a primary', async () => {
      const result = (await pymongo('status')) as { set: string; setName: string };
      expect(result).toMatchObject({ ok: 1, primaries: 1, isWritablePrimary: true });
      expect(result.setName).toBe(result.set);
      const expectedSet = replicaSetOf(uri);
      if (expectedSet) expect(result.set).toBe(expectedSet);
    });
  },
);
