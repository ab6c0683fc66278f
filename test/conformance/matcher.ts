// "Evaluating Matches" of the unified test format: expected values (from the test file) against
// actual values (from the driver). Every function returns null on a match or a one-line reason
// naming the first mismatch with its path, because a reason is what the report prints.
// Malformed expectations (unknown operator, bad argument) throw RunnerError instead: that is a
// runner/test problem, not a server one.
import { BSON } from 'mongodb';
import { RunnerError } from './errors.js';
import { inspectError, summarizeError } from './driver-errors.js';
import {
  BSON_TYPE_NAMES,
  bsonTag,
  bytesOf,
  describe,
  isDocument,
  isNumeric,
  numericCompare,
  scalarEquals,
  typeMatches,
} from './values.js';
import type { Doc, ExpectedError } from './types.js';

/** Entity look-ups needed by $$matchesEntity and $$sessionLsid. */
export interface MatchEntities {
  value(name: string): unknown;
  sessionLsid(name: string): unknown;
}

/**
 * How the top of an expectResult relates to root-level documents: 'root' for a single result
 * document, 'rootElements' for an array of documents from a cursor (find, aggregate, ...),
 * 'value' for plain values such as distinct's array (whose documents allow no extra fields).
 */
export type ResultShape = 'root' | 'rootElements' | 'value';

export type Mismatch = string | null;

function operatorOf(value: unknown): [string, unknown] | undefined {
  if (!isDocument(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0].startsWith('$$')) return [keys[0], value[keys[0]]];
  return undefined;
}

function own(doc: Doc, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(doc, key) ? doc[key] : undefined;
}

function scalarMismatch(expected: unknown, actual: unknown, path: string): Mismatch {
  if (isNumeric(expected) && isNumeric(actual)) {
    return numericCompare(expected, actual) === 0
      ? null
      : `${path}: expected ${describe(expected)}, got ${describe(actual)}`;
  }
  return scalarEquals(expected, actual) ? null : `${path}: expected ${describe(expected)}, got ${describe(actual)}`;
}

/**
 * Match `actual` (undefined = field absent) against `expected`. `root` permits extra fields in
 * the actual document at this level only.
 */
export function matchValue(
  expected: unknown,
  actual: unknown,
  options: { root?: boolean; path?: string; entities?: MatchEntities } = {},
): Mismatch {
  return matchAt(expected, actual, options.path ?? '$', options.root ?? false, options.entities);
}

/**
 * The driver builds some command fields as Maps (sort) or option objects (ReadConcern); in a
 * command they are documents all the same, so they are compared by their own fields.
 */
function normalize(actual: unknown): unknown {
  if (actual instanceof Map) return Object.fromEntries(actual);
  if (
    typeof actual !== 'object' ||
    actual === null ||
    isDocument(actual) ||
    Array.isArray(actual) ||
    bsonTag(actual) !== undefined ||
    actual instanceof Date ||
    actual instanceof RegExp ||
    actual instanceof Uint8Array ||
    actual instanceof Error
  )
    return actual;
  const plain: Doc = {};
  for (const [key, value] of Object.entries(actual)) if (value !== undefined) plain[key] = value;
  return plain;
}

function matchAt(
  expected: unknown,
  rawActual: unknown,
  path: string,
  root: boolean,
  entities?: MatchEntities,
): Mismatch {
  const actual = normalize(rawActual);
  const operator = operatorOf(expected);
  if (operator) return applyOperator(operator[0], operator[1], actual, path, root, entities);
  if (actual === undefined) return `${path}: missing, expected ${describe(expected)}`;

  if (isDocument(expected)) {
    if (!isDocument(actual)) return `${path}: expected a document, got ${describe(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const mismatch = matchAt(value, own(actual, key), `${path}.${key}`, false, entities);
      if (mismatch) return mismatch;
    }
    if (!root) {
      const extra = Object.keys(actual).filter((k) => actual[k] !== undefined && !(k in expected));
      if (extra.length > 0) return `${path}: unexpected field(s) ${extra.join(', ')} in ${describe(actual)}`;
    }
    return null;
  }

  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${describe(actual)}`;
    if (actual.length !== expected.length)
      return `${path}: expected ${expected.length} element(s), got ${actual.length}: ${describe(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const mismatch = matchAt(expected[i], actual[i], `${path}[${i}]`, false, entities);
      if (mismatch) return mismatch;
    }
    return null;
  }

  return scalarMismatch(expected, actual, path);
}

function requireEntities(entities: MatchEntities | undefined, operator: string): MatchEntities {
  if (!entities) throw new RunnerError(`${operator} needs the entity map, which is not available here`);
  return entities;
}

function applyOperator(
  operator: string,
  argument: unknown,
  actual: unknown,
  path: string,
  root: boolean,
  entities?: MatchEntities,
): Mismatch {
  switch (operator) {
    case '$$exists': {
      if (typeof argument !== 'boolean') throw new RunnerError(`$$exists takes a boolean at ${path}`);
      if (argument) return actual === undefined ? `${path}: expected the field to exist` : null;
      return actual === undefined ? null : `${path}: expected the field to be absent, got ${describe(actual)}`;
    }
    case '$$unsetOrMatches':
      return actual === undefined ? null : matchAt(argument, actual, path, root, entities);
    case '$$type': {
      const names = Array.isArray(argument) ? argument : [argument];
      for (const name of names) {
        if (typeof name !== 'string' || (name !== 'number' && !BSON_TYPE_NAMES.includes(name)))
          throw new RunnerError(`$$type: unknown type name ${describe(name)} at ${path}`);
      }
      if (actual === undefined) return `${path}: missing, expected type ${names.join('|')}`;
      return names.some((name) => typeMatches(actual, String(name)))
        ? null
        : `${path}: expected type ${names.join('|')}, got ${describe(actual)}`;
    }
    case '$$matchesEntity': {
      if (typeof argument !== 'string') throw new RunnerError(`$$matchesEntity takes an entity name at ${path}`);
      const value = requireEntities(entities, operator).value(argument);
      return matchAt(value, actual, path, root, entities);
    }
    case '$$matchesHexBytes': {
      if (typeof argument !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(argument))
        throw new RunnerError(`$$matchesHexBytes: malformed hex string ${describe(argument)} at ${path}`);
      const bytes = bytesOf(actual) ?? (typeof actual === 'string' ? Buffer.from(actual, 'latin1') : undefined);
      if (!bytes) return `${path}: expected bytes ${argument}, got ${describe(actual)}`;
      const hex = Buffer.from(bytes).toString('hex');
      return hex === argument.toLowerCase() ? null : `${path}: expected bytes ${argument.toLowerCase()}, got ${hex}`;
    }
    case '$$sessionLsid': {
      if (typeof argument !== 'string') throw new RunnerError(`$$sessionLsid takes a session name at ${path}`);
      const lsid = requireEntities(entities, operator).sessionLsid(argument);
      if (actual === undefined) return `${path}: missing, expected the lsid of ${argument}`;
      return exactMismatch(lsid, actual, path);
    }
    case '$$lte': {
      if (!isNumeric(argument)) throw new RunnerError(`$$lte takes a number at ${path}`);
      if (!isNumeric(actual)) return `${path}: expected a number <= ${describe(argument)}, got ${describe(actual)}`;
      const cmp = numericCompare(actual, argument);
      return cmp !== undefined && cmp <= 0
        ? null
        : `${path}: expected <= ${describe(argument)}, got ${describe(actual)}`;
    }
    case '$$matchAsDocument': {
      if (typeof actual !== 'string') return `${path}: expected an Extended JSON string, got ${describe(actual)}`;
      let parsed: unknown;
      try {
        parsed = BSON.EJSON.parse(actual, { relaxed: false });
      } catch (error) {
        return `${path}: not Extended JSON (${error instanceof Error ? error.message : String(error)})`;
      }
      return matchAt(argument, parsed, path, false, entities);
    }
    case '$$matchAsRoot':
      return matchAt(argument, actual, path, true, entities);
    case '$$placeholder':
      throw new RunnerError(`$$placeholder cannot be used in an expected value (${path})`);
    default:
      throw new RunnerError(`unsupported special operator ${operator} at ${path}`);
  }
}

/** Match an operation's expectResult, honouring which parts are root-level documents. */
export function matchResult(
  expected: unknown,
  actual: unknown,
  shape: ResultShape,
  entities?: MatchEntities,
  path = '$',
): Mismatch {
  if (shape === 'rootElements' && Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${describe(actual)}`;
    if (actual.length !== expected.length)
      return `${path}: expected ${expected.length} document(s), got ${actual.length}: ${describe(actual, 300)}`;
    for (let i = 0; i < expected.length; i++) {
      const mismatch = matchAt(expected[i], actual[i], `${path}[${i}]`, true, entities);
      if (mismatch) return mismatch;
    }
    return null;
  }
  return matchAt(expected, actual, path, shape !== 'value', entities);
}

/**
 * Exact comparison used for outcome data and lsids: no operators, no extra fields at any level,
 * key order ignored, numbers compared by value across int/long/double.
 */
export function exactMismatch(expected: unknown, rawActual: unknown, path = '$'): Mismatch {
  const actual = normalize(rawActual);
  if (isDocument(expected)) {
    if (!isDocument(actual)) return `${path}: expected ${describe(expected)}, got ${describe(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const actualValue = own(actual, key);
      if (actualValue === undefined && value !== undefined)
        return `${path}.${key}: missing, expected ${describe(value)}`;
      const mismatch = exactMismatch(value, actualValue, `${path}.${key}`);
      if (mismatch) return mismatch;
    }
    const extra = Object.keys(actual).filter((k) => actual[k] !== undefined && !(k in expected));
    return extra.length > 0 ? `${path}: unexpected field(s) ${extra.join(', ')} in ${describe(actual)}` : null;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected ${describe(expected)}, got ${describe(actual)}`;
    if (actual.length !== expected.length)
      return `${path}: expected ${expected.length} element(s), got ${actual.length}: ${describe(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const mismatch = exactMismatch(expected[i], actual[i], `${path}[${i}]`);
      if (mismatch) return mismatch;
    }
    return null;
  }
  return scalarMismatch(expected, actual, path);
}

/** Compare a collection's contents (already sorted by _id) with an outcome's documents. */
export function outcomeMismatch(expected: Doc[], actual: unknown[], namespace: string): Mismatch {
  const common = Math.min(expected.length, actual.length);
  for (let i = 0; i < common; i++) {
    const mismatch = exactMismatch(expected[i], actual[i], `${namespace}[${i}]`);
    if (mismatch) return `outcome ${mismatch}`;
  }
  if (expected.length > actual.length)
    return `outcome ${namespace}: ${expected.length - actual.length} document(s) missing, first ${describe(expected[common])}`;
  if (actual.length > expected.length)
    return `outcome ${namespace}: ${actual.length - expected.length} unexpected document(s), first ${describe(actual[common])}`;
  return null;
}

/** Check a thrown error against an expectError block. */
export function errorMismatch(expected: ExpectedError, error: unknown, entities?: MatchEntities): Mismatch {
  const what = summarizeError(error);
  const mismatch = errorMismatchDetail(expected, error, what, entities);
  // Every reason names the actual error, which is what a reader needs to act on it.
  return mismatch === null || mismatch.includes(what) ? mismatch : `${mismatch} [${what}]`;
}

function errorMismatchDetail(
  expected: ExpectedError,
  error: unknown,
  what: string,
  entities?: MatchEntities,
): Mismatch {
  const facts = inspectError(error);
  if (!facts.isDriverError) return `expected a driver error, got ${what}`;

  if (expected.isClientError === true && facts.isServerError)
    return `expected a client-side error, got server error ${what}`;
  if (expected.isClientError === false && !facts.isServerError)
    return `expected a server error, got client-side ${what}`;
  if (expected.isTimeoutError === true && !facts.isTimeoutError) return `expected a timeout error, got ${what}`;
  if (expected.isTimeoutError === false && facts.isTimeoutError) return `expected no timeout error, got ${what}`;

  if (expected.errorContains !== undefined) {
    const needle = expected.errorContains.toLowerCase();
    if (!facts.messages.some((m) => m.toLowerCase().includes(needle)))
      return `expected error message containing "${expected.errorContains}", got ${JSON.stringify(facts.messages)}`;
  }
  if (expected.errorCode !== undefined && !facts.codes.includes(expected.errorCode))
    return `expected error code ${expected.errorCode}, got ${facts.codes.length > 0 ? facts.codes.join('/') : 'none'} (${what})`;
  if (expected.errorCodeName !== undefined) {
    const name = expected.errorCodeName.toLowerCase();
    if (!facts.codeNames.some((n) => n.toLowerCase() === name))
      return `expected codeName ${expected.errorCodeName}, got ${facts.codeNames.join('/') || 'none'} (${what})`;
  }
  for (const label of expected.errorLabelsContain ?? []) {
    if (!facts.labels.includes(label))
      return `expected error label ${label}, got [${facts.labels.join(', ')}] (${what})`;
  }
  for (const label of expected.errorLabelsOmit ?? []) {
    if (facts.labels.includes(label)) return `expected no error label ${label} (${what})`;
  }

  if (expected.writeErrors !== undefined) {
    const actual = facts.writeErrors;
    if (!actual) return `expected writeErrors, the error has none (${what})`;
    for (const [index, value] of Object.entries(expected.writeErrors)) {
      if (actual[index] === undefined)
        return `expected a write error at index ${index}, got indexes [${Object.keys(actual).join(', ')}]`;
      const mismatch = matchValue(value, actual[index], { root: true, path: `writeErrors.${index}`, entities });
      if (mismatch) return mismatch;
    }
    const extra = Object.keys(actual).filter((k) => !(k in (expected.writeErrors ?? {})));
    if (extra.length > 0) return `unexpected write error(s) at index ${extra.join(', ')}: ${describe(actual)}`;
  }

  if (expected.writeConcernErrors !== undefined) {
    const actual = facts.writeConcernErrors ?? [];
    if (actual.length !== expected.writeConcernErrors.length)
      return `expected ${expected.writeConcernErrors.length} write concern error(s), got ${actual.length}`;
    for (let i = 0; i < actual.length; i++) {
      const mismatch = matchValue(expected.writeConcernErrors[i], actual[i], {
        root: true,
        path: `writeConcernErrors[${i}]`,
        entities,
      });
      if (mismatch) return mismatch;
    }
  }

  if (expected.errorResponse !== undefined) {
    if (!facts.response) return `expected a server response in the error, got ${what}`;
    const mismatch = matchValue(expected.errorResponse, facts.response, {
      root: true,
      path: 'errorResponse',
      entities,
    });
    if (mismatch) return mismatch;
  }

  if (expected.hasExpectResult) {
    const mismatch = matchResult(expected.expectResult, facts.partialResult, 'root', entities, 'error.expectResult');
    if (mismatch) return mismatch;
  }
  return null;
}
