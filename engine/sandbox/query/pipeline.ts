// Aggregation pipelines: the stage checks mongod makes before running one, and evaluation by mingo on
// the match view, with the results turned back into typed documents. Views are pipelines too: their
// definitions are prepended here.
import { Aggregator } from 'mingo/aggregator';
import type { Collation } from '../bson/collation.js';
import { keyString } from '../bson/index-key.js';
import { fromMatchValue, originOf, toMatchDocument, toMatchValue } from '../bson/match-view.js';
import { decodeDocument } from '../bson/decode.js';
import { typeAlias, typeOf, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import type { Catalog } from '../storage/catalog.js';
import type { Collection } from '../storage/collection.js';
import { mingoContext } from './mingo-context.js';

export interface Stage {
  readonly name: string;
  readonly spec: BsonValue;
}

/** Stages mingo evaluates. */
const MINGO_STAGES = new Set([
  '$addFields',
  '$bucket',
  '$bucketAuto',
  '$count',
  '$densify',
  '$documents',
  '$facet',
  '$fill',
  '$graphLookup',
  '$group',
  '$limit',
  '$lookup',
  '$match',
  '$project',
  '$redact',
  '$replaceRoot',
  '$replaceWith',
  '$sample',
  '$set',
  '$setWindowFields',
  '$skip',
  '$sort',
  '$sortByCount',
  '$unionWith',
  '$unset',
  '$unwind',
]);

/** Stages the sandbox implements itself (query/special-stages.ts and changestream/). */
export const SANDBOX_STAGES = new Set([
  '$changeStream',
  '$collStats',
  '$currentOp',
  '$indexStats',
  '$listLocalSessions',
  '$merge',
  '$out',
]);

/** Stages mongod 8.0 has and the sandbox does not. */
const UNSUPPORTED_STAGES = new Set([
  '$changeStreamSplitLargeEvent',
  '$geoNear',
  '$listSampledQueries',
  '$listSearchIndexes',
  '$listSessions',
  '$planCacheStats',
  '$queryStats',
  '$search',
  '$searchMeta',
  '$shardedDataDistribution',
  '$vectorSearch',
]);

/** Stages that read no collection: they need {aggregate: 1} and must come first. */
const COLLECTIONLESS_SOURCES = new Set(['$currentOp', '$documents', '$listLocalSessions']);
const FIRST_ONLY = new Set([...COLLECTIONLESS_SOURCES, '$changeStream', '$collStats', '$indexStats']);
const LAST_ONLY = new Set(['$out', '$merge']);
/** Stages that may follow $changeStream; each is applied to one event at a time. */
export const CHANGE_STREAM_STAGES = new Set([
  '$match',
  '$project',
  '$addFields',
  '$set',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
  '$redact',
]);

/** Reads the stage documents of a `pipeline` argument with mongod's errors for malformed ones. */
export function parseStages(pipeline: BsonValue[]): Stage[] {
  return pipeline.map((stage) => {
    if (!(stage instanceof Map))
      throw new CommandError('TypeMismatch', "Each element of the 'pipeline' array must be an object");
    if (stage.size !== 1)
      throw new CommandError(40323, 'A pipeline stage specification object must contain exactly one field.');
    const [[name, spec]] = stage;
    if (UNSUPPORTED_STAGES.has(name))
      throw new CommandError('BadValue', `The sandbox does not support the ${name} stage`);
    if (!MINGO_STAGES.has(name) && !SANDBOX_STAGES.has(name))
      throw new CommandError(40324, `Unrecognized pipeline stage name: '${name}'`);
    return { name, spec };
  });
}

/** mongod's rules for where stages may stand, checked before anything runs. */
export function checkStagePositions(stages: readonly Stage[], collectionless: boolean, inTransaction: boolean): void {
  const first = stages[0]?.name;
  if (collectionless) {
    if (first === undefined)
      throw new CommandError('InvalidNamespace', '{aggregate: 1} is not valid for an empty pipeline.');
    if (!COLLECTIONLESS_SOURCES.has(first) && first !== '$changeStream')
      throw new CommandError(
        'InvalidNamespace',
        `{aggregate: 1} is not valid for '${first}'; a collection is required.`,
      );
  } else if (first !== undefined && COLLECTIONLESS_SOURCES.has(first)) {
    throw new CommandError('InvalidNamespace', `'${first}' can only be run with {aggregate: 1}`);
  }
  stages.forEach(({ name }, index) => {
    if (first === '$changeStream' && index > 0 && !CHANGE_STREAM_STAGES.has(name))
      throw new CommandError('IllegalOperation', `${name} is not permitted in a $changeStream pipeline`);
    if (FIRST_ONLY.has(name) && index > 0)
      throw new CommandError(40602, `${name} is only valid as the first stage in a pipeline`);
    if (LAST_ONLY.has(name) && index < stages.length - 1)
      throw new CommandError(40601, `${name} can only be the final stage in the pipeline`);
    if (inTransaction && (LAST_ONLY.has(name) || name === '$changeStream' || name === '$collStats'))
      throw new CommandError(
        'OperationNotSupportedInTransaction',
        `Stage not supported inside of a multi-document transaction: ${name}`,
      );
  });
}

/** Follows a view to the collection it reads and the full pipeline that defines it. */
export function resolveView(
  catalog: Catalog,
  view: Collection,
): { source: Collection | undefined; pipeline: BsonValue[] } {
  const pipeline: BsonValue[] = [];
  let current: Collection | undefined = view;
  for (let depth = 0; current?.isView; depth++) {
    if (depth > 20) throw new CommandError(5, `View depth too deep or view cycle detected; maximum depth is 20`);
    const stages = current.options.get('pipeline');
    pipeline.unshift(...(Array.isArray(stages) ? stages : []));
    current = catalog.get(current.db, String(current.options.get('viewOn')));
  }
  return { source: current, pipeline };
}

export interface PipelineOptions {
  /** The command's `let`: variables every stage can read as $$name. */
  variables?: BsonDoc;
  /** The collation string comparisons ($match, $sort, $expr comparisons) follow; none: simple. */
  collation?: Collation;
}

/** A pipeline ready to run over typed documents. */
export type CompiledPipeline = (input: Iterable<BsonDoc>) => BsonDoc[];

/**
 * Prepares `stages` once for running many times (a change stream runs its stages on every event).
 * Output documents keep the exact BSON types of every value the stages did not change: a document
 * that passes through untouched comes back as itself, and a reshaped one is matched to its input by
 * _id so its untouched fields keep their types.
 */
export function compilePipeline(
  catalog: Catalog,
  db: string,
  stages: readonly BsonValue[],
  options: PipelineOptions = {},
): CompiledPipeline {
  let aggregator: Aggregator;
  try {
    aggregator = new Aggregator(stages.map((stage) => toMatchValue(stage)) as Record<string, unknown>[], {
      context: mingoContext(options.collation),
      variables: options.variables ? evaluateVariables(options.variables) : undefined,
      collectionResolver: (name: string) => {
        const other = catalog.get(db, name);
        return other ? runPipeline(catalog, db, other, []).map((doc) => toMatchDocument(doc)) : [];
      },
    });
  } catch (error) {
    throw asCommandError(error);
  }
  return (input) => {
    const originals = new Map<unknown, BsonDoc>();
    const views: Record<string, unknown>[] = [];
    for (const doc of input) {
      const view = toMatchDocument(doc);
      originals.set(view, doc);
      views.push(view);
    }
    let output: unknown[];
    try {
      output = aggregator.run(views);
    } catch (error) {
      throw asCommandError(error);
    }
    const byId = lazyIdIndex(originals);
    return output.map((doc) => {
      const original = originals.get(doc);
      if (original) return original;
      // A document with an origin (bson/match-view.ts) is compared with it; others with the input of their _id.
      const typed = fromMatchValue(doc, originOf(doc) ? undefined : byId(doc));
      if (!(typed instanceof Map))
        throw new CommandError('BadValue', `aggregation stage produced a ${typeAlias[typeOf(typed)]}, not a document`);
      return typed;
    });
  };
}

/** Runs `pipeline` over the documents of `collection` (none when it does not exist). */
export function runPipeline(
  catalog: Catalog,
  db: string,
  collection: Collection | undefined,
  pipeline: BsonValue[],
  options: PipelineOptions = {},
): BsonDoc[] {
  let stages = pipeline;
  let source = collection;
  if (collection?.isView) {
    const view = resolveView(catalog, collection);
    source = view.source;
    stages = [...view.pipeline, ...pipeline];
  }
  const input = source ? [...source.natural()].map((record) => decodeDocument(record.bytes)) : [];
  return compilePipeline(catalog, db, stages, options)(input);
}

/** `let` values are expressions, evaluated once before the pipeline runs ($$NOW, $rand, $literal...). */
function evaluateVariables(variables: BsonDoc): Record<string, unknown> {
  try {
    const [values] = new Aggregator([{ $replaceWith: toMatchValue(variables) }], { context: mingoContext() }).run([{}]);
    return values as Record<string, unknown>;
  } catch (error) {
    throw asCommandError(error);
  }
}

/** Input documents by the key string of their _id, built only when some output is not an input. */
function lazyIdIndex(originals: Map<unknown, BsonDoc>): (doc: unknown) => BsonDoc | undefined {
  let index: Map<string, BsonDoc> | undefined;
  return (doc) => {
    if (typeof doc !== 'object' || doc === null || !('_id' in doc)) return undefined;
    if (!index) {
      index = new Map();
      for (const original of originals.values()) {
        const id = original.get('_id');
        if (id !== undefined) index.set(keyString(id), original);
      }
    }
    return index.get(keyString(fromMatchValue((doc as { _id: unknown })._id)));
  };
}

function asCommandError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  return new CommandError('BadValue', error instanceof Error ? error.message : String(error));
}
