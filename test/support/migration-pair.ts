// A source and a target for engine tests, and an EngineContext over them. The servers are the real
// replica sets named by FERRY_TEST_SOURCE_URI / FERRY_TEST_TARGET_URI when set (tests then use unique
// database names, see uniqueDbName), otherwise two sandboxes started in this process.
import { MongoClient, type Document, type Timestamp } from 'mongodb';
import { decodeOrdered, type OrderedDocument } from '../../engine/core/bson/ordered.js';
import { cloneTuningSchema, replTuningSchema, type CloneTuning } from '../../engine/protocol.js';
import { createNamespaceFilter } from '../../engine/core/namespaces.js';
import type { EngineContext, EngineCounters, EngineLog } from '../../engine/core/parts.js';
import { startSandbox, type RunningSandbox } from '../../engine/sandbox/index.js';

export interface MigrationPair {
  sourceUri: string;
  targetUri: string;
  /** Read preference primary, read concern majority, as the engine connects. */
  source: MongoClient;
  /** Write concern majority with j:true, as the engine connects. */
  target: MongoClient;
  stop(): Promise<void>;
}

export async function startPair(): Promise<MigrationPair> {
  const sandboxes: RunningSandbox[] = [];
  const uriOf = async (variable: string): Promise<string> => {
    const external = process.env[variable];
    if (external) return external;
    const sandbox = await startSandbox({ port: 0 });
    sandboxes.push(sandbox);
    return sandbox.uri;
  };
  const sourceUri = await uriOf('FERRY_TEST_SOURCE_URI');
  const targetUri = await uriOf('FERRY_TEST_TARGET_URI');
  const source = new MongoClient(sourceUri, { readPreference: 'primary', readConcernLevel: 'majority' });
  const target = new MongoClient(targetUri, { w: 'majority', journal: true });
  return {
    sourceUri,
    targetUri,
    source,
    target,
    async stop() {
      await Promise.all([source.close(), target.close()]);
      await Promise.all(sandboxes.map((sandbox) => sandbox.stop()));
    },
  };
}

/** What a test context counted. */
export interface Counted {
  readDocuments: number;
  readBytes: number;
  insertedDocuments: number;
  insertedBytes: number;
}

export interface TestContext extends EngineContext {
  readonly counted: Counted;
  readonly logs: { level: string; message: string; fields?: Record<string, unknown> }[];
}

export function testContext(
  pair: MigrationPair,
  options: { include?: string[]; exclude?: string[]; metadataDb?: string; clone?: Partial<CloneTuning> } = {},
): TestContext {
  const metadataDb = options.metadataDb ?? 'ferry_internal';
  const logs: TestContext['logs'] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logs.push({ level, message, fields });
    };
  const log: EngineLog = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const counted: Counted = { readDocuments: 0, readBytes: 0, insertedDocuments: 0, insertedBytes: 0 };
  const counters: EngineCounters = {
    cloneReadDocuments(count, bytes) {
      counted.readDocuments += count;
      counted.readBytes += bytes;
    },
    cloneInsertedDocuments(count, bytes) {
      counted.insertedDocuments += count;
      counted.insertedBytes += bytes;
    },
    cloneReadBatchDuration: () => {},
    cloneInsertBatchDuration: () => {},
    eventsRead: () => {},
    eventsApplied: () => {},
    workerEventsApplied: () => {},
    flush: () => {},
    queueDepth: () => {},
  };
  return {
    source: pair.source,
    target: pair.target,
    filter: createNamespaceFilter({ include: options.include, exclude: options.exclude, metadataDb }),
    metadataDb,
    clone: cloneTuningSchema.parse(options.clone ?? {}),
    repl: replTuningSchema.parse({}),
    log,
    counters,
    counted,
    logs,
  };
}

/** The source's current cluster time: a T0 for tests. */
export async function clusterTime(pair: MigrationPair): Promise<Timestamp> {
  const reply: Document = await pair.source.db('admin').command({ ping: 1 });
  return reply.operationTime as Timestamp;
}

/** The source's change events since `from`, decoded as the replicator decodes them. */
export async function changeEventsSince(pair: MigrationPair, from: Timestamp): Promise<OrderedDocument[]> {
  const cursor = pair.source
    .db('admin')
    .aggregate(
      [{ $changeStream: { allChangesForCluster: true, showExpandedEvents: true, startAtOperationTime: from } }],
      { raw: true, maxAwaitTimeMS: 100 },
    );
  const events: OrderedDocument[] = [];
  try {
    for (let raw = await cursor.tryNext(); raw !== null; raw = await cursor.tryNext()) {
      events.push(decodeOrdered(raw as unknown as Uint8Array));
    }
  } finally {
    await cursor.close();
  }
  return events;
}

const dataChanges = new Set(['insert', 'update', 'replace', 'delete']);

/** The DDL events among change events (what the replicator hands to Catalog.applyDdl). */
export function ddlEvents(events: OrderedDocument[]): OrderedDocument[] {
  return events.filter((event) => !dataChanges.has(String(event.get('operationType'))));
}
