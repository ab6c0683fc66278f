// $min, $max, $first and $last over stored BSON values. mingo picks them from match views, where a
// Long beyond 2^53 is a rounded double and types compare in JS order; here values are compared in
// MongoDB's order of BSON values (bson/compare.ts, strings by the operation's collation) and the
// winner is the stored value itself. As accumulators ($group, $bucket, $bucketAuto,
// $setWindowFields) they return that stored value and typed-stages.ts turns their output back into
// match views. As expressions they return its match view, which enclosing expressions can use; the
// typed variants serve top-level fields, which typed-stages.ts rewrites to them.
import * as expressionOperators from 'mingo/operators/expression';
import type { Any, AnyObject, Options } from 'mingo/types';
import { compareValues, type StringOrder } from '../bson/compare.js';
import { toMatchValue } from '../bson/match-view.js';
import { BsonType, typeOf, type BsonValue } from '../bson/values.js';
import { evaluateTyped, evaluateTypedEach } from './typed-values.js';

type ExpressionOperator = (obj: AnyObject | AnyObject[], expr: Any, options: Options) => unknown;
type AccumulatorOperator = (group: AnyObject[], expr: Any, options: Options) => unknown;

/** The expression each top-level {$min: ...} or {$max: ...} field becomes, to return the stored value. */
export const TYPED_VARIANTS: Readonly<Record<string, string>> = {
  $min: '$_sandboxTypedMin',
  $max: '$_sandboxTypedMax',
};

export interface ExtremeOperators {
  readonly expression: Record<string, ExpressionOperator>;
  readonly accumulator: Record<string, AccumulatorOperator>;
}

/** null, missing and undefined take no part in $min and $max. */
function counts(value: BsonValue | undefined): value is BsonValue {
  return value !== undefined && value !== null && typeOf(value) !== BsonType.undefined;
}

/**
 * The expression form's operands: the elements of its one argument when that is an array, else
 * each argument.
 */
function operands(obj: AnyObject, expr: unknown, options: Options): (BsonValue | undefined)[] {
  const args = Array.isArray(expr) ? expr : [expr];
  if (args.length !== 1) return args.map((arg) => evaluateTyped(obj, arg, options));
  const value = evaluateTyped(obj, args[0], options);
  return Array.isArray(value) ? value : [value];
}

export function extremeOperators(compareString: StringOrder): ExtremeOperators {
  /** The first greatest (direction 1) or least (-1) counted value, as mongod keeps the first of equals. */
  const pick = (values: (BsonValue | undefined)[], direction: 1 | -1): BsonValue => {
    let best: BsonValue | undefined;
    for (const value of values) {
      if (counts(value) && (best === undefined || direction * compareValues(value, best, compareString) > 0))
        best = value;
    }
    return best ?? null;
  };

  const accumulate =
    (direction: 1 | -1): AccumulatorOperator =>
    (group, expr, options) =>
      pick(evaluateTypedEach(group, expr, options), direction);
  // mingo calls an expression operator with the group's documents where it stands as an accumulator.
  const typedExpression = (direction: 1 | -1): ExpressionOperator => {
    const accumulator = accumulate(direction);
    return (obj, expr, options) =>
      Array.isArray(obj) ? accumulator(obj, expr, options) : pick(operands(obj, expr, options), direction);
  };
  const viewExpression = (direction: 1 | -1): ExpressionOperator => {
    const typed = typedExpression(direction);
    return (obj, expr, options) => {
      const value = typed(obj, expr, options);
      return Array.isArray(obj) ? value : toMatchValue(value as BsonValue);
    };
  };

  const $first: AccumulatorOperator = (group, expr, options) =>
    group.length === 0 ? null : (evaluateTypedEach(group.slice(0, 1), expr, options)[0] ?? null);
  const $last: AccumulatorOperator = (group, expr, options) =>
    group.length === 0 ? null : (evaluateTypedEach(group.slice(-1), expr, options)[0] ?? null);
  // mingo's expression $first and $last take an array's first and last element: that stays theirs.
  const groupOr =
    (accumulator: AccumulatorOperator, arrayElement: ExpressionOperator): ExpressionOperator =>
    (obj, expr, options) =>
      Array.isArray(obj) ? accumulator(obj, expr, options) : arrayElement(obj, expr, options);

  return {
    accumulator: { $min: accumulate(-1), $max: accumulate(1), $first, $last },
    expression: {
      $min: viewExpression(-1),
      $max: viewExpression(1),
      [TYPED_VARIANTS.$min]: typedExpression(-1),
      [TYPED_VARIANTS.$max]: typedExpression(1),
      $first: groupOr($first, expressionOperators.$first as ExpressionOperator),
      $last: groupOr($last, expressionOperators.$last as ExpressionOperator),
    },
  };
}
