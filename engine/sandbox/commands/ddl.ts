// create, drop, dropDatabase and renameCollection (collMod is in coll-mod.ts). Every change is logged
// as mongod 8.0 logs it (storage/ddl-log.ts), and cursors on what disappears are killed.
import { compareStrings, valuesEqual } from '../bson/compare.js';
import { formatValue } from '../bson/format.js';
import type { Binary, BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { splitNamespace, validateCollectionName } from '../storage/catalog.js';
import type { Collection } from '../storage/collection.js';
import { logDrop, logDropDatabase, logRename } from '../storage/ddl-log.js';
import { listedIndexSpecs, typeName } from '../storage/index-specs.js';
import { collectionName, optionalBool } from './args.js';
import { parseCreateRequest, type CreateRequest } from './create-options.js';
import { rejectUnknownFields } from './strict-fields.js';
import type { CommandContext, CommandReply, CommandSpec } from './types.js';
import { checkViewDefinition, recordViewDefinition, removeViewDefinition, SYSTEM_VIEWS } from './view-definitions.js';
import { writeContextOf } from './write-context.js';

const PROTECTED_DATABASES = new Set(['admin', 'config']);

const create: CommandSpec = {
  name: 'create',
  write: true,
  run(ctx): CommandReply {
    const name = collectionName(ctx.body, 'create');
    validateCollectionName(ctx.db, name);
    const ns = `${ctx.db}.${name}`;
    const request = parseCreateRequest(ctx.body, ns);
    const writeCtx = writeContextOf(ctx);
    const { writer, catalog } = ctx.sandbox;
    writer.checkWritable(ctx.db, writeCtx);
    const existing = catalog.get(ctx.db, name);
    if (existing) checkSameDefinition(existing, request);
    else if (request.options.has('viewOn')) {
      const viewOn = String(request.options.get('viewOn'));
      checkViewDefinition(catalog, ctx.db, name, viewOn, request.options.get('pipeline') as BsonValue[]);
      // As in mongod, the write to system.views is the only oplog entry (and change event) of a view's create.
      recordViewDefinition(writer, writer.createCollection(ctx.db, name, request.options, writeCtx), writeCtx);
    } else {
      writer.createCollection(ctx.db, name, request.options, writeCtx, request.idIndex);
    }
    return request.note ? { note: request.note } : {};
  },
};

/** Creating what exists is fine when the options are the same; otherwise NamespaceExists, as mongod says it. */
function checkSameDefinition(existing: Collection, request: CreateRequest): void {
  const { options } = request;
  const ns = existing.ns;
  if (!existing.isView) {
    if (valuesEqual(existing.options, options)) return;
    throw new CommandError(
      'NamespaceExists',
      `namespace ${ns} already exists, but with different options: ${optionsWithUuid(existing)}`,
    );
  }
  const viewOn = existing.options.get('viewOn');
  const wanted = options.get('viewOn') ?? '';
  if (viewOn !== wanted)
    throw new CommandError(
      'NamespaceExists',
      `namespace ${ns} already exists, but is a view on ${existing.db}.${String(viewOn)} rather than ${existing.db}.${String(wanted)}`,
    );
  const pipeline = existing.options.get('pipeline') ?? [];
  const wantedPipeline = options.get('pipeline') ?? [];
  if (!valuesEqual(pipeline, wantedPipeline))
    throw new CommandError(
      'NamespaceExists',
      `namespace ${ns} already exists, but with pipeline ${formatValue(pipeline)} rather than ${formatValue(wantedPipeline)}`,
    );
  const collation = existing.options.get('collation');
  const wantedCollation = options.get('collation');
  if (collation === wantedCollation || (collation && wantedCollation && valuesEqual(collation, wantedCollation)))
    return;
  throw new CommandError(
    'NamespaceExists',
    `namespace ${ns} already exists, but with collation: ${formatValue(collation ?? new Map())} rather than ${formatValue(wantedCollation ?? new Map())}`,
  );
}

function optionsWithUuid(collection: Collection): string {
  const options = formatValue(collection.options);
  const uuid = `uuid: UUID("${uuidText(collection.uuid)}")`;
  return options === '{}' ? `{ ${uuid} }` : `{ ${uuid}, ${options.slice(2)}`;
}

export function uuidText(uuid: Binary): string {
  const hex = Buffer.from(uuid.buffer).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const drop: CommandSpec = {
  name: 'drop',
  write: true,
  run(ctx): CommandReply {
    const name = collectionName(ctx.body, 'drop');
    const writeCtx = writeContextOf(ctx);
    const { writer, catalog, cursors } = ctx.sandbox;
    writer.checkWritable(ctx.db, writeCtx);
    const collection = catalog.get(ctx.db, name);
    // Since 7.0 dropping what does not exist succeeds.
    if (!collection) return {};
    if (collection.isView) {
      removeViewDefinition(writer, catalog, collection, writeCtx);
      catalog.drop(ctx.db, name);
      return { ns: collection.ns };
    }
    const nIndexesWas = listedIndexSpecs(collection).length;
    catalog.drop(ctx.db, name);
    // Without system.views there are no views: mongod's view catalog lives in it.
    if (name === SYSTEM_VIEWS)
      for (const view of catalog.collections(ctx.db)) if (view.isView) catalog.drop(ctx.db, view.name);
    logDrop(writer, ctx.db, name, writeCtx, collection);
    cursors.killForNamespace(collection.ns);
    return { nIndexesWas, ns: collection.ns };
  },
};

const dropDatabase: CommandSpec = {
  name: 'dropDatabase',
  write: true,
  run(ctx): CommandReply {
    if (PROTECTED_DATABASES.has(ctx.db))
      throw new CommandError('IllegalOperation', `Dropping the '${ctx.db}' database is prohibited.`);
    if (ctx.db === 'local')
      throw new CommandError('IllegalOperation', "Cannot drop 'local' database while replication is active");
    const writeCtx = writeContextOf(ctx);
    const { writer, catalog, cursors } = ctx.sandbox;
    writer.checkWritable(ctx.db, writeCtx);
    const collections = catalog.collections(ctx.db).sort((a, b) => compareStrings(a.name, b.name));
    if (collections.length === 0) return {};
    cursors.killForNamespace(ctx.db);
    // mongod drops each collection (one drop event each) before the database itself.
    for (const collection of collections) {
      catalog.drop(ctx.db, collection.name);
      if (!collection.isView) logDrop(writer, ctx.db, collection.name, writeCtx, collection);
    }
    logDropDatabase(writer, ctx.db, writeCtx);
    return { dropped: ctx.db };
  },
};

const renameCollection: CommandSpec = {
  name: 'renameCollection',
  write: true,
  adminOnly: true,
  run(ctx): CommandReply {
    rejectUnknownFields(ctx.body, 'renameCollection', ['to', 'dropTarget', 'stayTemp', 'collectionUUID']);
    const source = namespaceArgument(ctx, 'renameCollection', 'source');
    const target = namespaceArgument(ctx, 'to', 'target');
    const dropTarget = optionalBool(ctx.body, 'dropTarget') ?? false;
    const writeCtx = writeContextOf(ctx);
    const { writer, catalog, cursors } = ctx.sandbox;
    writer.checkWritable(source.db, writeCtx);
    writer.checkWritable(target.db, writeCtx);
    const sourceNs = `${source.db}.${source.coll}`;
    const targetNs = `${target.db}.${target.coll}`;
    if (sourceNs === targetNs) throw new CommandError('IllegalOperation', "Can't rename a collection to itself");
    const collection = catalog.get(source.db, source.coll);
    if (!collection) throw new CommandError('NamespaceNotFound', `Source collection ${sourceNs} does not exist`);
    if (collection.isView) throw new CommandError('CommandNotSupportedOnView', `cannot rename view: ${sourceNs}`);
    if (source.coll.startsWith('system.'))
      throw new CommandError('IllegalOperation', `error with source namespace: cannot write to '${sourceNs}'`);
    if (target.coll.startsWith('system.'))
      throw new CommandError('IllegalOperation', `error with target namespace: cannot write to '${targetNs}'`);
    const existing = catalog.get(target.db, target.coll);
    if (existing?.isView)
      throw new CommandError('NamespaceExists', `a view already exists with that name: ${targetNs}`);
    if (existing && !dropTarget) throw new CommandError('NamespaceExists', 'target namespace exists');
    let droppedTarget: Binary | undefined;
    if (existing) {
      catalog.drop(target.db, target.coll);
      cursors.killForNamespace(targetNs);
      droppedTarget = existing.uuid;
    }
    catalog.rename(collection, target.db, target.coll);
    cursors.killForNamespace(sourceNs);
    logRename(writer, source, collection, droppedTarget, writeCtx);
    return {};
  },
};

function namespaceArgument(ctx: CommandContext, field: string, role: string): { db: string; coll: string } {
  const value = ctx.body.get(field);
  if (value === undefined)
    throw new CommandError(40414, `BSON field 'renameCollection.${field}' is missing but a required field`);
  if (typeof value !== 'string')
    throw new CommandError('TypeMismatch', `collection name has invalid type ${typeName(value)}`);
  const namespace = splitNamespace(value);
  try {
    validateCollectionName(namespace.db, namespace.coll);
  } catch {
    throw new CommandError('InvalidNamespace', `Invalid ${role} namespace: ${value}`);
  }
  return namespace;
}

export const ddlCommands: CommandSpec[] = [create, drop, dropDatabase, renameCollection];
