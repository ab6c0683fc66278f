// The $changeStream stage's options, read and checked as mongod 8.0 does (its IDL parser, then
// DocumentSourceChangeStream::assertIsLegalSpecification), including where a stream may be opened.
import { Timestamp, typeAlias, typeOf, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import type { StreamScope } from './events.js';
import type { FullDocumentBeforeChangeMode, FullDocumentMode } from './images.js';
import { isHighWaterMark, parseResumeToken, type ResumeToken } from './resume-token.js';

const INVALID_RESUME_TOKEN = 260;

export type StartPoint =
  | { readonly kind: 'now' }
  | { readonly kind: 'time'; readonly clusterTime: Timestamp }
  | { readonly kind: 'resumeAfter' | 'startAfter'; readonly token: ResumeToken };

export interface ChangeStreamOptions {
  readonly scope: StreamScope;
  readonly start: StartPoint;
  readonly fullDocument: FullDocumentMode;
  readonly fullDocumentBeforeChange: FullDocumentBeforeChangeMode;
  readonly showExpandedEvents: boolean;
}

const FULL_DOCUMENT_MODES = ['default', 'updateLookup', 'whenAvailable', 'required'] as const;
const BEFORE_CHANGE_MODES = ['off', 'whenAvailable', 'required'] as const;
/** Options mongod accepts that change nothing in a one-member replica set. */
const IGNORED_OPTIONS = [
  'showSystemEvents',
  'showMigrationEvents',
  'allowToRunOnConfigDB',
  'allowToRunOnSystemNS',
  'matchCollectionUUIDForUpdateLookup',
];
const KNOWN_OPTIONS = [
  'resumeAfter',
  'startAfter',
  'startAtOperationTime',
  'fullDocument',
  'fullDocumentBeforeChange',
  'allChangesForCluster',
  'showExpandedEvents',
  'showRawUpdateDescription',
  ...IGNORED_OPTIONS,
];

/** `coll` is undefined for {aggregate: 1}. */
export function parseChangeStreamOptions(spec: BsonValue, db: string, coll: string | undefined): ChangeStreamOptions {
  if (!(spec instanceof Map)) throw new CommandError(50808, '$changeStream stage expects a document as argument');
  for (const name of spec.keys())
    if (!KNOWN_OPTIONS.includes(name))
      throw new CommandError(40415, `BSON field '$changeStream.${name}' is an unknown field.`);
  if (optionalBool(spec, 'showRawUpdateDescription'))
    throw new CommandError('BadValue', "The sandbox does not support the 'showRawUpdateDescription' option");
  const allChangesForCluster = optionalBool(spec, 'allChangesForCluster') ?? false;
  const scope = scopeOf(db, coll, allChangesForCluster);
  return {
    scope,
    start: startPoint(spec, scope),
    fullDocument: enumOption(spec, 'fullDocument', FULL_DOCUMENT_MODES) ?? 'default',
    fullDocumentBeforeChange: enumOption(spec, 'fullDocumentBeforeChange', BEFORE_CHANGE_MODES) ?? 'off',
    showExpandedEvents: optionalBool(spec, 'showExpandedEvents') ?? false,
  };
}

function scopeOf(db: string, coll: string | undefined, allChangesForCluster: boolean): StreamScope {
  const ns = coll === undefined ? db : `${db}.${coll}`;
  if (allChangesForCluster && (db !== 'admin' || coll !== undefined))
    throw new CommandError(
      'InvalidOptions',
      `A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name; found ${coll === undefined ? `${db}.$cmd.aggregate` : ns}`,
    );
  if (db === 'admin') {
    if (!allChangesForCluster)
      throw new CommandError('InvalidNamespace', '$changeStream may not be opened on the internal admin database');
    return { kind: 'cluster' };
  }
  if (db === 'local' || db === 'config')
    throw new CommandError('InvalidNamespace', `$changeStream may not be opened on the internal ${db} database`);
  if (coll === undefined) return { kind: 'database', db };
  if (coll.startsWith('system.'))
    throw new CommandError('InvalidNamespace', `$changeStream may not be opened on the internal ${ns} collection`);
  return { kind: 'collection', db, coll };
}

function startPoint(spec: BsonDoc, scope: StreamScope): StartPoint {
  const resumeAfter = tokenOption(spec, 'resumeAfter');
  const startAfter = tokenOption(spec, 'startAfter');
  const time = spec.get('startAtOperationTime');
  if (time !== undefined && !(time instanceof Timestamp)) throw wrongType('startAtOperationTime', time, 'timestamp');
  if (resumeAfter && startAfter)
    throw new CommandError(50865, "Do not specify both 'resumeAfter' and 'startAfter' in a $changeStream stage");
  const token = resumeAfter ?? startAfter;
  if (time && token)
    throw new CommandError(40674, 'Only one type of resume option is allowed, but multiple were found');
  if (time) return { kind: 'time', clusterTime: time };
  if (!token) return { kind: 'now' };
  if (resumeAfter?.fromInvalidate)
    throw new CommandError(
      INVALID_RESUME_TOKEN,
      "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification",
    );
  if (scope.kind === 'collection' && !token.uuid && !isHighWaterMark(token))
    throw new CommandError(
      INVALID_RESUME_TOKEN,
      'Attempted to resume a single-collection stream, but the resume token does not include a UUID',
    );
  return { kind: resumeAfter ? 'resumeAfter' : 'startAfter', token };
}

function tokenOption(spec: BsonDoc, field: string): ResumeToken | undefined {
  const value = spec.get(field);
  if (value === undefined) return undefined;
  if (!(value instanceof Map)) throw wrongType(field, value, 'object');
  return parseResumeToken(value);
}

function optionalBool(spec: BsonDoc, field: string): boolean | undefined {
  const value = spec.get(field);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw wrongType(field, value, 'bool');
  return value;
}

function enumOption<T extends string>(spec: BsonDoc, field: string, allowed: readonly T[]): T | undefined {
  const value = spec.get(field);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw wrongType(field, value, 'string');
  if (!allowed.includes(value as T))
    throw new CommandError(
      'BadValue',
      `Enumeration value '${value}' for field '$changeStream.${field}' is not a valid value.`,
    );
  return value as T;
}

function wrongType(field: string, value: BsonValue, expected: string): CommandError {
  return new CommandError(
    'TypeMismatch',
    `BSON field '$changeStream.${field}' is the wrong type '${typeAlias[typeOf(value)]}', expected type '${expected}'`,
  );
}
