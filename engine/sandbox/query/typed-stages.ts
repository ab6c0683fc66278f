// The pipeline stages the sandbox puts around mingo's for BSON types. The operators that return
// stored values (extreme-operators.ts) leave a Long or a Decimal128 as itself in their output, which
// later mingo stages could not compute with, so those documents are turned back into match views
// whose origin keeps the exact value for the final conversion. $group gives a field path key its
// stored value. $project, $addFields and $set route their top-level {$min: ...} and {$max: ...}
// fields to the typed variants, where no enclosing expression needs a match view; they and the other
// stages that copy documents keep origins (origin-stages.ts).
import type { Iterator } from 'mingo/lazy';
import * as pipelineOperators from 'mingo/operators/pipeline';
import type { AnyObject, Options } from 'mingo/types';
import { fromMatchValue, inheritOrigin, isViewObject, toMatchValue } from '../bson/match-view.js';
import type { BsonDoc } from '../bson/values.js';
import { TYPED_VARIANTS } from './extreme-operators.js';
import { asMatchView, facet, inheriting, type PipelineOperator } from './origin-stages.js';
import { fieldPathOf } from './typed-values.js';

/** A mingo stage, whose spec type mingo checks when it runs. */
type MingoStage<Spec> = (collection: Iterator, expr: Spec, options: Options) => Iterator;

function mingoStage<Spec>(stage: MingoStage<Spec>): PipelineOperator {
  return (collection, expr, options) => stage(collection, expr as Spec, options);
}

const mingoGroup = mingoStage(pipelineOperators.$group);

/** The accumulators that return stored values. */
const TYPED_ACCUMULATORS = new Set(['$min', '$max', '$first', '$last']);
/** A $group output field holding the stored value of the group's key; no user field starts with '$'. */
const TYPED_ID = '$_sandboxTypedId';

function usesTypedAccumulator(spec: unknown): boolean {
  if (Array.isArray(spec)) return spec.some(usesTypedAccumulator);
  if (typeof spec !== 'object' || spec === null) return false;
  return Object.entries(spec).some(([name, value]) => TYPED_ACCUMULATORS.has(name) || usesTypedAccumulator(value));
}

/** A stage whose accumulators may put stored values in its output. */
function accumulating(stage: PipelineOperator): PipelineOperator {
  return (collection, expr, options) => {
    const output = stage(collection, expr, options);
    return usesTypedAccumulator(expr) ? output.map(asMatchView) : output;
  };
}

/**
 * $group, with the stored value of a field path key (a Double 2 stays a Double, a Long a Long, a
 * missing key is null): mingo groups by the key's match view, so each group's key comes back as its
 * first member's stored value, as mongod keeps the first.
 */
const group: PipelineOperator = (collection, expr, options) => {
  if (!fieldPathOf(expr._id)) return accumulating(mingoGroup)(collection, expr, options);
  const spec = { ...expr, [TYPED_ID]: { $first: expr._id } };
  return mingoGroup(collection, spec, options).map((doc) => {
    const typed = fromMatchValue(doc) as BsonDoc;
    const id = typed.get(TYPED_ID) ?? null;
    typed.delete(TYPED_ID);
    typed.delete('_id');
    return toMatchValue(new Map([['_id', id], ...typed]));
  });
};

/** `spec` with its top-level $min and $max fields routed to the typed variants; itself when it has none. */
function withTypedFields(spec: AnyObject): AnyObject {
  let changed = false;
  const routed: AnyObject = {};
  for (const [name, value] of Object.entries(spec)) {
    const operators = typeof value === 'object' && value !== null ? Object.keys(value) : [];
    const variant = operators.length === 1 ? TYPED_VARIANTS[operators[0]] : undefined;
    routed[name] = variant ? { [variant]: (value as AnyObject)[operators[0]] } : value;
    changed ||= variant !== undefined;
  }
  return changed ? routed : spec;
}

/** A stage that computes fields of each document from expressions. */
function computing(stage: PipelineOperator): PipelineOperator {
  const inherited = inheriting(stage);
  return (collection, expr, options) => {
    const routed = withTypedFields(expr);
    const output = inherited(collection, routed, options);
    return routed === expr ? output : output.map(asMatchView);
  };
}

/** $project puts _id first, as mongod does (mingo appends it after the projected fields). */
function idFirst(stage: PipelineOperator): PipelineOperator {
  return (collection, expr, options) =>
    stage(collection, expr, options).map((doc: unknown) => {
      if (!isViewObject(doc) || !('_id' in doc) || Object.keys(doc)[0] === '_id') return doc;
      const reordered: Record<string, unknown> = { _id: doc._id };
      for (const [name, value] of Object.entries(doc)) {
        if (name !== '_id')
          Object.defineProperty(reordered, name, { value, enumerable: true, writable: true, configurable: true });
      }
      inheritOrigin(reordered, doc);
      return reordered;
    });
}

export const typedStages: Record<string, PipelineOperator> = {
  $group: group,
  $bucket: accumulating(mingoStage(pipelineOperators.$bucket)),
  $bucketAuto: accumulating(mingoStage(pipelineOperators.$bucketAuto)),
  $setWindowFields: accumulating(mingoStage(pipelineOperators.$setWindowFields)),
  $project: idFirst(computing(mingoStage(pipelineOperators.$project))),
  $addFields: computing(mingoStage(pipelineOperators.$addFields)),
  $set: computing(mingoStage(pipelineOperators.$set)),
  $unset: inheriting(mingoStage(pipelineOperators.$unset)),
  $unwind: inheriting(mingoStage(pipelineOperators.$unwind)),
  $lookup: inheriting(mingoStage(pipelineOperators.$lookup)),
  $facet: facet,
};
