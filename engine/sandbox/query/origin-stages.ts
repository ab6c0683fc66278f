// mingo's stages that copy documents, made to pass on the origin of each input (bson/match-view.ts)
// to the documents made of it, so fields they copy keep their stored BSON types for the operators
// that look at types ($type, $max, ...) and for the final conversion. mingo's own copies (spreads,
// and the deep clones $facet gives its sub-pipelines) would lose it.
import { Aggregator } from 'mingo/aggregator';
import { Lazy, type Iterator } from 'mingo/lazy';
import type { AnyObject, Options } from 'mingo/types';
import { fromMatchValue, inheritOrigin, toMatchValue } from '../bson/match-view.js';
import { CommandError } from '../errors.js';

export type PipelineOperator = (collection: Iterator, expr: AnyObject, options: Options) => Iterator;

/** A copy of `doc` as a match view with its own origin; values it shares with its origin keep their types. */
export function asMatchView(doc: unknown): unknown {
  return toMatchValue(fromMatchValue(doc));
}

/**
 * A streaming stage: it pulls one input at a time and emits what it makes of it before pulling the
 * next, so each output inherits the origin of the input last pulled.
 */
export function inheriting(stage: PipelineOperator): PipelineOperator {
  return (collection, expr, options) => {
    let input: unknown;
    const remembered = collection.map((doc: unknown) => {
      input = doc;
      return doc;
    });
    return stage(remembered, expr, options).map((doc: unknown) => {
      inheritOrigin(doc, input);
      return doc;
    });
  };
}

/** $facet: each sub-pipeline runs on its own copies of the input, as in mingo, but copies with origins. */
export const facet: PipelineOperator = (collection, expr, options) => {
  const pipelines = Object.entries(expr);
  for (const [, pipeline] of pipelines)
    if (Array.isArray(pipeline) && pipeline.length === 0)
      throw new CommandError('BadValue', 'sub-pipeline in $facet stage cannot be empty');
  return collection.transform((docs: unknown[]) => {
    const out: AnyObject = {};
    for (const [name, pipeline] of pipelines)
      out[name] = new Aggregator(pipeline as AnyObject[], options).run(docs.map(asMatchView));
    return Lazy([out]);
  });
};
