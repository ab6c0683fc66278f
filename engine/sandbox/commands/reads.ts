// count and distinct, on collections and on views, under the operation's collation.
import type { Collation } from '../bson/collation.js';
import { compareValues } from '../bson/compare.js';
import { keyString } from '../bson/index-key.js';
import { arrayIndexOf } from '../query/update/elements.js';
import { Int32, typeAlias, typeOf, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { runPipeline } from '../query/pipeline.js';
import { selectDocuments } from '../query/plan.js';
import { collectionName, optionalDoc, optionalNumber } from './args.js';
import type { Collection } from '../storage/collection.js';
import { operationCollation } from './collation-option.js';
import type { CommandContext, CommandSpec } from './types.js';

interface ReadShape {
  filter?: BsonDoc;
  skip?: number;
  limit?: number;
  hint?: BsonValue;
}

/** The collection (or view) a count or distinct reads, and the collation it reads with. */
interface ReadTarget {
  collection?: Collection;
  collation?: Collation;
}

function readTarget(ctx: CommandContext, name: string): ReadTarget {
  const collection = ctx.sandbox.catalog.get(ctx.db, name);
  return { collection, collation: operationCollation(optionalDoc(ctx.body, 'collation'), collection) };
}

/** The documents a count or distinct reads: a view runs its pipeline, a missing collection has none. */
function matchingDocuments(ctx: CommandContext, { collection, collation }: ReadTarget, shape: ReadShape): BsonDoc[] {
  if (!collection) return [];
  if (!collection.isView) {
    const options = { skip: shape.skip, limit: shape.limit, hint: shape.hint, collation };
    return selectDocuments(collection, shape.filter, options).map((selected) => selected.doc);
  }
  const stages: BsonValue[] = [];
  if (shape.filter && shape.filter.size > 0) stages.push(new Map([['$match', shape.filter]]));
  if (shape.skip) stages.push(new Map([['$skip', new Int32(shape.skip)]]));
  if (shape.limit) stages.push(new Map([['$limit', new Int32(shape.limit)]]));
  return runPipeline(ctx.sandbox.catalog, ctx.db, collection, stages, { collation });
}

const count: CommandSpec = {
  name: 'count',
  run(ctx) {
    const name = collectionName(ctx.body, 'count');
    const skip = optionalNumber(ctx.body, 'skip') ?? 0;
    if (skip < 0) throw new CommandError(51024, `BSON field 'skip' value must be >= 0, actual value '${skip}'`);
    // A negative limit counts like its absolute value (it meant "one batch" in the legacy protocol).
    const limit = Math.abs(optionalNumber(ctx.body, 'limit') ?? 0);
    const target = readTarget(ctx, name);
    const filter = optionalDoc(ctx.body, 'query');
    const n = matchingDocuments(ctx, target, { filter, skip, limit, hint: ctx.body.get('hint') }).length;
    return { n: new Int32(n) };
  },
};

const distinct: CommandSpec = {
  name: 'distinct',
  run(ctx) {
    const name = collectionName(ctx.body, 'distinct');
    const key = ctx.body.get('key');
    if (key === undefined) throw new CommandError(40414, "BSON field 'distinct.key' is missing but a required field");
    if (typeof key !== 'string')
      throw new CommandError(
        'TypeMismatch',
        `BSON field 'distinct.key' is the wrong type '${typeAlias[typeOf(key)]}', expected type 'string'`,
      );
    const target = readTarget(ctx, name);
    const filter = optionalDoc(ctx.body, 'query');
    const path = key.split('.');
    const values = matchingDocuments(ctx, target, { filter, hint: ctx.body.get('hint') }).flatMap((doc) =>
      valuesAlongPath(doc, path),
    );
    return { values: target.collation ? collatedDistinct(values, target.collation) : simpleDistinct(values) };
  },
};

/** Each value once, in MongoDB's order; of equal values the first met is kept. */
function simpleDistinct(values: BsonValue[]): BsonValue[] {
  const seen = new Map<string, BsonValue>();
  for (const value of values) {
    const id = keyString(value);
    if (!seen.has(id)) seen.set(id, value);
  }
  return [...seen.values()].sort(compareValues);
}

/** simpleDistinct with strings equal under the collation counted as one value (mongod keeps the first met). */
function collatedDistinct(values: BsonValue[], collation: Collation): BsonValue[] {
  const order = (a: BsonValue, b: BsonValue): number => compareValues(a, b, collation.compare);
  const sorted = values
    .map((value, index) => ({ value, index }))
    .sort((a, b) => order(a.value, b.value) || a.index - b.index);
  const out: BsonValue[] = [];
  for (const { value } of sorted) if (out.length === 0 || order(out[out.length - 1], value) !== 0) out.push(value);
  return out;
}

/**
 * The values distinct sees at `path` (mongod's extractAllElementsAlongPath): arrays on the way are
 * traversed unless the next component indexes into them; an array at the end gives its elements.
 */
function valuesAlongPath(value: BsonValue, path: readonly string[]): BsonValue[] {
  const [first, ...rest] = path;
  const next = childOf(value, first);
  if (next === undefined) return [];
  if (rest.length === 0) return Array.isArray(next) ? next : [next];
  if (Array.isArray(next) && arrayIndexOf(rest[0]) === undefined)
    return next.flatMap((item) => (item instanceof Map || Array.isArray(item) ? valuesAlongPath(item, rest) : []));
  return valuesAlongPath(next, rest);
}

function childOf(value: BsonValue, name: string): BsonValue | undefined {
  if (value instanceof Map) return value.get(name);
  if (Array.isArray(value) && arrayIndexOf(name) !== undefined) return value[Number(name)];
  return undefined;
}

export const readCommands: CommandSpec[] = [count, distinct];
