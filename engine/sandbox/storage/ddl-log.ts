// The oplog entries of DDL, shaped like mongod 8.0's ('c' entries on <db>.$cmd, `o` as mongod writes
// it), each carrying the change event fields MongoDB 8.0 derives from it (see ChangeData in oplog.ts).
import { Int32, type Binary, type BsonDoc, type BsonValue } from '../bson/values.js';
import { newUuid, type Collection } from './collection.js';
import type { WriteContext, Writer } from './writer.js';

function describedBy(operationDescription: BsonDoc, extra: [string, BsonValue][] = []): BsonDoc {
  return new Map<string, BsonValue>([...extra, ['operationDescription', operationDescription]]);
}

function without(doc: BsonDoc, field: string): BsonDoc {
  return new Map([...doc].filter(([name]) => name !== field));
}

/**
 * A collection's create: o = {create, ...options, idIndex}. A view's create logs no command, as in
 * mongod: its insert into system.views is the entry (commands/view-definitions.ts).
 */
export function logCreate(writer: Writer, created: Collection, ctx: WriteContext): void {
  const o: BsonDoc = new Map<string, BsonValue>([['create', created.name], ...created.options]);
  const idIndex = created.indexes.get('_id_')?.spec;
  if (idIndex) o.set('idIndex', idIndex);
  writer.logCommand(
    created.db,
    o,
    ctx,
    { operationType: 'create', fields: describedBy(without(o, 'create')) },
    created,
  );
}

/** o = {drop: name}, with the dropped collection (`uiOf`) as the entry's collection. */
export function logDrop(writer: Writer, db: string, name: string, ctx: WriteContext, uiOf?: Collection): void {
  writer.logCommand(db, new Map([['drop', name]]), ctx, { operationType: 'drop', fields: new Map() }, uiOf);
}

export function logDropDatabase(writer: Writer, db: string, ctx: WriteContext): void {
  writer.logCommand(db, new Map([['dropDatabase', new Int32(1)]]), ctx, {
    operationType: 'dropDatabase',
    fields: new Map(),
  });
}

/** o = {renameCollection: from, to, stayTemp: false, dropTarget?: uuid}, logged on the source database. */
export function logRename(
  writer: Writer,
  from: { db: string; coll: string },
  renamed: Collection,
  droppedTarget: Binary | undefined,
  ctx: WriteContext,
): void {
  const o: BsonDoc = new Map<string, BsonValue>([
    ['renameCollection', `${from.db}.${from.coll}`],
    ['to', renamed.ns],
    ['stayTemp', false],
  ]);
  if (droppedTarget) o.set('dropTarget', droppedTarget);
  const to = new Map([
    ['db', renamed.db],
    ['coll', renamed.name],
  ]);
  const description: BsonDoc = new Map<string, BsonValue>([['to', to]]);
  if (droppedTarget) description.set('dropTarget', droppedTarget);
  writer.logCommand(
    from.db,
    o,
    ctx,
    { operationType: 'rename', fields: describedBy(description, [['to', to]]) },
    renamed,
  );
}

/**
 * Index builds over documents are two-phase in mongod: one commitIndexBuild entry lists every index
 * of the command. An empty collection gets one createIndexes entry per index instead.
 */
export function logCreateIndexes(
  writer: Writer,
  collection: Collection,
  specs: BsonDoc[],
  twoPhase: boolean,
  ctx: WriteContext,
): void {
  const entries: [BsonDoc, BsonDoc[]][] = twoPhase
    ? [
        [
          new Map<string, BsonValue>([
            ['commitIndexBuild', collection.name],
            ['indexBuildUUID', newUuid()],
            ['indexes', specs],
          ]),
          specs,
        ],
      ]
    : specs.map((spec) => [new Map<string, BsonValue>([['createIndexes', collection.name], ...spec]), [spec]]);
  for (const [o, indexes] of entries)
    writer.logCommand(
      collection.db,
      o,
      ctx,
      { operationType: 'createIndexes', fields: describedBy(new Map([['indexes', indexes]])) },
      collection,
    );
}

/** o = {dropIndexes: collection, index: name}, o2 = the dropped spec, which the event describes. */
export function logDropIndex(writer: Writer, collection: Collection, spec: BsonDoc, ctx: WriteContext): void {
  const o = new Map<string, BsonValue>([
    ['dropIndexes', collection.name],
    ['index', spec.get('name') ?? null],
  ]);
  writer.logCommand(
    collection.db,
    o,
    ctx,
    { operationType: 'dropIndexes', fields: describedBy(new Map([['indexes', [spec]]])) },
    collection,
    spec,
  );
}

/**
 * o = {collMod, ...applied changes, index?: {name, changed options}}; o2 = {collectionOptions_old:
 * the options before the change (with the UUID, as mongod writes them), indexOptions_old?: the index
 * options an index change replaced}, which the event shows as stateBeforeChange.
 */
export function logCollMod(
  writer: Writer,
  collection: Collection,
  o: BsonDoc,
  optionsBefore: BsonDoc,
  indexOptionsBefore: BsonDoc | undefined,
  ctx: WriteContext,
): void {
  const collectionOptions = new Map<string, BsonValue>([['uuid', collection.uuid], ...optionsBefore]);
  const o2 = new Map<string, BsonValue>([['collectionOptions_old', collectionOptions]]);
  const stateBeforeChange = new Map<string, BsonValue>([['collectionOptions', collectionOptions]]);
  if (indexOptionsBefore) {
    o2.set('indexOptions_old', indexOptionsBefore);
    stateBeforeChange.set('indexOptions', indexOptionsBefore);
  }
  const fields = describedBy(without(o, 'collMod'));
  fields.set('stateBeforeChange', stateBeforeChange);
  writer.logCommand(collection.db, o, ctx, { operationType: 'modify', fields }, collection, o2);
}
