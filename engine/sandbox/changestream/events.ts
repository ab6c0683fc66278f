// What an oplog entry means to a change stream: whether the stream reports it, as which operationType,
// and the event document mongod 8.0 builds for it. Which entries a stream sees follows mongod's oplog
// filter (namespaces, internal databases and system collections left out); the event's fields and
// their order follow mongod's event transformation.
import { decodeDocument } from '../bson/decode.js';
import { encodeDocument } from '../bson/encode.js';
import { RawDocument, type Binary, type BsonDoc, type BsonValue } from '../bson/values.js';
import { splitNamespace } from '../storage/catalog.js';
import type { OplogEntry } from '../storage/oplog.js';
import { eventToken, type ResumeToken } from './resume-token.js';

export type StreamScope =
  | { readonly kind: 'collection'; readonly db: string; readonly coll: string }
  | { readonly kind: 'database'; readonly db: string }
  | { readonly kind: 'cluster' };

/** Who is watching. */
export interface StreamContext {
  readonly scope: StreamScope;
  readonly showExpandedEvents: boolean;
}

export interface Namespace {
  readonly db: string;
  readonly coll?: string;
}

/** One oplog entry as a change, before it becomes an event document. */
export interface Change {
  readonly entry: OplogEntry;
  readonly operationType: string;
  readonly ns: Namespace;
  readonly to?: Namespace;
  /** The UUID in the resume token; events on views carry that of system.views but do not show it. */
  readonly uuid?: Binary;
  readonly showsUuid: boolean;
  readonly documentKey?: BsonDoc;
  /** The inserted or replacing document. */
  readonly fullDocument?: RawDocument;
  readonly updateDescription?: BsonDoc;
  /** Always computed for DDL, since the resume token holds it; shown only with showExpandedEvents. */
  readonly operationDescription?: BsonDoc;
  readonly stateBeforeChange?: BsonDoc;
}

/** The operation types every stream shows; the others need showExpandedEvents. */
const CLASSIC_TYPES = new Set([
  'insert',
  'update',
  'replace',
  'delete',
  'drop',
  'rename',
  'dropDatabase',
  'invalidate',
]);

export function isClassic(operationType: string): boolean {
  return CLASSIC_TYPES.has(operationType);
}

const INTERNAL_DATABASES = new Set(['admin', 'config', 'local']);

/** Collections no database or cluster stream reports: mongod's `^(?!(\$|system\.))`. */
function isUserCollection(coll: string): boolean {
  return !coll.startsWith('$') && !coll.startsWith('system.');
}

function inScope(scope: StreamScope, ns: Namespace): boolean {
  if (ns.coll === undefined || !isUserCollection(ns.coll)) return false;
  switch (scope.kind) {
    case 'collection':
      return ns.db === scope.db && ns.coll === scope.coll;
    case 'database':
      return ns.db === scope.db;
    case 'cluster':
      return !INTERNAL_DATABASES.has(ns.db);
  }
}

/** The change `entry` makes as the stream sees it, or undefined when the stream does not report it. */
export function changeOf(entry: OplogEntry, context: StreamContext): Change | undefined {
  const { scope } = context;
  switch (entry.op) {
    case 'i':
    case 'u':
    case 'd': {
      const ns = splitNamespace(entry.ns);
      // mongod 8.0 reports views through their definitions, and only as expanded events.
      if (ns.coll === 'system.views')
        return context.showExpandedEvents && scope.kind !== 'collection' ? viewChange(entry, ns.db, scope) : undefined;
      return inScope(scope, ns) ? documentChange(entry, ns) : undefined;
    }
    case 'c':
      return commandChange(entry, splitNamespace(entry.ns).db, scope);
    default:
      return undefined;
  }
}

function documentChange(entry: OplogEntry, ns: Namespace): Change {
  const { change } = entry;
  const documentKey = change.documentKey ?? idKey(entry.op === 'u' ? entry.o2 : entry.o);
  const base = { entry, ns, uuid: entry.ui, showsUuid: true, documentKey };
  if (entry.op === 'i') return { ...base, operationType: 'insert', fullDocument: rawOf(change.fullDocument, entry.o) };
  if (entry.op === 'd') return { ...base, operationType: 'delete' };
  if (change.operationType === 'replace' || !change.updateDescription)
    return { ...base, operationType: 'replace', fullDocument: rawOf(change.fullDocument, entry.o) };
  return { ...base, operationType: 'update', updateDescription: change.updateDescription };
}

function idKey(doc: BsonDoc | undefined): BsonDoc {
  return new Map([['_id', doc?.get('_id') ?? null]]);
}

function rawOf(bytes: Buffer | undefined, doc: BsonDoc): RawDocument {
  return new RawDocument(bytes ?? encodeDocument(doc));
}

/** mongod 8.0 reports view definitions (documents of <db>.system.views) as DDL events on the view. */
function viewChange(entry: OplogEntry, db: string, scope: StreamScope): Change | undefined {
  if (scope.kind === 'database' && scope.db !== db) return undefined;
  if (scope.kind === 'cluster' && INTERNAL_DATABASES.has(db)) return undefined;
  const id = (entry.change.documentKey ?? entry.o2 ?? entry.o).get('_id');
  if (typeof id !== 'string') return undefined;
  const base = { entry, ns: splitNamespace(id), uuid: entry.ui, showsUuid: false };
  if (entry.op === 'd') return { ...base, operationType: 'drop' };
  const definition = entry.change.fullDocument ? decodeDocument(entry.change.fullDocument) : entry.o;
  const operationType = entry.op === 'i' ? 'create' : 'modify';
  return { ...base, operationType, operationDescription: without(definition, '_id') };
}

/**
 * DDL entries (ns `<db>.$cmd`), told apart by the command they record, as mongod does. The writer may
 * record the operationDescription and stateBeforeChange it derived; otherwise they come from `o`/`o2`.
 */
function commandChange(entry: OplogEntry, db: string, scope: StreamScope): Change | undefined {
  if (scope.kind !== 'cluster' && scope.db !== db) return undefined;
  if (scope.kind === 'cluster' && INTERNAL_DATABASES.has(db)) return undefined;
  const { o, o2 } = entry;
  const [command] = o.keys();
  const target = o.get(command);
  const recorded = (field: string): BsonDoc | undefined => {
    const value = entry.change.fields?.get(field);
    return value instanceof Map ? value : undefined;
  };
  const base = { entry, uuid: entry.ui, showsUuid: true };
  const onCollection = (operationType: string, derived?: BsonDoc, stateBeforeChange?: BsonDoc) => {
    const ns = { db, coll: String(target) };
    if (!inScope(scope, ns)) return undefined;
    return {
      ...base,
      operationType,
      ns,
      operationDescription: recorded('operationDescription') ?? derived,
      stateBeforeChange,
    };
  };
  switch (command) {
    case 'drop':
      return onCollection('drop');
    case 'create':
      return onCollection('create', without(o, 'create'));
    case 'createIndexes':
      return onCollection('createIndexes', new Map([['indexes', [without(o, 'createIndexes')]]]));
    case 'commitIndexBuild':
      return onCollection('createIndexes', new Map([['indexes', o.get('indexes') ?? []]]));
    case 'dropIndexes': {
      const spec = o2 ? without(o2, 'dropIndexes') : new Map([['name', o.get('index') ?? null]]);
      return onCollection('dropIndexes', new Map([['indexes', [spec]]]));
    }
    case 'collMod':
      return onCollection('modify', without(o, 'collMod'), recorded('stateBeforeChange') ?? stateBefore(o2));
    case 'renameCollection':
      return renameChange(entry, scope);
    case 'dropDatabase':
      // A collection stream has been invalidated by the drop of its collection before this.
      return scope.kind === 'collection'
        ? undefined
        : { ...base, uuid: undefined, operationType: 'dropDatabase', ns: { db } };
  }
  const { operationType } = entry.change;
  if (!operationType) return undefined;
  const coll = typeof target === 'string' ? target : undefined;
  const ns = { db, coll };
  if (coll !== undefined && !inScope(scope, ns)) return undefined;
  return { ...base, operationType, ns, operationDescription: recorded('operationDescription') };
}

function renameChange(entry: OplogEntry, scope: StreamScope): Change | undefined {
  const o = entry.o;
  const from = splitNamespace(String(o.get('renameCollection')));
  const to = splitNamespace(String(o.get('to')));
  // A stream sees a rename away from its namespace and a rename that overwrites a collection in it.
  if (!inScope(scope, from) && !inScope(scope, to)) return undefined;
  const operationDescription: BsonDoc = new Map();
  for (const [name, value] of o) {
    if (name === 'renameCollection' || name === 'stayTemp') continue;
    operationDescription.set(name, name === 'to' ? namespaceDoc(to) : value);
  }
  return { entry, operationType: 'rename', ns: from, to, uuid: entry.ui, showsUuid: true, operationDescription };
}

function without(doc: BsonDoc, field: string): BsonDoc {
  return new Map([...doc].filter(([name]) => name !== field));
}

function stateBefore(o2: BsonDoc | undefined): BsonDoc {
  const state: BsonDoc = new Map();
  const collectionOptions = o2?.get('collectionOptions_old');
  const indexOptions = o2?.get('indexOptions_old');
  if (collectionOptions !== undefined) state.set('collectionOptions', collectionOptions);
  if (indexOptions !== undefined) state.set('indexOptions', indexOptions);
  return state;
}

/** Whether the change ends a stream of this scope: its collection dropped or renamed, or its database dropped. */
export function invalidates(change: Change, scope: StreamScope): boolean {
  if (scope.kind === 'collection') return change.operationType === 'drop' || change.operationType === 'rename';
  if (scope.kind === 'database') return change.operationType === 'dropDatabase';
  return false;
}

export function tokenOf(change: Change, fromInvalidate = false): ResumeToken {
  const identifier = new Map<string, BsonValue>([['operationType', change.operationType]]);
  if (change.documentKey) identifier.set('documentKey', change.documentKey);
  else if (change.operationDescription) identifier.set('operationDescription', change.operationDescription);
  return eventToken({
    clusterTime: change.entry.ts,
    txnOpIndex: change.entry.txnOpIndex ?? 0,
    uuid: change.uuid,
    eventIdentifier: identifier,
    fromInvalidate,
  });
}

export function namespaceDoc(ns: Namespace): BsonDoc {
  const doc = new Map<string, BsonValue>([['db', ns.db]]);
  if (ns.coll !== undefined) doc.set('coll', ns.coll);
  return doc;
}

export interface EventOptions {
  readonly showExpandedEvents: boolean;
  /** undefined leaves the field out; null reports a missing image. */
  readonly fullDocument?: BsonValue;
  readonly fullDocumentBeforeChange?: BsonValue;
}

/** The event document, fields in mongod's order. */
export function eventDocument(change: Change, token: ResumeToken, options: EventOptions): BsonDoc {
  const { entry } = change;
  const event = new Map<string, BsonValue>([
    ['_id', token.document],
    ['operationType', change.operationType],
    ['clusterTime', entry.ts],
  ]);
  if (options.showExpandedEvents && change.showsUuid && change.uuid) event.set('collectionUUID', change.uuid);
  event.set('wallTime', entry.wall);
  const fullDocument = options.fullDocument !== undefined ? options.fullDocument : change.fullDocument;
  if (fullDocument !== undefined) event.set('fullDocument', fullDocument);
  event.set('ns', namespaceDoc(change.ns));
  if (change.to) event.set('to', namespaceDoc(change.to));
  if (change.documentKey) event.set('documentKey', change.documentKey);
  if (options.showExpandedEvents && change.operationDescription)
    event.set('operationDescription', change.operationDescription);
  if (change.updateDescription)
    event.set('updateDescription', reportedUpdateDescription(change.updateDescription, options.showExpandedEvents));
  if (options.showExpandedEvents && change.stateBeforeChange) event.set('stateBeforeChange', change.stateBeforeChange);
  if (entry.txnOpIndex !== undefined && entry.lsid && entry.txnNumber) {
    event.set('lsid', entry.lsid);
    event.set('txnNumber', entry.txnNumber);
  }
  if (options.fullDocumentBeforeChange !== undefined)
    event.set('fullDocumentBeforeChange', options.fullDocumentBeforeChange);
  return event;
}

/** disambiguatedPaths is an expanded-events field: mongod shows it (possibly empty) only then. */
function reportedUpdateDescription(description: BsonDoc, showExpandedEvents: boolean): BsonDoc {
  const reported = new Map<string, BsonValue>([
    ['updatedFields', description.get('updatedFields') ?? new Map()],
    ['removedFields', description.get('removedFields') ?? []],
    ['truncatedArrays', description.get('truncatedArrays') ?? []],
  ]);
  if (showExpandedEvents) reported.set('disambiguatedPaths', description.get('disambiguatedPaths') ?? new Map());
  return reported;
}

export function invalidateDocument(change: Change, token: ResumeToken): BsonDoc {
  return new Map<string, BsonValue>([
    ['_id', token.document],
    ['operationType', 'invalidate'],
    ['clusterTime', change.entry.ts],
    ['wallTime', change.entry.wall],
  ]);
}
