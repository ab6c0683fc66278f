// Keeps a sandbox's data in a directory (--dbpath) across restarts: collections with their options,
// UUIDs, index specs and documents, the oplog (so change streams resume after a restart) and the
// cluster time. Saved on a graceful stop and every few seconds while something changes; a crash loses
// at most the changes since the last save.
//
// Directory layout (format 1):
//   manifest.bson                     one BSON document: format, generation, clusterTime, the oplog file
//                                     and its valid length, and per collection {db, name, uuid, options,
//                                     indexes, file}; it is replaced atomically and names every other file
//   collections/<uuid>-<gen>.bson     a collection's documents, BSON one after another in natural order;
//                                     written only when that collection changed, never modified afterwards
//   oplog-<gen>.bson                  oplog entries, BSON one after another; only appended to, and read
//                                     only up to the length the manifest records (a crash may leave a tail)
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeDocument } from './bson/decode.js';
import { encodeDocument } from './bson/encode.js';
import {
  Binary,
  Int32,
  Long,
  ObjectId,
  Timestamp,
  type BsonDoc,
  type BsonValue,
  type EncodableValue,
} from './bson/values.js';
import { compareTimestamps } from './clock.js';
import type { Sandbox } from './sandbox.js';
import type { Collection } from './storage/collection.js';
import type { ChangeData, OplogEntry, OplogOp } from './storage/oplog.js';

const FORMAT = 1;
const MANIFEST = 'manifest.bson';
const COLLECTIONS = 'collections';
const SAVE_INTERVAL_MS = 5000;
/** The oplog file is rewritten once it holds this many times more entries than the live oplog. */
const OPLOG_REWRITE_FACTOR = 2;
const OPLOG_REWRITE_MIN_ENTRIES = 10_000;

/** The documents of one collection as last written: the file and the exact buffers it holds. */
interface SavedCollection {
  file: string;
  records: Buffer[];
}

export class PersistenceError extends Error {}

export class Persistence {
  private generation = 0;
  private readonly saved = new Map<string, SavedCollection>();
  private savedCatalog?: Buffer;
  private lastSavedEntry?: OplogEntry;
  private oplogFile = '';
  private oplogLength = 0;
  private oplogFileEntries = 0;
  private timer?: NodeJS.Timeout;
  private saving?: Promise<void>;

  private constructor(
    private readonly sandbox: Sandbox,
    private readonly dir: string,
  ) {}

  /** Loads what `dir` holds into the (empty) sandbox and starts saving periodically. */
  static async open(sandbox: Sandbox, dir: string): Promise<Persistence> {
    const persistence = new Persistence(sandbox, dir);
    await mkdir(join(dir, COLLECTIONS), { recursive: true });
    await persistence.load();
    persistence.timer = setInterval(() => void persistence.saveQuietly(), SAVE_INTERVAL_MS);
    persistence.timer.unref();
    return persistence;
  }

  /** Saves now if anything changed since the last save; waits for a save already running. */
  async save(): Promise<void> {
    while (this.saving) await this.saving.catch(() => undefined);
    this.saving = this.writeSnapshot();
    try {
      await this.saving;
    } finally {
      this.saving = undefined;
    }
  }

  /** Stops the periodic saves and saves a last time; open transactions are aborted first, as a shutdown does. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.sandbox.sessions.abortAllTransactions();
    await this.save();
  }

  private async saveQuietly(): Promise<void> {
    if (this.saving) return;
    try {
      await this.save();
    } catch (error) {
      process.emitWarning(`sandbox: saving to ${this.dir} failed, will retry: ${describe(error)}`);
    }
  }

  private async load(): Promise<void> {
    const manifestBytes = await readIfExists(join(this.dir, MANIFEST));
    if (!manifestBytes) {
      this.oplogFile = `oplog-${this.generation}.bson`;
      await removeUnreferenced(this.dir, new Set());
      return;
    }
    let manifest: BsonDoc;
    try {
      manifest = decodeDocument(manifestBytes);
    } catch (error) {
      throw new PersistenceError(`${join(this.dir, MANIFEST)} is not readable BSON (${describe(error)})`);
    }
    if (numberField(manifest, 'format') !== FORMAT)
      throw new PersistenceError(
        `${join(this.dir, MANIFEST)} has an unknown format; it was not written by this sandbox`,
      );
    this.generation = numberField(manifest, 'generation');
    const referenced = new Set<string>();
    for (const entry of arrayField(manifest, 'collections')) {
      const file = await this.loadCollection(asManifestDoc(entry));
      if (file) referenced.add(join(COLLECTIONS, file));
    }
    const oplog = docField(manifest, 'oplog');
    this.oplogFile = stringField(oplog, 'file');
    this.oplogLength = numberField(oplog, 'length');
    referenced.add(this.oplogFile);
    await this.loadOplog(oplog);
    const clusterTime = manifest.get('clusterTime');
    if (clusterTime instanceof Timestamp) this.sandbox.clock.advanceTo(clusterTime);
    // The replica set's identity survives a restart, as mongod keeps it in local.system.replset.
    const replicaSetId = manifest.get('replicaSetId');
    if (replicaSetId instanceof ObjectId) this.sandbox.replicaSetId = replicaSetId;
    this.savedCatalog = encodeDocument(this.catalogDescription());
    await removeUnreferenced(this.dir, referenced);
  }

  /** Recreates one collection (or view) from its manifest entry; returns its documents file. */
  private async loadCollection(entry: BsonDoc): Promise<string | undefined> {
    const uuid = entry.get('uuid');
    if (!(uuid instanceof Binary)) throw new PersistenceError(`${this.dir}: a collection in the manifest has no uuid`);
    const indexes = arrayField(entry, 'indexes').map(asManifestDoc);
    const collection = this.sandbox.catalog.create(
      stringField(entry, 'db'),
      stringField(entry, 'name'),
      docField(entry, 'options'),
      uuid,
      indexes.find((index) => index.get('name') === '_id_'),
    );
    for (const index of indexes) {
      if (!collection.indexes.get(String(index.get('name')))) collection.indexes.create(index, []);
    }
    const file = entry.get('file');
    if (typeof file !== 'string') return undefined;
    const records: Buffer[] = [];
    for (const bytes of bsonSequence(await this.readFile(join(COLLECTIONS, file)))) {
      const document = Buffer.from(bytes);
      const doc = decodeDocument(document);
      const id = doc.get('_id');
      if (id === undefined) throw new PersistenceError(`${join(this.dir, COLLECTIONS, file)}: a document has no _id`);
      collection.add(id, document, doc);
      records.push(document);
    }
    this.saved.set(uuidKey(collection), { file, records });
    return file;
  }

  private async loadOplog(description: BsonDoc): Promise<void> {
    const bytes = (await this.readFile(this.oplogFile)).subarray(0, this.oplogLength);
    const start = description.get('start');
    const { oplog, clock } = this.sandbox;
    for (const entryBytes of bsonSequence(bytes)) {
      this.oplogFileEntries++;
      const entry = oplogEntryFromDoc(decodeDocument(entryBytes));
      if (start instanceof Timestamp && compareTimestamps(entry.ts, start) < 0) continue;
      oplog.append(entry);
      clock.advanceTo(entry.ts);
    }
    this.lastSavedEntry = oplog.last();
    const truncatedBefore = description.get('truncatedBefore');
    if (
      truncatedBefore instanceof Timestamp &&
      (!oplog.truncatedBefore || compareTimestamps(truncatedBefore, oplog.truncatedBefore) > 0)
    )
      oplog.truncatedBefore = truncatedBefore;
  }

  private async readFile(name: string): Promise<Buffer> {
    try {
      return await readFile(join(this.dir, name));
    } catch (error) {
      throw new PersistenceError(`cannot read ${join(this.dir, name)} named by the manifest (${describe(error)})`);
    }
  }

  /**
   * Takes a consistent snapshot synchronously (documents are immutable buffers, oplog entries are
   * never changed once appended), then writes it while the server goes on serving.
   */
  private async writeSnapshot(): Promise<void> {
    // Transactions apply their writes at once and undo them on abort: wait until none is pending.
    if (this.hasUncommittedWrites()) return;
    const { catalog, oplog, clock } = this.sandbox;
    const generation = this.generation + 1;
    const catalogDescription = encodeDocument(this.catalogDescription());
    const collections = catalog.all().map((collection) => this.snapshotCollection(collection, generation));
    const changed = collections.filter(({ changed }) => changed);
    const newEntries = this.entriesSinceLastSave();
    const catalogChanged = !this.savedCatalog || !this.savedCatalog.equals(catalogDescription);
    if (!catalogChanged && changed.length === 0 && newEntries.length === 0) return;

    const rewriteOplog =
      this.oplogFileEntries > OPLOG_REWRITE_MIN_ENTRIES &&
      this.oplogFileEntries > OPLOG_REWRITE_FACTOR * Math.max(oplog.length, 1);
    const oplogEntries = rewriteOplog ? [...oplog.all()] : newEntries;
    const oplogBuffers = oplogEntries.map((entry) => encodeDocument(oplogEntryToDoc(entry)));
    const oplogFile = rewriteOplog ? `oplog-${generation}.bson` : this.oplogFile;
    const oplogLength = (rewriteOplog ? 0 : this.oplogLength) + totalLength(oplogBuffers);
    const first = oplog.first();
    const manifest: Record<string, EncodableValue> = {
      format: new Int32(FORMAT),
      generation: new Int32(generation),
      savedAt: new Date(),
      clusterTime: clock.current(),
      replicaSetId: this.sandbox.replicaSetId,
      oplog: {
        file: oplogFile,
        length: Long.fromNumber(oplogLength),
        ...(first ? { start: first.ts } : {}),
        ...(oplog.truncatedBefore ? { truncatedBefore: oplog.truncatedBefore } : {}),
      },
      collections: collections.map(({ description }) => description),
    };

    for (const { saved } of changed)
      if (saved) await writeFileAtomically(join(this.dir, COLLECTIONS, saved.file), saved.records);
    if (rewriteOplog) await writeFileAtomically(join(this.dir, oplogFile), oplogBuffers);
    else await appendAndSync(join(this.dir, oplogFile), this.oplogLength, oplogBuffers);
    await writeFileAtomically(join(this.dir, MANIFEST), [encodeDocument(manifest)]);

    this.generation = generation;
    this.savedCatalog = catalogDescription;
    this.lastSavedEntry = newEntries.at(-1) ?? this.lastSavedEntry;
    this.oplogFileEntries = (rewriteOplog ? 0 : this.oplogFileEntries) + oplogEntries.length;
    this.oplogFile = oplogFile;
    this.oplogLength = oplogLength;
    this.saved.clear();
    for (const { key, saved } of collections) if (saved) this.saved.set(key, saved);
    const referenced = new Set([oplogFile, ...[...this.saved.values()].map(({ file }) => join(COLLECTIONS, file))]);
    await removeUnreferenced(this.dir, referenced);
  }

  /** A collection as the manifest lists it; its documents get a new file when they changed since the last save. */
  private snapshotCollection(
    collection: Collection,
    generation: number,
  ): { key: string; changed: boolean; saved?: SavedCollection; description: Record<string, EncodableValue> } {
    const key = uuidKey(collection);
    const description = describeCollection(collection);
    if (collection.isView) return { key, changed: false, description };
    const records = [...collection.natural()].map((record) => record.bytes);
    const previous = this.saved.get(key);
    const changed = !previous || !sameBuffers(previous.records, records);
    const saved = changed ? { file: `${key}-${generation}.bson`, records } : previous;
    return { key, changed, saved, description: { ...description, file: saved.file } };
  }

  private hasUncommittedWrites(): boolean {
    return this.sandbox.sessions
      .all()
      .some(({ transaction }) => transaction?.state === 'inProgress' && transaction.undo.length > 0);
  }

  /** What of the catalog the manifest records, apart from file names: detects DDL without writes. */
  private catalogDescription(): Record<string, EncodableValue> {
    return { collections: this.sandbox.catalog.all().map(describeCollection) };
  }

  private entriesSinceLastSave(): OplogEntry[] {
    const { oplog } = this.sandbox;
    const entries: OplogEntry[] = [];
    const from = this.lastSavedEntry ? oplog.positionOf(this.lastSavedEntry.ts, true) : oplog.positionOf(ZERO_TS);
    for (let position = from; position < oplog.endPosition; position++) {
      const entry = oplog.at(position);
      if (entry) entries.push(entry);
    }
    return entries;
  }
}

const ZERO_TS = new Timestamp({ t: 0, i: 0 });

function describeCollection(collection: Collection): Record<string, EncodableValue> {
  return {
    db: collection.db,
    name: collection.name,
    uuid: collection.uuid,
    options: collection.options,
    indexes: collection.indexes.list.map((index) => index.spec),
  };
}

function uuidKey(collection: Collection): string {
  return Buffer.from(collection.uuid.buffer).toString('hex');
}

function sameBuffers(a: Buffer[], b: Buffer[]): boolean {
  return a.length === b.length && a.every((buffer, index) => buffer === b[index]);
}

function totalLength(buffers: Buffer[]): number {
  return buffers.reduce((sum, buffer) => sum + buffer.length, 0);
}

/** BSON documents stored one after another (each starts with its int32 length). */
function* bsonSequence(bytes: Buffer): Generator<Buffer> {
  let position = 0;
  while (position < bytes.length) {
    const length = position + 4 <= bytes.length ? bytes.readInt32LE(position) : -1;
    if (length < 5 || position + length > bytes.length)
      throw new PersistenceError(`a stored BSON sequence is truncated at byte ${position}`);
    yield bytes.subarray(position, position + length);
    position += length;
  }
}

// Oplog entries keep documents as Buffers; in the file they are Binary values.
const CHANGE_BUFFERS = ['fullDocument', 'preImage', 'postImage'] as const;
const CHANGE_DOCS = ['documentKey', 'updateDescription', 'fields'] as const;

function oplogEntryToDoc(entry: OplogEntry): Record<string, EncodableValue> {
  const change: Record<string, EncodableValue> = { operationType: entry.change.operationType };
  for (const field of CHANGE_BUFFERS) {
    const buffer = entry.change[field];
    if (buffer) change[field] = new Binary(buffer);
  }
  for (const field of CHANGE_DOCS) change[field] = entry.change[field];
  // An insert or replacement carries its document twice: o, and fullDocument (its bytes, see
  // storage/writer.ts). The file keeps it once, which also spares encoding o.
  const oIsFullDocument = (entry.op === 'i' || entry.op === 'u') && entry.change.fullDocument !== undefined;
  return {
    ts: entry.ts,
    wall: entry.wall,
    op: entry.op,
    ns: entry.ns,
    ui: entry.ui,
    o: oIsFullDocument ? undefined : entry.o,
    oIsFullDocument: oIsFullDocument || undefined,
    o2: entry.o2,
    lsid: entry.lsid,
    txnNumber: entry.txnNumber,
    txnOpIndex: entry.txnOpIndex === undefined ? undefined : new Int32(entry.txnOpIndex),
    size: new Int32(entry.size),
    change,
  };
}

function oplogEntryFromDoc(doc: BsonDoc): OplogEntry {
  const ts = doc.get('ts');
  const wall = doc.get('wall');
  const ui = doc.get('ui');
  const txnNumber = doc.get('txnNumber');
  if (!(ts instanceof Timestamp) || !(wall instanceof Date))
    throw new PersistenceError('a stored oplog entry has no ts or wall time');
  const stored = docField(doc, 'change');
  const change: ChangeData = {};
  const operationType = stored.get('operationType');
  if (typeof operationType === 'string') change.operationType = operationType;
  for (const field of CHANGE_BUFFERS) {
    const value = stored.get(field);
    if (value instanceof Binary) change[field] = Buffer.from(value.buffer);
  }
  for (const field of CHANGE_DOCS) {
    const value = stored.get(field);
    if (value instanceof Map) change[field] = value;
  }
  const o2 = doc.get('o2');
  const lsid = doc.get('lsid');
  const entry: Omit<OplogEntry, 'o'> = {
    ts,
    wall,
    op: stringField(doc, 'op') as OplogOp,
    ns: stringField(doc, 'ns'),
    ui: ui instanceof Binary ? ui : undefined,
    o2: o2 instanceof Map ? o2 : undefined,
    lsid: lsid instanceof Map ? lsid : undefined,
    txnNumber: txnNumber instanceof Long ? txnNumber : undefined,
    txnOpIndex: doc.has('txnOpIndex') ? numberField(doc, 'txnOpIndex') : undefined,
    change,
    size: numberField(doc, 'size'),
  };
  if (doc.get('oIsFullDocument') === true && change.fullDocument) return withLazyO(entry, change.fullDocument);
  return { ...entry, o: docField(doc, 'o') };
}

/** Decodes `o` from the document bytes only when something reads it: most entries are never read. */
function withLazyO(entry: Omit<OplogEntry, 'o'>, bytes: Buffer): OplogEntry {
  let o: BsonDoc | undefined;
  return Object.defineProperty(entry, 'o', {
    get: () => (o ??= decodeDocument(bytes)),
    set: (value: BsonDoc) => {
      o = value;
    },
    enumerable: true,
  }) as OplogEntry;
}

function asManifestDoc(value: BsonValue): BsonDoc {
  if (!(value instanceof Map)) throw new PersistenceError('the manifest lists something that is not a document');
  return value;
}

function docField(doc: BsonDoc, field: string): BsonDoc {
  const value = doc.get(field);
  if (!(value instanceof Map)) throw new PersistenceError(`stored field '${field}' is missing or not a document`);
  return value;
}

function arrayField(doc: BsonDoc, field: string): BsonValue[] {
  const value = doc.get(field);
  if (!Array.isArray(value)) throw new PersistenceError(`stored field '${field}' is missing or not an array`);
  return value;
}

function stringField(doc: BsonDoc, field: string): string {
  const value = doc.get(field);
  if (typeof value !== 'string') throw new PersistenceError(`stored field '${field}' is missing or not a string`);
  return value;
}

function numberField(doc: BsonDoc, field: string): number {
  const value = doc.get(field);
  if (value instanceof Int32) return value.value;
  if (value instanceof Long) return value.toNumber();
  throw new PersistenceError(`stored field '${field}' is missing or not an integer`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new PersistenceError(`cannot read ${path} (${describe(error)})`);
  }
}

/** Writes a temporary file, flushes it to disk and renames it over `path`, so readers see old or new. */
async function writeFileAtomically(path: string, buffers: Buffer[]): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await writeAll(handle, buffers);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

/** Appends after the first `validLength` bytes, dropping what a failed save may have left past them. */
async function appendAndSync(path: string, validLength: number, buffers: Buffer[]): Promise<void> {
  const handle = await open(path, 'a');
  try {
    await handle.truncate(validLength);
    await writeAll(handle, buffers);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes the buffers in chunks of about a megabyte (one call per document would be thousands of syscalls). */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  for (const chunk of chunked(buffers, 1 << 20)) {
    for (let offset = 0; offset < chunk.length;) offset += (await handle.write(chunk, offset)).bytesWritten;
  }
}

function* chunked(buffers: Buffer[], chunkBytes: number): Generator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for (const buffer of buffers) {
    pending.push(buffer);
    size += buffer.length;
    if (size >= chunkBytes) {
      yield Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (pending.length) yield Buffer.concat(pending, size);
}

/** Deletes files that no manifest names: superseded generations and leftovers of an interrupted save. */
async function removeUnreferenced(dir: string, referenced: Set<string>): Promise<void> {
  const candidates = [
    ...(await readdir(dir)).filter((name) => name.startsWith('oplog-') || name.endsWith('.tmp')),
    ...(await readdir(join(dir, COLLECTIONS))).map((name) => join(COLLECTIONS, name)),
  ];
  for (const name of candidates) if (!referenced.has(name)) await rm(join(dir, name), { force: true });
}
