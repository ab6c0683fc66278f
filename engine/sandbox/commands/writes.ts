// update, delete and findAndModify. Every change goes through the writer: updates as replacements
// carrying the change-stream update description, replacements without one, upserts as inserts.
import type { Collation } from '../bson/collation.js';
import { decodeDocument } from '../bson/decode.js';
import { typeAlias, typeOf, type BsonDoc, type BsonValue, type EncodableValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { MAX_WRITE_BATCH_SIZE } from '../limits.js';
import { compilePipeline } from '../query/pipeline.js';
import { selectDocuments, type Selected } from '../query/plan.js';
import { applyProjection } from '../query/projection.js';
import {
  applyUpdate,
  buildUpsert,
  parseUpdate,
  type ParsedUpdate,
  type UpdateEnvironment,
} from '../query/update/index.js';
import type { Collection } from '../storage/collection.js';
import { validateDocument } from '../storage/validation.js';
import type { WriteContext } from '../storage/writer.js';
import {
  collectionName,
  optionalArray,
  optionalBool,
  optionalDoc,
  optionalNumber,
  requiredDocumentsArg,
} from './args.js';
import { operationCollation } from './collation-option.js';
import { writeErrorEntry } from './crud.js';
import { commandVariables } from './let-variables.js';
import { rejectUnknownFields } from './strict-fields.js';
import type { CommandContext, CommandReply, CommandSpec } from './types.js';
import { writeContextOf } from './write-context.js';

const UPDATE_FIELDS = ['updates', 'ordered', 'bypassDocumentValidation', 'let', 'stmtIds', 'isTimeseriesNamespace'];
const UPDATE_STATEMENT_FIELDS = [
  'q',
  'u',
  'c',
  'arrayFilters',
  'hint',
  'multi',
  'upsert',
  'upsertSupplied',
  'collation',
  'sampleId',
  'sort',
  '$_allowShardKeyUpdatesWithoutFullShardKeyInQuery',
];
const DELETE_FIELDS = ['deletes', 'ordered', 'let', 'stmtIds', 'isTimeseriesNamespace'];
const DELETE_STATEMENT_FIELDS = ['q', 'limit', 'hint', 'collation', 'sampleId'];
const FIND_AND_MODIFY_FIELDS = [
  'query',
  'sort',
  'remove',
  'update',
  'new',
  'fields',
  'upsert',
  'bypassDocumentValidation',
  'collation',
  'arrayFilters',
  'hint',
  'let',
];

/** What a write needs besides its statement: where it writes and how. */
export interface WriteTarget {
  readonly ctx: CommandContext;
  readonly db: string;
  readonly name: string;
  readonly writeCtx: WriteContext;
  readonly bypassValidation: boolean;
  /** The command's `let`, evaluated once. */
  readonly variables?: BsonDoc;
  readonly env: UpdateEnvironment;
}

/** `variables` is the command's evaluated `let`; `db` differs from the command's for bulkWrite's namespaces. */
export function writeTarget(
  ctx: CommandContext,
  name: string,
  variables: BsonDoc | undefined,
  db = ctx.db,
): WriteTarget {
  const writeCtx = writeContextOf(ctx);
  ctx.sandbox.writer.checkWritable(db, writeCtx);
  return {
    ctx,
    db,
    name,
    writeCtx,
    bypassValidation: optionalBool(ctx.body, 'bypassDocumentValidation') ?? false,
    variables,
    env: environment(ctx, db, variables),
  };
}

function environment(ctx: CommandContext, db: string, variables: BsonDoc | undefined): UpdateEnvironment {
  const { catalog, clock } = ctx.sandbox;
  return {
    clock: { date: () => new Date(), timestamp: () => clock.tick() },
    evaluatePipeline: (doc, stages, constants) => {
      // Already evaluated `let` values and the constants `c` are passed as literals.
      const literals = [...(variables ?? []), ...(constants ?? [])].map(([name, value]): [string, BsonValue] => [
        name,
        new Map([['$literal', value]]),
      ]);
      return compilePipeline(catalog, db, stages, { variables: literals.length ? new Map(literals) : undefined })([
        doc,
      ])[0];
    },
  };
}

/** The collection a write addresses; a view cannot be written, a missing collection is created on demand. */
function targetCollection(target: WriteTarget, create: boolean): Collection | undefined {
  const { ctx, db, name } = target;
  const existing = ctx.sandbox.catalog.get(db, name);
  if (existing?.isView)
    throw new CommandError('CommandNotSupportedOnView', `Namespace ${db}.${name} is a view, not a collection`);
  if (existing || !create) return existing;
  return ctx.sandbox.writer.collectionForWrite(db, name, target.writeCtx);
}

/** The collation a write runs with (a view is left for targetCollection to refuse). */
function writeCollation(target: WriteTarget, given: BsonDoc | undefined): Collation | undefined {
  const existing = target.ctx.sandbox.catalog.get(target.db, target.name);
  return operationCollation(given, existing?.isView ? undefined : existing);
}

/** Applies `update` to one selected document; returns the new document and whether it changed. */
function updateOne(
  target: WriteTarget,
  collection: Collection,
  selected: Selected,
  update: ParsedUpdate,
  filter: BsonDoc | undefined,
): { doc: BsonDoc; modified: boolean } {
  const result = applyUpdate(update, selected.doc, target.env, { filter });
  if (result.modified) {
    validateDocument(collection, result.doc, target.bypassValidation, selected.doc);
    target.ctx.sandbox.writer.replace(collection, selected.record, result.doc, target.writeCtx, result.description);
  }
  return result;
}

function upsertOne(target: WriteTarget, collection: Collection, update: ParsedUpdate, filter?: BsonDoc): BsonDoc {
  const doc = buildUpsert(update, filter, target.env);
  validateDocument(collection, doc, target.bypassValidation);
  target.ctx.sandbox.writer.insert(collection, doc, target.writeCtx);
  return doc;
}

/** The statements of an update or delete: a document sequence or an array field. */
export function statementsOf(ctx: CommandContext, command: string, field: string): BsonDoc[] {
  const statements = requiredDocumentsArg(ctx.body, ctx.sequences, command, field, (bytes) => decodeDocument(bytes));
  checkBatchSize(statements.length);
  return statements;
}

function checkBatchSize(count: number): void {
  if (count === 0 || count > MAX_WRITE_BATCH_SIZE)
    throw new CommandError(
      'InvalidLength',
      `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH_SIZE}. Got ${count} operations.`,
    );
}

export function rejectUnknownStatementFields(statement: BsonDoc, prefix: string, known: readonly string[]): void {
  for (const name of statement.keys())
    if (!known.includes(name)) throw new CommandError(40415, `BSON field '${prefix}.${name}' is an unknown field.`);
}

export function requiredDoc(statement: BsonDoc, field: string, prefix: string): BsonDoc {
  const value = statement.get(field);
  if (value === undefined)
    throw new CommandError(40414, `BSON field '${prefix}.${field}' is missing but a required field`);
  if (!(value instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${prefix}.${field}' is the wrong type '${typeAlias[typeOf(value)]}', expected type 'object'`,
    );
  return value;
}

/** An update modification: an operator or replacement document, or a pipeline. */
export function modification(value: BsonValue | undefined): BsonDoc | BsonValue[] {
  if (value instanceof Map || Array.isArray(value)) return value;
  throw new CommandError('FailedToParse', 'Update argument must be either an object or an array');
}

export function arrayFiltersOf(body: BsonDoc, prefix: string): BsonDoc[] | undefined {
  return optionalArray(body, 'arrayFilters')?.map((filter, index) => {
    if (!(filter instanceof Map))
      throw new CommandError(
        'TypeMismatch',
        `BSON field '${prefix}.arrayFilters.${index}' is the wrong type '${typeAlias[typeOf(filter)]}', expected type 'object'`,
      );
    return filter;
  });
}

export interface UpdateStatement {
  readonly q: BsonDoc;
  readonly u: BsonDoc | BsonValue[];
  readonly multi: boolean;
  readonly upsert: boolean;
  readonly arrayFilters?: BsonDoc[];
  readonly constants?: BsonDoc;
  readonly hint?: BsonValue;
  readonly collation?: BsonDoc;
  readonly sort?: BsonDoc;
}

function readUpdateStatement(statement: BsonDoc): UpdateStatement {
  rejectUnknownStatementFields(statement, 'update.updates', UPDATE_STATEMENT_FIELDS);
  const q = requiredDoc(statement, 'q', 'update.updates');
  if (!statement.has('u'))
    throw new CommandError(40414, "BSON field 'update.updates.u' is missing but a required field");
  return {
    q,
    u: modification(statement.get('u')),
    multi: optionalBool(statement, 'multi') ?? false,
    upsert: optionalBool(statement, 'upsert') ?? false,
    arrayFilters: arrayFiltersOf(statement, 'update.updates'),
    constants: optionalDoc(statement, 'c'),
    hint: statement.get('hint'),
    collation: optionalDoc(statement, 'collation'),
    sort: optionalDoc(statement, 'sort'),
  };
}

export interface StatementResult {
  n: number;
  nModified: number;
  upserted?: BsonValue;
}

export function runUpdateStatement(target: WriteTarget, statement: UpdateStatement): StatementResult {
  const update = parseUpdate(statement.u, {
    arrayFilters: statement.arrayFilters,
    constants: statement.constants,
    multi: statement.multi,
    clock: target.env.clock,
  });
  const collation = writeCollation(target, statement.collation);
  if (statement.sort && statement.multi) throw new CommandError('FailedToParse', 'Cannot specify sort with multi=true');
  const collection = targetCollection(target, statement.upsert);
  if (!collection) return { n: 0, nModified: 0 };
  const selected = selectDocuments(collection, statement.q, {
    sort: statement.sort,
    limit: statement.multi ? 0 : 1,
    hint: statement.hint,
    variables: target.variables,
    collation,
  });
  if (selected.length === 0 && statement.upsert) {
    const doc = upsertOne(target, collection, update, statement.q);
    return { n: 1, nModified: 0, upserted: doc.get('_id') };
  }
  let nModified = 0;
  for (const one of selected) if (updateOne(target, collection, one, update, statement.q).modified) nModified++;
  return { n: selected.length, nModified };
}

const update: CommandSpec = {
  name: 'update',
  write: true,
  run(ctx) {
    const name = collectionName(ctx.body, 'update');
    rejectUnknownFields(ctx.body, 'update', UPDATE_FIELDS);
    const statements = statementsOf(ctx, 'update', 'updates').map(readUpdateStatement);
    const ordered = optionalBool(ctx.body, 'ordered') ?? true;
    const target = writeTarget(ctx, name, commandVariables(ctx));
    let n = 0;
    let nModified = 0;
    const upserted: EncodableValue[] = [];
    const writeErrors: Record<string, EncodableValue>[] = [];
    for (const [index, statement] of statements.entries()) {
      try {
        const result = runUpdateStatement(target, statement);
        n += result.n;
        nModified += result.nModified;
        if (result.upserted !== undefined) upserted.push({ index, _id: result.upserted });
      } catch (error) {
        writeErrors.push(writeErrorEntry(index, error));
        if (ordered) break;
      }
    }
    const reply: CommandReply = { n };
    if (writeErrors.length) reply.writeErrors = writeErrors;
    if (upserted.length) reply.upserted = upserted;
    reply.nModified = nModified;
    return reply;
  },
};

export interface DeleteStatement {
  readonly q: BsonDoc;
  readonly justOne: boolean;
  readonly hint?: BsonValue;
  readonly collation?: BsonDoc;
}

function readDeleteStatement(statement: BsonDoc): DeleteStatement {
  rejectUnknownStatementFields(statement, 'delete.deletes', DELETE_STATEMENT_FIELDS);
  const q = requiredDoc(statement, 'q', 'delete.deletes');
  const limit = optionalNumber(statement, 'limit');
  if (limit === undefined)
    throw new CommandError(40414, "BSON field 'delete.deletes.limit' is missing but a required field");
  if (limit !== 0 && limit !== 1)
    throw new CommandError('FailedToParse', `The limit field in delete objects must be 0 or 1. Got ${limit}`);
  return { q, justOne: limit === 1, hint: statement.get('hint'), collation: optionalDoc(statement, 'collation') };
}

export function runDeleteStatement(target: WriteTarget, statement: DeleteStatement): number {
  const collation = writeCollation(target, statement.collation);
  const collection = targetCollection(target, false);
  if (!collection) return 0;
  const selected = selectDocuments(collection, statement.q, {
    limit: statement.justOne ? 1 : 0,
    hint: statement.hint,
    variables: target.variables,
    collation,
  });
  for (const { record } of selected) target.ctx.sandbox.writer.delete(collection, record, target.writeCtx);
  return selected.length;
}

const del: CommandSpec = {
  name: 'delete',
  write: true,
  run(ctx) {
    const name = collectionName(ctx.body, 'delete');
    rejectUnknownFields(ctx.body, 'delete', DELETE_FIELDS);
    const statements = statementsOf(ctx, 'delete', 'deletes').map(readDeleteStatement);
    const ordered = optionalBool(ctx.body, 'ordered') ?? true;
    const target = writeTarget(ctx, name, commandVariables(ctx));
    let n = 0;
    const writeErrors: Record<string, EncodableValue>[] = [];
    for (const [index, statement] of statements.entries()) {
      try {
        n += runDeleteStatement(target, statement);
      } catch (error) {
        writeErrors.push(writeErrorEntry(index, error));
        if (ordered) break;
      }
    }
    return writeErrors.length ? { n, writeErrors } : { n };
  },
};

interface FindAndModifyRequest {
  readonly query?: BsonDoc;
  readonly sort?: BsonDoc;
  readonly hint?: BsonValue;
  readonly fields?: BsonDoc;
  readonly remove: boolean;
  readonly update?: BsonDoc | BsonValue[];
  readonly returnNew: boolean;
  readonly upsert: boolean;
  readonly arrayFilters?: BsonDoc[];
  readonly collation?: BsonDoc;
}

function readFindAndModify(body: BsonDoc): FindAndModifyRequest {
  const updateValue = body.get('update');
  const request: FindAndModifyRequest = {
    query: optionalDoc(body, 'query'),
    sort: optionalDoc(body, 'sort'),
    hint: body.get('hint'),
    fields: optionalDoc(body, 'fields'),
    remove: optionalBool(body, 'remove') ?? false,
    update: updateValue === undefined || updateValue === null ? undefined : modification(updateValue),
    returnNew: optionalBool(body, 'new') ?? false,
    upsert: optionalBool(body, 'upsert') ?? false,
    arrayFilters: arrayFiltersOf(body, 'findAndModify'),
    collation: optionalDoc(body, 'collation'),
  };
  if (request.remove) {
    if (request.update) throw new CommandError('FailedToParse', 'Cannot specify both an update and remove=true');
    if (request.upsert) throw new CommandError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
    if (request.returnNew)
      throw new CommandError(
        'FailedToParse',
        "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
      );
    if (request.arrayFilters) throw new CommandError('FailedToParse', 'Cannot specify arrayFilters and remove=true');
  } else if (!request.update) {
    throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified');
  }
  if (Array.isArray(request.update) && request.arrayFilters)
    throw new CommandError('FailedToParse', 'Cannot specify arrayFilters and a pipeline update');
  return request;
}

function firstMatch(
  target: WriteTarget,
  collection: Collection,
  request: FindAndModifyRequest,
  collation: Collation | undefined,
): Selected | undefined {
  const options = { sort: request.sort, limit: 1, hint: request.hint, variables: target.variables, collation };
  return selectDocuments(collection, request.query, options)[0];
}

function findAndRemove(
  target: WriteTarget,
  request: FindAndModifyRequest,
  project: (doc: BsonDoc) => BsonDoc,
): CommandReply {
  const collation = writeCollation(target, request.collation);
  const collection = targetCollection(target, false);
  const found = collection && firstMatch(target, collection, request, collation);
  if (!collection || !found) return { lastErrorObject: { n: 0 }, value: null };
  target.ctx.sandbox.writer.delete(collection, found.record, target.writeCtx);
  return { lastErrorObject: { n: 1 }, value: project(found.doc) };
}

function findAndUpdate(
  target: WriteTarget,
  request: FindAndModifyRequest,
  modificationSpec: BsonDoc | BsonValue[],
  project: (doc: BsonDoc) => BsonDoc,
): CommandReply {
  const update = parseUpdate(modificationSpec, { arrayFilters: request.arrayFilters, clock: target.env.clock });
  const collation = writeCollation(target, request.collation);
  const collection = targetCollection(target, request.upsert);
  const notFound = { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
  if (!collection) return notFound;
  const found = firstMatch(target, collection, request, collation);
  if (found) {
    const result = updateOne(target, collection, found, update, request.query);
    return {
      lastErrorObject: { n: 1, updatedExisting: true },
      value: project(request.returnNew ? result.doc : found.doc),
    };
  }
  if (!request.upsert) return notFound;
  const doc = upsertOne(target, collection, update, request.query);
  return {
    lastErrorObject: { n: 1, updatedExisting: false, upserted: doc.get('_id') ?? null },
    value: request.returnNew ? project(doc) : null,
  };
}

const findAndModify: CommandSpec = {
  name: 'findAndModify',
  aliases: ['findandmodify'],
  write: true,
  run(ctx) {
    const name = collectionName(ctx.body, ctx.name);
    rejectUnknownFields(ctx.body, ctx.name, FIND_AND_MODIFY_FIELDS);
    const request = readFindAndModify(ctx.body);
    const target = writeTarget(ctx, name, commandVariables(ctx));
    const fields = request.fields;
    const project = (doc: BsonDoc): BsonDoc =>
      fields && fields.size > 0 ? applyProjection(doc, fields, request.query) : doc;
    if (request.update) return findAndUpdate(target, request, request.update, project);
    return findAndRemove(target, request, project);
  },
};

export const writeCommands: CommandSpec[] = [update, del, findAndModify];
