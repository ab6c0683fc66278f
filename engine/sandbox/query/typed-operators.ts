// The operators that judge or return stored BSON values rather than match views, as one mingo
// context per string order: the type operators (type-operators.ts), $min, $max, $first and $last
// (extreme-operators.ts) and the stages that turn stored values back into match views (typed-stages.ts).
import { Context } from 'mingo/core';
import type { StringOrder } from '../bson/compare.js';
import { extremeOperators } from './extreme-operators.js';
import { typeExpressionOperators, typeQueryOperators } from './type-operators.js';
import { typedStages } from './typed-stages.js';

export function typedOperators(compareString: StringOrder): Context {
  const extremes = extremeOperators(compareString);
  return Context.init({
    expression: { ...typeExpressionOperators, ...extremes.expression },
    accumulator: extremes.accumulator,
    query: typeQueryOperators,
    pipeline: typedStages,
  });
}
