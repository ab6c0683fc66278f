// Reads what an `expectError` can assert out of a driver error. Errors are recognised by the
// class names on their prototype chain rather than `instanceof`, so the check cannot be fooled
// by two copies of the driver, and the bulk-write wrappers are unwrapped the way the spec asks:
// collection bulkWrite aggregates its write errors, client bulkWrite keeps the top-level cause
// apart from its per-write errors.
import { bulkWriteResultDoc, clientBulkWriteResultDoc } from './results.js';
import { asNumber, isDocument } from './values.js';
import type { Doc } from './types.js';

export interface ErrorFacts {
  className: string;
  isDriverError: boolean;
  isServerError: boolean;
  isTimeoutError: boolean;
  messages: string[];
  codes: number[];
  codeNames: string[];
  labels: string[];
  /** The server reply the error was built from, if any. */
  response: Doc | undefined;
  /** clientBulkWrite per-write errors keyed by model index. */
  writeErrors: Doc | undefined;
  writeConcernErrors: Doc[] | undefined;
  /** Result carried by a bulk write error (BulkWriteResult / partial ClientBulkWriteResult). */
  partialResult: unknown;
}

function get(source: unknown, key: string): unknown {
  if (typeof source !== 'object' || source === null) return undefined;
  return (source as Record<string, unknown>)[key];
}

export function classChain(error: unknown): string[] {
  const names: string[] = [];
  let proto: unknown = typeof error === 'object' && error !== null ? Object.getPrototypeOf(error) : null;
  while (typeof proto === 'object' && proto !== null) {
    const ctor = get(proto, 'constructor');
    if (typeof ctor === 'function' && ctor.name) names.push(ctor.name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

function isA(error: unknown, className: string): boolean {
  return classChain(error).includes(className);
}

/** Server replies are documents; a bulk error may instead hold the Error it wraps. */
function responseOf(error: unknown): Doc | undefined {
  let response = get(error, 'errorResponse');
  for (let depth = 0; depth < 3 && response instanceof Error; depth++) response = get(response, 'errorResponse');
  return isDocument(response) ? response : undefined;
}

function isServerError(error: unknown): boolean {
  if (isA(error, 'MongoBulkWriteError')) {
    // The driver (NODE-6281) wraps client-side failures in MongoBulkWriteError too.
    const inner = get(error, 'errorResponse');
    if (inner instanceof Error) return isServerError(inner);
  }
  return isA(error, 'MongoServerError');
}

function collect<T>(values: unknown[], pick: (v: unknown) => T | undefined): T[] {
  const out: T[] = [];
  for (const value of values) {
    const picked = pick(value);
    if (picked !== undefined && !out.includes(picked)) out.push(picked);
  }
  return out;
}

const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function labelsOf(error: unknown): string[] {
  const labels = get(error, 'errorLabels');
  return Array.isArray(labels) ? labels.filter((l): l is string => typeof l === 'string') : [];
}

function clientWriteErrors(error: unknown): Doc | undefined {
  const map = get(error, 'writeErrors');
  if (!(map instanceof Map)) return undefined;
  const out: Doc = {};
  for (const [index, writeError] of map) out[String(index)] = isDocument(writeError) ? writeError : { ...writeError };
  return out;
}

/** Sub-errors of a collection bulkWrite error: each write error and the write concern error. */
function bulkSubErrors(error: unknown): unknown[] {
  const subs: unknown[] = [];
  const writeErrors = get(error, 'writeErrors');
  if (Array.isArray(writeErrors)) {
    // WriteError keeps the raw server document under `err`.
    for (const writeError of writeErrors) subs.push(get(writeError, 'err') ?? writeError);
  }
  const wce = get(get(error, 'result'), 'writeConcernError') ?? get(error, 'writeConcernError');
  if (wce !== undefined) subs.push(get(wce, 'result') ?? wce);
  return subs;
}

export function inspectError(error: unknown): ErrorFacts {
  const chain = classChain(error);
  const isClientBulk = chain.includes('MongoClientBulkWriteError');
  // clientBulkWrite: codes and messages come from the top-level `cause` only (spec).
  const primary = isClientBulk ? (get(error, 'cause') ?? error) : error;
  const response = responseOf(primary);
  const sources: unknown[] = [primary, response];
  if (isClientBulk) sources.push(error);
  if (chain.includes('MongoBulkWriteError')) sources.push(...bulkSubErrors(error));

  const messages = collect(sources, (s) => asString(get(s, 'message')));
  messages.push(...collect(sources, (s) => asString(get(s, 'errmsg'))));
  const wceList = get(error, 'writeConcernErrors');

  let partialResult: unknown;
  if (isClientBulk) partialResult = clientBulkWriteResultDoc(get(error, 'partialResult'));
  else if (chain.includes('MongoBulkWriteError') && get(error, 'result') !== undefined)
    partialResult = bulkWriteResultDoc(get(error, 'result'));

  return {
    className: chain[0] ?? typeof error,
    isDriverError: chain.includes('MongoError'),
    isServerError: isServerError(primary),
    isTimeoutError: chain.includes('MongoOperationTimeoutError'),
    messages,
    codes: collect(isClientBulk ? [primary, response] : sources, (s) => asNumber(get(s, 'code'))),
    codeNames: collect(sources, (s) => asString(get(s, 'codeName'))),
    labels: [...new Set([...labelsOf(primary), ...labelsOf(error)])],
    response,
    writeErrors: isClientBulk ? clientWriteErrors(error) : undefined,
    writeConcernErrors: Array.isArray(wceList) ? wceList.filter(isDocument) : undefined,
    partialResult,
  };
}

/** One-line rendering of an error for failure reasons. */
export function summarizeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const facts = inspectError(error);
  const code = facts.codes.length > 0 ? ` (code ${facts.codes.join('/')})` : '';
  const cause = get(error, 'cause');
  const causeText =
    facts.className === 'MongoClientBulkWriteError' && cause instanceof Error ? `: ${cause.message}` : '';
  return `${facts.className}${code}: ${error.message}${causeText}`.replace(/\s+/g, ' ');
}
