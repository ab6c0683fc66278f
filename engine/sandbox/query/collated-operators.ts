// mingo's comparison operators under a collation: mingo compares strings by code unit and knows no
// collations, so these replace its query operators ($eq, $ne, $in, $nin, $all, $gt, $gte, $lt, $lte)
// and expression comparisons ($eq, $ne, $gt, $gte, $lt, $lte, $cmp). An operand that holds no string
// goes to mingo's own operator, so only string comparisons change; one that holds strings (at any
// depth) compares by the collation in MongoDB's order of BSON values (bson/compare.ts).
import { evalExpr } from 'mingo/core';
import * as expressionOperators from 'mingo/operators/expression';
import * as queryOperators from 'mingo/operators/query';
import type { AnyObject, Options } from 'mingo/types';
import { ensureArray, flatten, isArray, isNil, isRegExp, isString, resolve, typeOf } from 'mingo/util';
import type { Collation } from '../bson/collation.js';
import { compareValues } from '../bson/compare.js';
import { fromMatchValue } from '../bson/match-view.js';

type Test = (value: unknown) => boolean;
type DocumentTest = (doc: AnyObject) => boolean;
type QueryOperator = (selector: string, value: unknown, options: Options) => DocumentTest;
type ExpressionOperator = (obj: AnyObject, expr: unknown, options: Options) => unknown;
type Order = (a: unknown, b: unknown) => number;

const RESOLVE_OPTIONS = { unwrapArray: true };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether a match-view value is or contains a string, the only values a collation compares differently. */
function holdsString(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (Array.isArray(value)) return value.some(holdsString);
  return isPlainObject(value) && Object.values(value).some(holdsString);
}

function orderOf(collation: Collation): Order {
  return (a, b) =>
    typeof a === 'string' && typeof b === 'string'
      ? collation.compare(a, b)
      : compareValues(fromMatchValue(a), fromMatchValue(b), collation.compare);
}

/** A test for "equal to `target` under the collation", with a fast path for the usual string target. */
function equalTo(target: unknown, order: Order): Test {
  if (typeof target === 'string') return (value) => typeof value === 'string' && order(value, target) === 0;
  return (value) => order(value, target) === 0;
}

function resolved(doc: AnyObject, selector: string): unknown {
  return resolve(doc, selector, RESOLVE_OPTIONS);
}

export function collatedQueryOperators(collation: Collation): Record<string, QueryOperator> {
  const order = orderOf(collation);

  // As mingo's $eq: the value itself, any element of an array, or any element of arrays met on the path.
  const $eq: QueryOperator = (selector, value, options) => {
    if (!holdsString(value)) return queryOperators.$eq(selector, value, options);
    const depth = selector.split('.').length - 1;
    const test = equalTo(value, order);
    return (doc) => {
      const found = resolved(doc, selector);
      return test(found) || (isArray(found) && (found.some(test) || flatten(found, depth).some(test)));
    };
  };

  const $in: QueryOperator = (selector, value, options) => {
    if (!isArray(value) || !value.some(holdsString)) return queryOperators.$in(selector, value, options);
    const tests: Test[] = value.map((item) =>
      isRegExp(item) ? (found: unknown) => isString(found) && item.test(found) : equalTo(item, order),
    );
    return (doc) => {
      const found = resolved(doc, selector);
      if (isNil(found)) return value.some((item) => item === null);
      const candidates = ensureArray(found);
      return tests.some((test) => candidates.some(test));
    };
  };

  // Each member is tested on its own, as by mingo (on an array field); $elemMatch and regex members stay mingo's.
  const $all: QueryOperator = (selector, value, options) => {
    if (!isArray(value) || !value.some(holdsString)) return queryOperators.$all(selector, value, options);
    const parts = value.map((item): DocumentTest => {
      if (!holdsString(item) || isRegExp(item) || (isPlainObject(item) && '$elemMatch' in item))
        return queryOperators.$all(selector, [item], options);
      const test = equalTo(item, order);
      return (doc) => {
        const found = resolved(doc, selector);
        return isArray(found) && found.some(test);
      };
    });
    return (doc) => parts.every((part) => part(doc));
  };

  const range =
    (mingoOperator: QueryOperator, accepts: (order: number) => boolean): QueryOperator =>
    (selector, value, options) => {
      if (!holdsString(value)) return mingoOperator(selector, value, options);
      const type = typeOf(value);
      return (doc) =>
        ensureArray(resolved(doc, selector)).some((found) => typeOf(found) === type && accepts(order(found, value)));
    };

  return {
    $eq,
    $ne: negated($eq),
    $in,
    $nin: negated($in),
    $all,
    $gt: range(queryOperators.$gt, (c) => c > 0),
    $gte: range(queryOperators.$gte, (c) => c >= 0),
    $lt: range(queryOperators.$lt, (c) => c < 0),
    $lte: range(queryOperators.$lte, (c) => c <= 0),
  };
}

function negated(operator: QueryOperator): QueryOperator {
  return (selector, value, options) => {
    const test = operator(selector, value, options);
    return (doc) => !test(doc);
  };
}

export function collatedExpressionOperators(collation: Collation): Record<string, ExpressionOperator> {
  const order = orderOf(collation);
  const comparison =
    (mingoOperator: ExpressionOperator, result: (order: number) => unknown): ExpressionOperator =>
    (obj, expr, options) => {
      if (!isArray(expr) || expr.length !== 2) return mingoOperator(obj, expr, options);
      const [a, b] = evalExpr(obj, expr, options) as [unknown, unknown];
      // Already evaluated: mingo gets them back as literals, so nothing is evaluated twice.
      if (!holdsString(a) && !holdsString(b)) return mingoOperator(obj, [{ $literal: a }, { $literal: b }], options);
      return result(order(a, b));
    };
  return {
    $eq: comparison(expressionOperators.$eq, (c) => c === 0),
    $ne: comparison(expressionOperators.$ne, (c) => c !== 0),
    $gt: comparison(expressionOperators.$gt, (c) => c > 0),
    $gte: comparison(expressionOperators.$gte, (c) => c >= 0),
    $lt: comparison(expressionOperators.$lt, (c) => c < 0),
    $lte: comparison(expressionOperators.$lte, (c) => c <= 0),
    $cmp: comparison(expressionOperators.$cmp, (c) => c),
  };
}
