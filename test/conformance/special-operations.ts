// Special test operations (object: "testRunner"): fail points and assertions about sessions,
// collections and indexes. They return nothing; a failed assertion throws AssertionFailure.
import type { ClientSession, Document, MongoClient } from 'mongodb';
import { AssertionFailure, RunnerError } from './errors.js';
import { parseEntity } from './load.js';
import { exactMismatch } from './matcher.js';
import type { Call, OperationContext, OperationDef } from './operation-types.js';
import { asNumber, isDocument } from './values.js';

function sessionArg(ctx: OperationContext, call: Call): ClientSession {
  return ctx.entities.session(String(call.raw.session));
}

/** The client a session belongs to (targetedFailPoint runs the command there). */
function clientOfSession(ctx: OperationContext, call: Call): MongoClient {
  const { clientId } = ctx.entities.getAs(String(call.raw.session), 'session');
  return ctx.entities.client(clientId).client;
}

async function configureFailPoint(ctx: OperationContext, client: MongoClient, failPoint: unknown): Promise<void> {
  if (!isDocument(failPoint) || typeof failPoint.configureFailPoint !== 'string')
    throw new RunnerError('failPoint: expected a configureFailPoint command');
  // Record first: if the command half-succeeds the after-test cleanup must still switch it off.
  ctx.recordFailPoint(failPoint.configureFailPoint);
  await client.db('admin').command(failPoint);
}

// Driver-internal transaction states (src/transactions.ts) for each state name of the format.
const TRANSACTION_STATES: Record<string, string[]> = {
  none: ['NO_TRANSACTION'],
  starting: ['STARTING_TRANSACTION'],
  in_progress: ['TRANSACTION_IN_PROGRESS'],
  committed: ['TRANSACTION_COMMITTED', 'TRANSACTION_COMMITTED_EMPTY'],
  aborted: ['TRANSACTION_ABORTED'],
};

async function collectionNames(ctx: OperationContext, databaseName: string): Promise<string[]> {
  const list = await ctx.internal.db(databaseName).listCollections({}, { nameOnly: true }).toArray();
  return list.map((c) => c.name);
}

async function indexNames(ctx: OperationContext, databaseName: string, collectionName: string): Promise<string[]> {
  try {
    const list = await ctx.internal.db(databaseName).collection(collectionName).listIndexes().toArray();
    return list.map((index: Document) => String(index.name));
  } catch (error) {
    // A missing collection has no indexes (NamespaceNotFound).
    if (asNumber((error as { code?: unknown }).code) === 26) return [];
    throw error;
  }
}

function lastTwoLsids(ctx: OperationContext, call: Call): [unknown, unknown] {
  const entity = ctx.entities.client(String(call.raw.client));
  if (!entity.observeEvents.includes('commandStartedEvent'))
    throw new RunnerError(`${call.name}: client "${String(call.raw.client)}" does not observe commandStartedEvent`);
  const started = entity.events.filter((e) => e.type === 'commandStartedEvent');
  if (started.length < 2) throw new AssertionFailure(`${call.name}: fewer than two commands were observed`);
  const last = started[started.length - 1].command?.lsid;
  const previous = started[started.length - 2].command?.lsid;
  if (last === undefined || previous === undefined) throw new AssertionFailure(`${call.name}: a command has no lsid`);
  return [previous, last];
}

const namespaceArgs = { required: ['databaseName', 'collectionName'] } as const;

export const specialOperations: Record<string, OperationDef> = {
  failPoint: {
    required: ['client', 'failPoint'],
    async run(call, ctx) {
      await configureFailPoint(ctx, ctx.entities.client(String(call.raw.client)).client, call.args.failPoint);
      return undefined;
    },
  },
  targetedFailPoint: {
    required: ['session', 'failPoint'],
    async run(call, ctx) {
      // With a single server (no mongos pinning) the session's own client reaches the right node.
      await configureFailPoint(ctx, clientOfSession(ctx, call), call.args.failPoint);
      return undefined;
    },
  },
  assertSessionTransactionState: {
    required: ['session', 'state'],
    async run(call, ctx) {
      const wanted = TRANSACTION_STATES[String(call.raw.state)];
      if (!wanted) throw new RunnerError(`unknown transaction state "${String(call.raw.state)}"`);
      // The transaction object is driver-internal; read it defensively.
      const transaction: unknown = Reflect.get(sessionArg(ctx, call), 'transaction');
      const state: unknown =
        typeof transaction === 'object' && transaction !== null ? Reflect.get(transaction, 'state') : undefined;
      if (typeof state !== 'string') throw new RunnerError('cannot read the session transaction state from the driver');
      if (!wanted.includes(state))
        throw new AssertionFailure(`expected transaction state ${String(call.raw.state)}, got ${state}`);
      return undefined;
    },
  },
  assertSessionPinned: {
    required: ['session'],
    async run(call, ctx) {
      if (!sessionArg(ctx, call).isPinned) throw new AssertionFailure('expected the session to be pinned');
      return undefined;
    },
  },
  assertSessionUnpinned: {
    required: ['session'],
    async run(call, ctx) {
      if (sessionArg(ctx, call).isPinned) throw new AssertionFailure('expected the session to be unpinned');
      return undefined;
    },
  },
  assertSessionDirty: {
    required: ['session'],
    async run(call, ctx) {
      if (!sessionArg(ctx, call).serverSession.isDirty) throw new AssertionFailure('expected the session to be dirty');
      return undefined;
    },
  },
  assertSessionNotDirty: {
    required: ['session'],
    async run(call, ctx) {
      if (sessionArg(ctx, call).serverSession.isDirty)
        throw new AssertionFailure('expected the session not to be dirty');
      return undefined;
    },
  },
  assertSameLsidOnLastTwoCommands: {
    required: ['client'],
    async run(call, ctx) {
      const [previous, last] = lastTwoLsids(ctx, call);
      if (exactMismatch(previous, last))
        throw new AssertionFailure('expected the last two commands to use the same lsid');
      return undefined;
    },
  },
  assertDifferentLsidOnLastTwoCommands: {
    required: ['client'],
    async run(call, ctx) {
      const [previous, last] = lastTwoLsids(ctx, call);
      if (!exactMismatch(previous, last))
        throw new AssertionFailure('expected the last two commands to use different lsids');
      return undefined;
    },
  },
  assertCollectionExists: {
    ...namespaceArgs,
    async run(call, ctx) {
      const names = await collectionNames(ctx, String(call.raw.databaseName));
      if (!names.includes(String(call.raw.collectionName)))
        throw new AssertionFailure(
          `expected collection ${String(call.raw.databaseName)}.${String(call.raw.collectionName)} to exist`,
        );
      return undefined;
    },
  },
  assertCollectionNotExists: {
    ...namespaceArgs,
    async run(call, ctx) {
      const names = await collectionNames(ctx, String(call.raw.databaseName));
      if (names.includes(String(call.raw.collectionName)))
        throw new AssertionFailure(
          `expected collection ${String(call.raw.databaseName)}.${String(call.raw.collectionName)} not to exist`,
        );
      return undefined;
    },
  },
  assertIndexExists: {
    required: ['databaseName', 'collectionName', 'indexName'],
    async run(call, ctx) {
      const names = await indexNames(ctx, String(call.raw.databaseName), String(call.raw.collectionName));
      if (!names.includes(String(call.raw.indexName)))
        throw new AssertionFailure(
          `expected index ${String(call.raw.indexName)} to exist, found [${names.join(', ')}]`,
        );
      return undefined;
    },
  },
  assertIndexNotExists: {
    required: ['databaseName', 'collectionName', 'indexName'],
    async run(call, ctx) {
      const names = await indexNames(ctx, String(call.raw.databaseName), String(call.raw.collectionName));
      if (names.includes(String(call.raw.indexName)))
        throw new AssertionFailure(`expected index ${String(call.raw.indexName)} not to exist`);
      return undefined;
    },
  },
  createEntities: {
    required: ['entities'],
    async run(call, ctx) {
      const list = call.raw.entities;
      if (!Array.isArray(list)) throw new RunnerError('createEntities: entities must be an array');
      await ctx.entities.create(list.map((e, i) => parseEntity(e, `createEntities.entities[${i}]`)));
      return undefined;
    },
  },
  wait: {
    required: ['ms'],
    async run(call) {
      const ms = asNumber(call.raw.ms);
      if (ms === undefined) throw new RunnerError('wait: ms must be a number');
      await new Promise((resolve) => setTimeout(resolve, ms));
      return undefined;
    },
  },
};
