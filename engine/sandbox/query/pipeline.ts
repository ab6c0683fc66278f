// Aggregation pipelines over a collection's documents, evaluated by mingo on the match view and turned
// back into typed documents. Views are pipelines too: their definitions are prepended here.
import { Aggregator } from 'mingo';
import { fromMatchValue, toMatchDocument, toMatchValue } from '../bson/match-view.js';
import { decodeDocument } from '../bson/decode.js';
import type { BsonDoc, BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import type { Catalog } from '../storage/catalog.js';
import type { Collection } from '../storage/collection.js';

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

/** Runs `pipeline` over the documents of `collection` (none when it does not exist). */
export function runPipeline(
  catalog: Catalog,
  db: string,
  collection: Collection | undefined,
  pipeline: BsonValue[],
): BsonDoc[] {
  let stages = pipeline;
  let source = collection;
  if (collection?.isView) {
    const view = resolveView(catalog, collection);
    source = view.source;
    stages = [...view.pipeline, ...pipeline];
  }
  const input = source ? [...source.natural()].map((record) => toMatchDocument(decodeDocument(record.bytes))) : [];
  return evaluate(catalog, db, input, stages);
}

export function evaluate(
  catalog: Catalog,
  db: string,
  input: Record<string, unknown>[],
  stages: BsonValue[],
): BsonDoc[] {
  let output: unknown[];
  try {
    const aggregator = new Aggregator(stages.map((stage) => toMatchValue(stage)) as Record<string, unknown>[], {
      collectionResolver: (name: string) => {
        const other = catalog.get(db, name);
        return other ? runPipeline(catalog, db, other, []).map((doc) => toMatchDocument(doc)) : [];
      },
    });
    output = aggregator.run(input);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError('BadValue', error instanceof Error ? error.message : String(error));
  }
  return output.map((doc) => {
    const typed = fromMatchValue(doc);
    if (!(typed instanceof Map)) throw new CommandError('BadValue', 'aggregation stage produced a non-document');
    return typed;
  });
}
