// The operators whose answer is a value's BSON type, judged on the stored value rather than on the
// match view (where a Long is a JS number and an ObjectId an 'objectid'): the $type and $isNumber
// expressions, the $type query operator, $bsonSize, and $toString / $convert to string of the values
// mingo cannot write exactly (Long, Decimal128, ObjectId).
import { evalExpr } from 'mingo/core';
import * as expressionOperators from 'mingo/operators/expression';
import type { Any, AnyObject, Options } from 'mingo/types';
import { encodeDocument } from '../bson/encode.js';
import { isBsonNumber, isLong } from '../bson/numeric.js';
import { getPathValues, splitPath } from '../bson/path.js';
import { BsonType, Decimal128, ObjectId, RawDocument, typeAlias, typeOf, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { evaluateTyped, fieldPathOf, typedField, typedFieldPath } from './typed-values.js';

type ExpressionOperator = (obj: AnyObject, expr: Any, options: Options) => unknown;
type QueryOperator = (selector: string, value: Any, options: Options) => (doc: AnyObject) => boolean;

/** The argument of a one-argument expression, which may also be written as an array of one. */
function onlyArgument(operator: string, expr: unknown): unknown {
  if (!Array.isArray(expr)) return expr;
  if (expr.length !== 1)
    throw new CommandError(16020, `Expression ${operator} takes exactly 1 arguments. ${expr.length} were passed in.`);
  return expr[0];
}

const $type: ExpressionOperator = (obj, expr, options) => {
  const value = evaluateTyped(obj, onlyArgument('$type', expr), options);
  return value === undefined ? 'missing' : typeAlias[typeOf(value)];
};

const $isNumber: ExpressionOperator = (obj, expr, options) => {
  const value = evaluateTyped(obj, onlyArgument('$isNumber', expr), options);
  return value !== undefined && isBsonNumber(value);
};

const $bsonSize: ExpressionOperator = (obj, expr, options) => {
  const value = evaluateTyped(obj, onlyArgument('$bsonSize', expr), options);
  if (value === undefined || value === null || typeOf(value) === BsonType.undefined) return null;
  if (value instanceof RawDocument) return value.bytes.length;
  if (!(value instanceof Map))
    throw new CommandError(31393, `$bsonSize requires a document input, found: ${typeAlias[typeOf(value)]}`);
  return encodeDocument(value).length;
};

/** The string mongod converts `value` to, for the types mingo would write differently. */
function exactString(value: BsonValue | undefined): string | undefined {
  if (isLong(value)) return value.toBigInt().toString();
  if (value instanceof Decimal128) return value.toString();
  if (value instanceof ObjectId) return value.toHexString();
  return undefined;
}

/** The exact string of a field path's value, when mingo's would not be exact. */
function exactStringOf(obj: AnyObject, expr: unknown, options: Options): string | undefined {
  const path = fieldPathOf(expr);
  return path ? exactString(typedFieldPath(obj, path, options)) : undefined;
}

const $toString: ExpressionOperator = (obj, expr, options) =>
  exactStringOf(obj, expr, options) ?? expressionOperators.$toString(obj, expr, options);

const $convert: ExpressionOperator = (obj, expr, options) => {
  if (typeof expr === 'object' && expr !== null && 'input' in expr && 'to' in expr) {
    const to = evalExpr(obj, expr.to, options);
    const exact = to === 'string' || to === BsonType.string ? exactStringOf(obj, expr.input, options) : undefined;
    if (exact !== undefined) return exact;
  }
  return expressionOperators.$convert(obj, expr as Parameters<typeof expressionOperators.$convert>[1], options);
};

export const typeExpressionOperators: Record<string, ExpressionOperator> = {
  $type,
  $isNumber,
  $bsonSize,
  $toString,
  $convert,
};

const NUMBER_TYPES = [BsonType.double, BsonType.int, BsonType.long, BsonType.decimal];
const TYPE_BY_ALIAS: ReadonlyMap<string, number> = new Map(Object.entries(BsonType));
/** $type's numeric codes name MinKey -1; the typed view keeps its wire byte. */
const TYPE_BY_CODE: ReadonlyMap<number, number> = new Map(
  Object.values(BsonType).map((type) => [type === BsonType.minKey ? -1 : type, type]),
);

/** The BSON types a $type query argument names, refused with mongod's MatcherTypeSet errors. */
function typeSet(argument: unknown): Set<number> {
  const types = new Set<number>();
  for (const item of Array.isArray(argument) ? argument : [argument]) {
    if (typeof item === 'string') {
      if (item === 'number') NUMBER_TYPES.forEach((type) => types.add(type));
      else types.add(typeByAlias(item));
    } else if (typeof item === 'number') {
      types.add(typeByCode(item));
    } else {
      throw new CommandError('TypeMismatch', 'type must be represented as a number or a string');
    }
  }
  return types;
}

function typeByAlias(alias: string): number {
  const type = TYPE_BY_ALIAS.get(alias);
  if (type !== undefined) return type;
  if (alias === 'missing')
    throw new CommandError(
      'BadValue',
      "'missing' is not a legal type name. To query for non-existence of a field, use {$exists:false}.",
    );
  throw new CommandError('BadValue', `Unknown type name alias: ${alias}`);
}

function typeByCode(code: number): number {
  if (code === 0)
    throw new CommandError('BadValue', `Invalid numerical type code: ${code}. Instead use {$exists:false}.`);
  const type = Number.isInteger(code) ? TYPE_BY_CODE.get(code) : undefined;
  if (type === undefined) throw new CommandError('BadValue', `Invalid numerical type code: ${code}`);
  return type;
}

/** A value matches when it has one of the types; an array also when one of its elements does. */
function hasType(value: BsonValue, types: ReadonlySet<number>): boolean {
  if (types.has(typeOf(value))) return true;
  return Array.isArray(value) && value.some((item) => types.has(typeOf(item)));
}

const $typeQuery: QueryOperator = (selector, value) => {
  const types = typeSet(value);
  const parts = splitPath(selector);
  return (doc) => {
    const top = typedField(doc, parts[0]);
    if (top === undefined) return false;
    return getPathValues(new Map([[parts[0], top]]), parts).some((found) => hasType(found, types));
  };
};

export const typeQueryOperators: Record<string, QueryOperator> = { $type: $typeQuery };
