// Preparation of operation.arguments for a driver call (spec "Special Handling for Arguments"):
// unknown arguments are rejected, `session` becomes the session entity, read/write concern and
// read preference become driver objects, payloads sent to the server keep their BSON types and
// every other option is unwrapped to a plain JS value.
import type { Document } from 'mongodb';
import { readConcernFrom, readPreferenceFrom, writeConcernFrom } from './driver-options.js';
import type { EntityMap } from './entities.js';
import { RunnerError } from './errors.js';
import { isDocument, toNative } from './values.js';
import type { Doc } from './types.js';

/** Arguments whose values travel to the server as written, so their types must survive. */
const PAYLOAD_ARGUMENTS = new Set([
  'filter',
  'update',
  'replacement',
  'document',
  'documents',
  'pipeline',
  'let',
  'hint',
  'projection',
  'arrayFilters',
  'comment',
  'command',
  'validator',
  'resumeAfter',
  'startAfter',
  'startAtOperationTime',
  'failPoint',
  'collation',
]);

export interface ArgumentSpec {
  required?: readonly string[];
  /** Accepted optional arguments, or 'any' for pass-through operations (createCollection). */
  optional?: readonly string[] | 'any';
}

/** Validate argument names against a spec; throws RunnerError naming the offending key. */
export function checkArgumentNames(args: Doc, spec: ArgumentSpec, where: string): void {
  for (const key of spec.required ?? []) {
    if (args[key] === undefined) throw new RunnerError(`${where}: missing required argument "${key}"`);
  }
  if (spec.optional === 'any') return;
  const known = new Set([...(spec.required ?? []), ...(spec.optional ?? [])]);
  for (const key of Object.keys(args)) {
    if (!known.has(key)) throw new RunnerError(`${where}: unsupported argument "${key}"`);
  }
}

/** Convert one argument value for the driver. */
export function prepareValue(key: string, value: unknown, entities: EntityMap): unknown {
  switch (key) {
    case 'session':
      return entities.session(String(value));
    case 'readConcern':
      return readConcernFrom(value);
    case 'readPreference':
      return readPreferenceFrom(value);
    case 'writeConcern':
      return writeConcernFrom(value);
    case 'returnDocument': {
      // The format writes the CRUD enum ("Before"/"After"); the driver wants lower case.
      const text = String(value).toLowerCase();
      if (text !== 'before' && text !== 'after')
        throw new RunnerError(`returnDocument must be Before or After, got ${String(value)}`);
      return text;
    }
    default:
      return PAYLOAD_ARGUMENTS.has(key) ? value : toNative(value);
  }
}

/** All arguments converted; the result is handed to the driver as an options document. */
export function prepareArguments(args: Doc, entities: EntityMap): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(args)) out[key] = prepareValue(key, value, entities);
  return out;
}

/** Split prepared arguments into the named positional ones and the remaining options. */
export function split<K extends string>(args: Document, ...names: K[]): [Record<K, unknown>, Document] {
  const picked = {} as Record<K, unknown>;
  const rest: Document = { ...args };
  for (const name of names) {
    picked[name] = rest[name];
    delete rest[name];
  }
  return [picked, rest];
}

export function asDocumentArg(value: unknown, name: string): Document {
  if (!isDocument(value)) throw new RunnerError(`argument "${name}" must be a document`);
  return value;
}

export function asDocumentList(value: unknown, name: string): Document[] {
  if (!Array.isArray(value) || !value.every(isDocument))
    throw new RunnerError(`argument "${name}" must be an array of documents`);
  return value;
}

/** An update is either a modifier document or an aggregation pipeline. */
export function asUpdateArg(value: unknown): Document | Document[] {
  return Array.isArray(value) ? asDocumentList(value, 'update') : asDocumentArg(value, 'update');
}

export function asStringArg(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new RunnerError(`argument "${name}" must be a string`);
  return value;
}
