// explain for find, count, distinct, update, delete, findAndModify and aggregate: a minimal but
// honest plan (the sandbox has no secondary indexes: an _id equality is an EXPRESS_IXSCAN as on
// mongod 8.0, anything else a COLLSCAN, a missing collection EOF), with executionStats counted by
// actually selecting the documents when the verbosity asks for them.
import os from 'node:os';
import type { BsonDoc, BsonValue, EncodableValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { SERVER_VERSION } from '../limits.js';
import { selectDocuments } from '../query/plan.js';
import type { Collection } from '../storage/collection.js';
import { numberOption } from '../storage/writer.js';
import { optionalString } from './args.js';
import type { CommandContext, CommandSpec } from './types.js';

const VERBOSITIES = ['queryPlanner', 'executionStats', 'allPlansExecution'];

interface ExplainTarget {
  collectionName: string;
  filter: BsonDoc;
  /** The write stage wrapping the scan (UPDATE, DELETE) or the COUNT stage. */
  wrapper?: string;
  /** Only find and aggregate return documents. */
  returnsDocuments: boolean;
  select?: { sort?: BsonDoc; skip?: number; limit?: number };
}

function docField(doc: BsonDoc, field: string): BsonDoc | undefined {
  const value = doc.get(field);
  return value instanceof Map ? value : undefined;
}

function firstStatement(inner: BsonDoc, field: string): BsonDoc {
  const statements = inner.get(field);
  const first = Array.isArray(statements) ? statements[0] : undefined;
  return first instanceof Map ? first : new Map();
}

function firstMatchStage(inner: BsonDoc): BsonDoc {
  const pipeline = inner.get('pipeline');
  const first = Array.isArray(pipeline) ? pipeline[0] : undefined;
  return (first instanceof Map && docField(first, '$match')) || new Map();
}

function targetOf(command: string, inner: BsonDoc): ExplainTarget {
  const collectionName = inner.get(command);
  if (typeof collectionName !== 'string')
    throw new CommandError('InvalidNamespace', `Invalid namespace specified for '${command}'`);
  const filterOf = (field: string): BsonDoc => docField(inner, field) ?? new Map();
  const number = (field: string): number | undefined => numberOption(inner.get(field));
  switch (command) {
    case 'find':
      return {
        collectionName,
        filter: filterOf('filter'),
        returnsDocuments: true,
        select: { sort: docField(inner, 'sort'), skip: number('skip'), limit: number('limit') },
      };
    case 'aggregate':
      return { collectionName, filter: firstMatchStage(inner), returnsDocuments: true };
    case 'count':
      return { collectionName, filter: filterOf('query'), wrapper: 'COUNT', returnsDocuments: false };
    case 'distinct':
      return { collectionName, filter: filterOf('query'), returnsDocuments: false };
    case 'update':
      return {
        collectionName,
        filter: docField(firstStatement(inner, 'updates'), 'q') ?? new Map(),
        wrapper: 'UPDATE',
        returnsDocuments: false,
      };
    case 'delete':
      return {
        collectionName,
        filter: docField(firstStatement(inner, 'deletes'), 'q') ?? new Map(),
        wrapper: 'DELETE',
        returnsDocuments: false,
      };
    case 'findAndModify':
    case 'findandmodify':
      return {
        collectionName,
        filter: filterOf('query'),
        wrapper: inner.get('remove') === true ? 'DELETE' : 'UPDATE',
        returnsDocuments: false,
      };
  }
  throw new CommandError('CommandNotFound', `Explain failed due to unknown command: ${command}`);
}

function isIdEquality(filter: BsonDoc): boolean {
  if (filter.size !== 1 || !filter.has('_id')) return false;
  const id = filter.get('_id');
  return !(id instanceof Map && [...id.keys()].some((key) => key.startsWith('$'))) && !Array.isArray(id);
}

/** mongod's parsedQuery: one field compares with $eq, several become an $and. */
function parsedQuery(filter: BsonDoc): BsonDoc {
  const clauses = [...filter].map(([field, value]): BsonDoc => {
    const isOperator =
      field.startsWith('$') || (value instanceof Map && [...value.keys()].some((key) => key.startsWith('$')));
    return new Map([[field, isOperator ? value : new Map<string, BsonValue>([['$eq', value]])]]);
  });
  if (clauses.length === 1) return clauses[0];
  return clauses.length === 0 ? new Map() : new Map([['$and', clauses]]);
}

function scanStage(collection: Collection | undefined, filter: BsonDoc): Record<string, EncodableValue> {
  if (!collection) return { stage: 'EOF' };
  if (isIdEquality(filter))
    return { isCached: false, stage: 'EXPRESS_IXSCAN', keyPattern: '{ _id: 1 }', indexName: '_id_' };
  return {
    isCached: false,
    stage: 'COLLSCAN',
    ...(filter.size ? { filter: parsedQuery(filter) } : {}),
    direction: 'forward',
  };
}

function winningPlan(target: ExplainTarget, scan: Record<string, EncodableValue>): Record<string, EncodableValue> {
  if (!target.wrapper) return scan;
  const { isCached, ...inputStage } = scan;
  return { isCached: isCached ?? false, stage: target.wrapper, inputStage };
}

function executionStats(
  target: ExplainTarget,
  collection: Collection | undefined,
  plan: Record<string, EncodableValue>,
  verbosity: string,
): Record<string, EncodableValue> {
  const started = Date.now();
  const matched = collection ? selectDocuments(collection, target.filter, target.select).length : 0;
  const express = collection !== undefined && isIdEquality(target.filter);
  const docsExamined = express ? matched : (collection?.count ?? 0);
  const nReturned = target.returnsDocuments ? matched : 0;
  return {
    executionSuccess: true,
    nReturned,
    executionTimeMillis: Date.now() - started,
    totalKeysExamined: express ? matched : 0,
    totalDocsExamined: docsExamined,
    executionStages: {
      ...plan,
      nReturned,
      executionTimeMillisEstimate: 0,
      works: docsExamined + 1,
      advanced: nReturned,
      isEOF: 1,
      docsExamined,
    },
    ...(verbosity === 'allPlansExecution' ? { allPlansExecution: [] } : {}),
  };
}

function explainReply(ctx: CommandContext, inner: BsonDoc, verbosity: string): Record<string, EncodableValue> {
  const command = inner.keys().next().value;
  if (command === undefined) throw new CommandError('FailedToParse', 'Explain failed due to an empty command');
  const target = targetOf(command, inner);
  const collection = ctx.sandbox.catalog.get(ctx.db, target.collectionName);
  const plan = winningPlan(target, scanStage(collection?.isView ? undefined : collection, target.filter));
  const port = Number(ctx.sandbox.me.slice(ctx.sandbox.me.lastIndexOf(':') + 1));
  return {
    explainVersion: '1',
    queryPlanner: {
      namespace: `${ctx.db}.${target.collectionName}`,
      parsedQuery: parsedQuery(target.filter),
      indexFilterSet: false,
      maxIndexedOrSolutionsReached: false,
      maxIndexedAndSolutionsReached: false,
      maxScansToExplodeReached: false,
      prunedSimilarIndexes: false,
      winningPlan: plan,
      rejectedPlans: [],
    },
    ...(verbosity === 'queryPlanner' ? {} : { executionStats: executionStats(target, collection, plan, verbosity) }),
    command: new Map([...inner, ['$db', ctx.db]]),
    serverInfo: { host: os.hostname(), port, version: SERVER_VERSION, gitVersion: 'ferry-sandbox' },
  };
}

const explain: CommandSpec = {
  name: 'explain',
  run(ctx) {
    const inner = ctx.body.get('explain');
    if (!(inner instanceof Map)) throw new CommandError('FailedToParse', 'explain command requires a nested object');
    const verbosity = optionalString(ctx.body, 'verbosity') ?? 'allPlansExecution';
    if (!VERBOSITIES.includes(verbosity))
      throw new CommandError(
        'FailedToParse',
        `verbosity string must be one of {'queryPlanner', 'executionStats', 'allPlansExecution'}`,
      );
    return explainReply(ctx, inner, verbosity);
  },
};

export const explainCommands: CommandSpec[] = [explain];
