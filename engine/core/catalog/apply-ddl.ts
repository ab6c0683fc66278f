// Replaying one DDL change event on the target. Every step is idempotent, because after a restart the
// stream is replayed from the resume point and the target may already show the event's effect: a
// collection or index that is already gone is not an error (NamespaceNotFound, IndexNotFound, as in
// PCSM), a create drops what is there first, an index build replaces a same-named index. Indexes
// stay relaxed on the target; option changes to them only update the original spec in the book.
import type { OrderedDocument } from '../bson/ordered.js';
import { FerryError } from '../errors.js';
import type { EngineContext } from '../parts.js';
import { arrayField, documentField, stringField } from '../repl/event-fields.js';
import { clusteredTtlOf, collationOf, createCommand, kindOfOptions } from './collection-options.js';
import { plain, stringOf, subDocument, toOrdered, without } from './documents.js';
import type { CatalogBook } from './book.js';
import { buildRelaxed } from './prepare-target.js';
import { GONE, type TargetCommands } from './target-commands.js';

export interface DdlContext {
  ctx: EngineContext;
  commands: TargetCommands;
  book: CatalogBook;
}

interface Namespace {
  db: string;
  coll: string;
}

export async function applyDdl(ddl: DdlContext, event: OrderedDocument): Promise<void> {
  const operationType = String(event.get('operationType'));
  const ns = documentField(event, 'ns');
  const db = stringField(ns, 'db');
  const coll = stringOf(ns, 'coll');
  const description = subDocument(event, 'operationDescription') ?? new Map();
  if (operationType === 'dropDatabase') return dropDatabase(ddl, db);
  if (coll === undefined) return ignore(ddl, operationType, `${db}`, 'the event names no collection');
  const target = { db, coll };
  if (operationType === 'rename')
    return rename(ddl, event.get('collectionUUID'), target, renameTarget(event, description));
  if (!ddl.ctx.filter.isSelected(db, coll)) return;
  switch (operationType) {
    case 'create':
      return create(ddl, event, target, description);
    case 'drop':
      await ddl.commands.dropCollection(db, coll);
      ddl.book.dropCollection(`${db}.${coll}`);
      return;
    case 'createIndexes':
      return createIndexes(ddl, target, arrayField(description, 'indexes').map(toOrdered));
    case 'dropIndexes':
      return dropIndexes(ddl, target, arrayField(description, 'indexes').map(toOrdered));
    case 'modify':
      return modify(ddl, target, description);
    case 'shardCollection':
    case 'reshardCollection':
    case 'refineCollectionShardKey':
      throw shardingUnsupported(operationType, `${db}.${coll}`, description);
    default:
      return ignore(ddl, operationType, `${db}.${coll}`, 'Ferry does not replay this kind of change');
  }
}

function ignore(ddl: DdlContext, operationType: string, namespace: string, why: string): void {
  ddl.ctx.log.warn(`change event ${operationType} not applied: ${why}`, { namespace });
}

async function create(
  ddl: DdlContext,
  event: OrderedDocument,
  { db, coll }: Namespace,
  description: OrderedDocument,
): Promise<void> {
  const namespace = `${db}.${coll}`;
  const kind = kindOfOptions(description.has('viewOn') ? 'view' : 'collection', description);
  if (kind === 'timeseries') {
    // Preflight warns about time series; one created mid-migration is reported here, never copied.
    return ignore(ddl, 'create', namespace, 'time series collections cannot be synced by change streams');
  }
  await ddl.commands.dropCollection(db, coll);
  await ddl.commands.run(db, createCommand(namespace, coll, description), `create ${namespace}`);
  if (kind === 'view') ddl.book.dropCollection(namespace);
  else {
    const sourceUuid = event.get('collectionUUID');
    ddl.book.setCollection(namespace, [], { clusteredTtl: clusteredTtlOf(description), sourceUuid });
  }
}

function renameTarget(event: OrderedDocument, description: OrderedDocument): Namespace {
  const to = subDocument(event, 'to') ?? documentField(description, 'to');
  return { db: stringField(to, 'db'), coll: stringField(to, 'coll') };
}

/**
 * A rename between T0 and the moment the clone listed the source was seen by the clone under the new
 * name: the target already holds the collection there, and replaying the rename (dropTarget) would
 * replace that copy with whatever the replayed events put under the old name. The book knows, by the
 * collection's UUID, which source collection each target namespace was copied from.
 */
async function rename(ddl: DdlContext, uuid: unknown, from: Namespace, to: Namespace): Promise<void> {
  const { filter } = ddl.ctx;
  const fromSelected = filter.isSelected(from.db, from.coll);
  const toSelected = filter.isSelected(to.db, to.coll);
  const fromNamespace = `${from.db}.${from.coll}`;
  const toNamespace = `${to.db}.${to.coll}`;
  if (toSelected && ddl.book.copiedFrom(toNamespace, uuid)) {
    if (fromSelected) await ddl.commands.dropCollection(from.db, from.coll);
    ddl.book.dropCollection(fromNamespace);
  } else if (fromSelected && toSelected) {
    const cmd = { renameCollection: fromNamespace, to: toNamespace, dropTarget: true };
    await ddl.commands.run('admin', cmd, `rename ${fromNamespace} to ${toNamespace}`, GONE);
    ddl.book.rename(fromNamespace, toNamespace);
  } else if (fromSelected) {
    // Renamed out of the selection: the target loses it, as if it had been dropped.
    await ddl.commands.dropCollection(from.db, from.coll);
    ddl.book.dropCollection(fromNamespace);
  } else if (toSelected) {
    throw new FerryError({
      code: 'RENAMED_INTO_SELECTION',
      message: `${fromNamespace}, which is not selected, was renamed to ${toNamespace}, which is: its documents were never copied`,
      remedy: `Reset and start again so the clone copies ${toNamespace}, or exclude it from the migration.`,
    });
  }
}

async function dropDatabase(ddl: DdlContext, db: string): Promise<void> {
  const { ctx, commands, book } = ddl;
  if (!ctx.filter.isDatabaseSelected(db)) return;
  // Only selected collections go: the target database may also hold collections Ferry did not copy.
  const names = await ctx.target.db(db).listCollections({}, { nameOnly: true }).toArray();
  for (const { name } of names) if (ctx.filter.isSelected(db, name)) await commands.dropCollection(db, name);
  book.dropDatabase(db);
}

async function createIndexes(ddl: DdlContext, { db, coll }: Namespace, specs: OrderedDocument[]): Promise<void> {
  const entry = await ddl.commands.collection(db, coll);
  // Building an index on a missing collection would create it without its options.
  if (!entry) return ignore(ddl, 'createIndexes', `${db}.${coll}`, 'the collection does not exist on the target');
  for (const spec of specs) ddl.book.record(`${db}.${coll}`, spec);
  await buildRelaxed(ddl.commands, db, coll, specs, collationOf(subDocument(entry, 'options') ?? new Map()));
}

async function dropIndexes(ddl: DdlContext, { db, coll }: Namespace, specs: OrderedDocument[]): Promise<void> {
  for (const spec of specs) {
    const name = stringOf(spec, 'name');
    if (name === undefined) continue;
    await ddl.commands.dropIndex(db, coll, name);
    ddl.book.dropIndex(`${db}.${coll}`, name);
  }
}

async function modify(ddl: DdlContext, { db, coll }: Namespace, description: OrderedDocument): Promise<void> {
  const namespace = `${db}.${coll}`;
  const index = subDocument(description, 'index');
  if (index && !ddl.book.modify(namespace, index)) {
    ignore(ddl, 'modify', namespace, `index ${String(index.get('name') ?? '')} is not known to the catalog`);
  }
  // A clustered collection's TTL stays relaxed on the target, like a TTL index.
  const ttl = description.get('expireAfterSeconds');
  if (ttl !== undefined) ddl.book.setClusteredTtl(namespace, ttl);
  // Validator, validation level and action, pre- and post-images, capped size and max, view pipeline.
  const options = without(description, 'index', 'expireAfterSeconds');
  if (options.size > 0) await ddl.commands.collMod(db, coll, options);
}

function shardingUnsupported(operationType: string, namespace: string, description: OrderedDocument): FerryError {
  const shardKey = description.get('shardKey');
  return new FerryError({
    code: 'SHARDING_UNSUPPORTED',
    message:
      `${operationType} on ${namespace}` +
      (shardKey === undefined ? '' : ` (shard key ${JSON.stringify(plain(shardKey))})`) +
      ': Ferry migrates into replica sets and does not reproduce sharding',
    remedy: 'Exclude the collection, or migrate it with a tool that targets sharded clusters.',
  });
}
