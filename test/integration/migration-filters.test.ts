// Include and exclude filters: exactly the selected namespaces reach the target, whether their data
// is there before the start (the clone) or written after the clone (the change stream).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueDbName } from '../support/server-under-test.js';
import {
  connectBoth,
  finalizeAndCompare,
  newEngine,
  ok,
  startClusters,
  testNames,
  waitForInitialSync,
  type Clusters,
} from './migration-helpers.js';

let clusters: Clusters;

beforeAll(async () => {
  clusters = await startClusters();
});

afterAll(async () => {
  await clusters?.stop();
});

interface Scope {
  names: { db: string; metadataDb: string };
  /** Included as a whole, except `skip`. */
  main: string;
  /** Only `keep` is included. */
  partial: string;
  /** Not included at all. */
  other: string;
  selected(namespace: string): boolean;
}

function scope(prefix: string): Scope {
  const names = testNames(prefix);
  const main = names.db;
  const partial = uniqueDbName(`${prefix}_partial`);
  const other = uniqueDbName(`${prefix}_other`);
  return {
    names,
    main,
    partial,
    other,
    selected: (namespace) =>
      (namespace.startsWith(`${main}.`) && namespace !== `${main}.skip`) || namespace === `${partial}.keep`,
  };
}

/** Writes to every namespace of the scope, selected or not. */
async function writeEverywhere({ main, partial, other }: Scope, round: number): Promise<void> {
  const { source } = clusters;
  for (const [db, coll] of [
    [main, 'one'],
    [main, 'skip'],
    [partial, 'keep'],
    [partial, 'drop'],
    [other, 'any'],
  ]) {
    const collection = source.db(db).collection(coll);
    await collection.insertMany(Array.from({ length: 50 }, (_, i) => ({ round, i, where: `${db}.${coll}` })));
    await collection.updateMany({ i: { $lt: 10 } }, { $set: { touched: round } });
    await collection.deleteMany({ i: { $gte: 45 } });
  }
  await source.db(main).collection('one').createIndex({ i: 1, round: -1 });
}

async function targetNamespaces({ main, partial, other }: Scope): Promise<string[]> {
  const found: string[] = [];
  for (const db of [main, partial, other]) {
    for (const { name } of await clusters.target.db(db).listCollections({}, { nameOnly: true }).toArray()) {
      found.push(`${db}.${name}`);
    }
  }
  return found.sort();
}

function options(s: Scope) {
  return {
    includeNamespaces: [`${s.main}.*`, `${s.partial}.keep`],
    excludeNamespaces: [`${s.main}.skip`],
    metadataDb: s.names.metadataDb,
  };
}

describe('namespace filters', () => {
  it('copy only the included, not excluded, namespaces by the clone', async () => {
    const s = scope('filter_clone');
    await writeEverywhere(s, 1);
    const engine = newEngine(s.names.metadataDb);
    try {
      await connectBoth(engine, clusters);
      ok(await engine.start(options(s)));
      await waitForInitialSync(engine);
      await finalizeAndCompare(engine, clusters, s.names, { selected: s.selected });
      expect(await targetNamespaces(s)).toEqual([`${s.main}.one`, `${s.partial}.keep`]);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('replicate only the included, not excluded, namespaces by the change stream', async () => {
    const s = scope('filter_stream');
    await clusters.source.db(s.main).createCollection('seed');
    const engine = newEngine(s.names.metadataDb);
    try {
      await connectBoth(engine, clusters);
      ok(await engine.start(options(s)));
      await waitForInitialSync(engine);
      await writeEverywhere(s, 2);
      await clusters.source.db(s.main).collection('seed').drop();
      await finalizeAndCompare(engine, clusters, s.names, { selected: s.selected });
      expect(await targetNamespaces(s)).toEqual([`${s.main}.one`, `${s.partial}.keep`]);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
