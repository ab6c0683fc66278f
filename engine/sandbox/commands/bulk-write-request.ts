// Reading a bulkWrite command as mongod 8.0's IDL parser and validateRequest do: every op and
// namespace is checked before anything is written, so a malformed request fails as a whole.
import { decodeDocument } from '../bson/decode.js';
import { formatValue } from '../bson/format.js';
import type { BsonDoc } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { splitNamespace } from '../storage/catalog.js';
import { optionalBool, optionalDoc, optionalNumber, optionalString, requiredDocumentsArg } from './args.js';
import { rejectUnknownFields } from './strict-fields.js';
import type { CommandContext } from './types.js';
import {
  arrayFiltersOf,
  modification,
  rejectUnknownStatementFields,
  requiredDoc,
  statementsOf,
  type DeleteStatement,
  type UpdateStatement,
} from './writes.js';

const COMMAND = 'bulkWrite';
const OPS_PREFIX = 'bulkWrite.ops';
const NS_INFO_PREFIX = 'bulkWrite.nsInfo';
const BULK_WRITE_FIELDS = [
  'ops',
  'nsInfo',
  'cursor',
  'bypassDocumentValidation',
  'ordered',
  'errorsOnly',
  'let',
  'stmtId',
  'stmtIds',
];
const OP_FIELDS = {
  insert: ['insert', 'document'],
  update: [
    'update',
    'filter',
    'multi',
    'updateMods',
    'upsert',
    'upsertSupplied',
    'arrayFilters',
    'hint',
    'constants',
    'collation',
    'sort',
    'sampleId',
    '$_allowShardKeyUpdatesWithoutFullShardKeyInQuery',
  ],
  delete: ['delete', 'filter', 'multi', 'hint', 'collation', 'sampleId'],
} as const;
const NS_INFO_FIELDS = [
  'ns',
  'collectionUUID',
  'encryptionInformation',
  'isTimeseriesNamespace',
  'shardVersion',
  'databaseVersion',
];
/** nsInfo fields for collection UUID checks, queryable encryption and sharding, which the sandbox lacks. */
const UNSUPPORTED_NS_INFO_FIELDS = new Set(NS_INFO_FIELDS.slice(1));

type OpKind = keyof typeof OP_FIELDS;

interface OpBase {
  /** Index into the request's namespaces. */
  readonly nsIndex: number;
  /** The op as sent, for messages. */
  readonly source: BsonDoc;
}

export type BulkOp =
  | (OpBase & { readonly kind: 'insert'; readonly document: BsonDoc })
  | (OpBase & { readonly kind: 'update'; readonly statement: UpdateStatement })
  | (OpBase & { readonly kind: 'delete'; readonly statement: DeleteStatement; readonly multi: boolean });

export interface BulkNamespace {
  readonly db: string;
  readonly name: string;
}

export interface BulkWriteRequest {
  readonly ops: BulkOp[];
  readonly namespaces: BulkNamespace[];
  readonly ordered: boolean;
  readonly errorsOnly: boolean;
  readonly batchSize?: number;
}

export function readBulkWriteRequest(ctx: CommandContext): BulkWriteRequest {
  rejectUnknownFields(ctx.body, COMMAND, BULK_WRITE_FIELDS);
  const ops = statementsOf(ctx, COMMAND, 'ops').map(readOp);
  const nsInfo = requiredDocumentsArg(ctx.body, ctx.sequences, COMMAND, 'nsInfo', (bytes) => decodeDocument(bytes));
  const namespaces = nsInfo.map(readNsInfo);
  for (const op of ops)
    if (!Number.isInteger(op.nsIndex) || op.nsIndex >= namespaces.length)
      throw new CommandError('BadValue', `BulkWrite ops entry ${formatValue(op.source)} has an invalid nsInfo index.`);
  return {
    ops,
    namespaces,
    ordered: optionalBool(ctx.body, 'ordered') ?? true,
    errorsOnly: optionalBool(ctx.body, 'errorsOnly') ?? false,
    batchSize: cursorBatchSize(ctx.body),
  };
}

function readOp(op: BsonDoc): BulkOp {
  const kind = opKind(op);
  rejectUnknownStatementFields(op, OPS_PREFIX, OP_FIELDS[kind]);
  const base = { nsIndex: nsIndexOf(op, kind), source: op };
  switch (kind) {
    case 'insert':
      return { ...base, kind, document: requiredDoc(op, 'document', OPS_PREFIX) };
    case 'update':
      return { ...base, kind, statement: readUpdateOp(op) };
    case 'delete': {
      const multi = optionalBool(op, 'multi') ?? false;
      const statement = { q: requiredDoc(op, 'filter', OPS_PREFIX), justOne: !multi, ...targeting(op) };
      return { ...base, kind, statement, multi };
    }
  }
}

/** The first field names the kind of op, as in mongod's variant of op structs. */
function opKind(op: BsonDoc): OpKind {
  const first = op.keys().next().value ?? '';
  if (first === 'insert' || first === 'update' || first === 'delete') return first;
  throw new CommandError(40415, `BSON field '${OPS_PREFIX}.${first}' is an unknown field.`);
}

function nsIndexOf(op: BsonDoc, kind: OpKind): number {
  const index = optionalNumber(op, kind) ?? 0;
  if (index < 0)
    throw new CommandError(51024, `BSON field '${OPS_PREFIX}.${kind}' value must be >= 0, actual value '${index}'`);
  return index;
}

function readUpdateOp(op: BsonDoc): UpdateStatement {
  if (!op.has('updateMods'))
    throw new CommandError(40414, `BSON field '${OPS_PREFIX}.updateMods' is missing but a required field`);
  if (optionalBool(op, 'upsertSupplied'))
    throw new CommandError('BadValue', "The sandbox does not support the 'upsertSupplied' option of bulkWrite");
  return {
    q: requiredDoc(op, 'filter', OPS_PREFIX),
    u: modification(op.get('updateMods')),
    multi: optionalBool(op, 'multi') ?? false,
    upsert: optionalBool(op, 'upsert') ?? false,
    arrayFilters: arrayFiltersOf(op, OPS_PREFIX),
    constants: optionalDoc(op, 'constants'),
    sort: optionalDoc(op, 'sort'),
    ...targeting(op),
  };
}

function targeting(op: BsonDoc): Pick<UpdateStatement, 'hint' | 'collation'> {
  return { hint: op.get('hint'), collation: optionalDoc(op, 'collation') };
}

function readNsInfo(entry: BsonDoc): BulkNamespace {
  for (const name of entry.keys()) {
    if (!NS_INFO_FIELDS.includes(name))
      throw new CommandError(40415, `BSON field '${NS_INFO_PREFIX}.${name}' is an unknown field.`);
    if (UNSUPPORTED_NS_INFO_FIELDS.has(name))
      throw new CommandError('BadValue', `The sandbox does not support the '${name}' field of bulkWrite's nsInfo`);
  }
  const ns = optionalString(entry, 'ns');
  if (ns === undefined)
    throw new CommandError(40414, `BSON field '${NS_INFO_PREFIX}.ns' is missing but a required field`);
  const { db, coll } = splitNamespace(ns);
  if (!db || !coll) throw new CommandError('InvalidNamespace', `Invalid namespace specified for bulkWrite: '${ns}'`);
  return { db, name: coll };
}

function cursorBatchSize(body: BsonDoc): number | undefined {
  const cursor = optionalDoc(body, 'cursor');
  if (!cursor) return undefined;
  rejectUnknownStatementFields(cursor, `${COMMAND}.cursor`, ['batchSize']);
  const batchSize = optionalNumber(cursor, 'batchSize');
  if (batchSize !== undefined && batchSize < 0)
    throw new CommandError(51024, `BSON field 'batchSize' value must be >= 0, actual value '${batchSize}'`);
  return batchSize;
}
