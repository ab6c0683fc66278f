// The BSON value an expression evaluates to, for the operators whose answer depends on BSON types
// that the match view folds into JS numbers and strings (Long, Decimal128, Double, Symbol). A field
// path is followed through the views' origins (bson/match-view.ts), so it yields the stored value
// itself; any other expression is evaluated by mingo and typed by its JS value.
import { evalExpr } from 'mingo/core';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import type { AnyObject, Options } from 'mingo/types';
import { fromMatchValue, isViewObject, originOf } from '../bson/match-view.js';
import type { BsonValue } from '../bson/values.js';

/** Variables that are not documents to follow a path into; mingo answers them itself. */
const OPAQUE_VARIABLES = new Set(['$$KEEP', '$$PRUNE', '$$DESCEND', '$$REMOVE']);

interface FieldPath {
  /** The variable the path starts from; '$$ROOT' for a plain field path, as mingo reads one. */
  readonly base: string;
  readonly parts: readonly string[];
}

/** `expr` as a field path ('$a.b', '$$ROOT.a', '$$var.a'), or undefined when it is not one. */
export function fieldPathOf(expr: unknown): FieldPath | undefined {
  if (typeof expr !== 'string' || !expr.startsWith('$') || expr.length < 2) return undefined;
  if (!expr.startsWith('$$')) return { base: '$$ROOT', parts: expr.slice(1).split('.') };
  const dot = expr.indexOf('.');
  const base = dot === -1 ? expr : expr.slice(0, dot);
  if (OPAQUE_VARIABLES.has(base)) return undefined;
  return { base, parts: dot === -1 ? [] : expr.slice(dot + 1).split('.') };
}

/**
 * The typed value at `parts` below a match-view value, with aggregation's path rules: a path through
 * an array applies to each element (arrays nested in it included) and leaves out elements without
 * the field. `original` is the typed value `view` was made from, when known.
 */
function typedAtPath(
  view: unknown,
  parts: readonly string[],
  index: number,
  original?: BsonValue,
): BsonValue | undefined {
  if (view === undefined) return undefined;
  if (index === parts.length) return fromMatchValue(view, original);
  if (Array.isArray(view)) {
    const found: BsonValue[] = [];
    for (const item of view) {
      if (!Array.isArray(item) && !isViewObject(item)) continue;
      const value = typedAtPath(item, parts, index);
      if (value !== undefined) found.push(value);
    }
    return found;
  }
  const name = parts[index];
  if (!isViewObject(view) || !Object.hasOwn(view, name)) return undefined;
  const origin = originOf(view);
  return typedAtPath(view[name], parts, index + 1, origin instanceof Map ? origin.get(name) : undefined);
}

/** The typed value of the field path `path` for `obj`; undefined when it is missing. */
export function typedFieldPath(obj: AnyObject, path: FieldPath, options: Options): BsonValue | undefined {
  return typedAtPath(evalExpr(obj, path.base, options), path.parts, 0);
}

/** The typed value of `expr` for `obj`; undefined when it is missing. */
export function evaluateTyped(obj: AnyObject, expr: unknown, options: Options): BsonValue | undefined {
  const path = fieldPathOf(expr);
  if (path) return typedFieldPath(obj, path, options);
  const value = evalExpr(obj, expr, options);
  return value === undefined ? undefined : fromMatchValue(value);
}

/**
 * The typed value of `expr` for each document of a group, as an accumulator sees them. Missing
 * values are undefined for field paths and null for other expressions (mingo's $push reports them so).
 */
export function evaluateTypedEach(group: AnyObject[], expr: unknown, options: Options): (BsonValue | undefined)[] {
  const path = fieldPathOf(expr);
  if (path?.base === '$$ROOT' || path?.base === '$$CURRENT') return group.map((doc) => typedAtPath(doc, path.parts, 0));
  if (path) return group.map((doc) => typedFieldPath(doc, path, options));
  const values: unknown[] = accumulatorOperators.$push(group, expr, options);
  return values.map((value) => fromMatchValue(value));
}

/** The typed value of the top-level field `name` of a match-view document (undefined when missing). */
export function typedField(doc: AnyObject, name: string): BsonValue | undefined {
  if (!Object.hasOwn(doc, name)) return undefined;
  const origin = originOf(doc);
  return fromMatchValue(doc[name], origin instanceof Map ? origin.get(name) : undefined);
}
