// The operators mingo evaluates filters and pipelines with: all of mingo's, with $sort in MongoDB's
// order of BSON values (bson/compare.ts) instead of mingo's JavaScript order, and under a collation
// the comparisons that respect it (query/collated-operators.ts). One context per collation, made once.
import { Context } from 'mingo/core';
import { Lazy, type Iterator as LazyIterator } from 'mingo/lazy';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import type { AnyObject, Options } from 'mingo/types';
import type { Collation } from '../bson/collation.js';
import { compareDocumentsBySortSpec, compareStrings, sortDirection, type StringOrder } from '../bson/compare.js';
import { fromMatchValue } from '../bson/match-view.js';
import type { BsonDoc } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { collatedExpressionOperators, collatedQueryOperators } from './collated-operators.js';
import { typedOperators } from './typed-operators.js';

const MINGO_OPERATORS = Context.init({
  accumulator: accumulatorOperators,
  expression: expressionOperators,
  pipeline: pipelineOperators,
  projection: projectionOperators,
  query: queryOperators,
  window: windowOperators,
});

/** $sort in MongoDB's order of BSON values, strings ordered by `compareString`. */
function bsonSort(compareString: StringOrder) {
  return (collection: LazyIterator, spec: AnyObject, _options: Options): LazyIterator => {
    const sortSpec = fromMatchValue(spec);
    if (!(sortSpec instanceof Map) || sortSpec.size === 0)
      throw new CommandError(15976, '$sort stage must have at least one sort key');
    for (const value of sortSpec.values())
      if (sortDirection(value) === 0 && !(value instanceof Map && value.has('$meta')))
        throw new CommandError(15975, '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    const compare = compareDocumentsBySortSpec(sortSpec, compareString);
    return collection.transform((items: unknown[]) => {
      const keyed = items.map((item, index) => ({ item, index, doc: fromMatchValue(item) as BsonDoc }));
      keyed.sort((a, b) => compare(a.doc, b.doc) || a.index - b.index);
      return Lazy(keyed.map(({ item }) => item));
    });
  };
}

// Context.from gives the operators of the first context precedence over those of the later ones.
const SIMPLE = Context.from(
  Context.init({ pipeline: { $sort: bsonSort(compareStrings) } }),
  typedOperators(compareStrings),
  MINGO_OPERATORS,
);
const collated = new WeakMap<Collation, Context>();

/** The operators for the simple collation (none given) or for `collation`. */
export function mingoContext(collation?: Collation): Context {
  if (!collation) return SIMPLE;
  let context = collated.get(collation);
  if (!context) {
    const overrides = Context.init({
      pipeline: { $sort: bsonSort(collation.compare) },
      query: collatedQueryOperators(collation),
      expression: collatedExpressionOperators(collation),
    });
    context = Context.from(overrides, typedOperators(collation.compare), MINGO_OPERATORS);
    collated.set(collation, context);
  }
  return context;
}
