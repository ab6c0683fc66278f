// The byte-level compare every migration test ends with: the target must hold what the source holds.
// Both clusters are described the same way (describeCluster) and every difference is listed:
// - the same databases and collections (MongoDB's internal databases, the metadata database and
//   system.* collections left out);
// - the same collection type, options, info (minus the uuid, which a migration cannot keep) and idIndex;
// - the same index specs by name: `key` compared as bytes (field order and value types matter there),
//   every other option compared as bytes too, but regardless of its position in the spec, because
//   collMod (how finalize restores relaxed options) may append an option rather than put it back in
//   place, and the position of an index option means nothing to MongoDB; the same goes for the
//   top-level collection options;
// - the same document count, and the same MD5 over the raw BSON of all documents in `_id` order
//   (natural order for capped collections, where order is data): any type or field-order
//   difference shows. When the hashes differ, both sides are read again to name the first documents
//   that are missing, extra or different.
import { AssertionError } from 'node:assert';
import { createHash } from 'node:crypto';
import {
  Binary,
  BSON,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  MongoClient,
  ObjectId,
  Timestamp,
  type Collection,
} from 'mongodb';
import { decodeOrdered, type OrderedDocument } from '../../engine/core/bson/ordered.js';

export interface CompareOptions {
  /** Ferry's database on the target; never compared. Default `ferry_internal`. */
  metadataDb?: string;
  /** Which namespaces (`db.coll`) to compare; all by default. */
  namespaces?: (namespace: string) => boolean;
}

export interface CollectionDescription {
  namespace: string;
  type: string;
  capped: boolean;
  options: OrderedDocument;
  /** listCollections `info` without the uuid. */
  info: OrderedDocument;
  idIndex: unknown;
  /** listIndexes, sorted by name. */
  indexes: OrderedDocument[];
  count: number;
  /** MD5 of the concatenated raw documents, in `_id` order (natural order if capped). */
  md5: string;
}

export type ClusterDescription = Map<string, CollectionDescription>;

const internalDatabases = new Set(['admin', 'config', 'local']);
/** Lossy values are described as they decode; the compare itself always uses raw bytes. */
const tolerateLossy = (): void => {};

export async function describeCluster(uri: string, options: CompareOptions = {}): Promise<ClusterDescription> {
  const client = new MongoClient(uri);
  try {
    return await describeWith(client, options);
  } finally {
    await client.close();
  }
}

async function describeWith(client: MongoClient, options: CompareOptions): Promise<ClusterDescription> {
  const metadataDb = options.metadataDb ?? 'ferry_internal';
  const selected = options.namespaces ?? (() => true);
  const description: ClusterDescription = new Map();
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  for (const { name: dbName } of databases.sort((a, b) => a.name.localeCompare(b.name))) {
    if (internalDatabases.has(dbName) || dbName === metadataDb) continue;
    const db = client.db(dbName);
    const entries = (await db.listCollections({}, { raw: true }).toArray()).map(decode);
    for (const entry of entries) {
      const name = String(entry.get('name'));
      const namespace = `${dbName}.${name}`;
      if (name.startsWith('system.') || !selected(namespace)) continue;
      const type = String(entry.get('type'));
      const collectionOptions = asDocument(entry.get('options'));
      const info = new Map(asDocument(entry.get('info')));
      info.delete('uuid');
      const capped = collectionOptions.get('capped') === true;
      const collection = db.collection(name);
      const isView = type === 'view';
      const indexes = isView ? [] : (await collection.listIndexes({ raw: true }).toArray()).map(decode);
      indexes.sort((a, b) => String(a.get('name')).localeCompare(String(b.get('name'))));
      const { count, md5 } = isView ? { count: 0, md5: '' } : await hashDocuments(collection, capped);
      description.set(namespace, {
        namespace,
        type,
        capped,
        options: collectionOptions,
        info,
        idIndex: entry.get('idIndex'),
        indexes,
        count,
        md5,
      });
    }
  }
  return description;
}

async function hashDocuments(collection: Collection, capped: boolean): Promise<{ count: number; md5: string }> {
  const hash = createHash('md5');
  let count = 0;
  for await (const raw of readDocuments(collection, capped)) {
    hash.update(raw);
    count++;
  }
  return { count, md5: hash.digest('hex') };
}

function readDocuments(collection: Collection, capped: boolean): AsyncIterable<Uint8Array> {
  const cursor = collection.find({}, { raw: true, ...(capped ? { hint: { $natural: 1 } } : { sort: { _id: 1 } }) });
  return cursor as unknown as AsyncIterable<Uint8Array>;
}

/** Throws an AssertionError listing every difference between the two clusters. */
export async function expectClustersIdentical(
  sourceUri: string,
  targetUri: string,
  options: CompareOptions = {},
): Promise<void> {
  const source = new MongoClient(sourceUri);
  const target = new MongoClient(targetUri);
  try {
    const [before, after] = await Promise.all([describeWith(source, options), describeWith(target, options)]);
    const differences = compareDescriptions(before, after);
    for (const namespace of namespacesWithDifferentDocuments(before, after)) {
      differences.push(...(await documentDifferences(source, target, before.get(namespace)!)));
    }
    if (differences.length > 0) {
      throw new AssertionError({
        message: `the target differs from the source in ${differences.length} way(s):\n- ${differences.join('\n- ')}`,
      });
    }
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

/** Every difference of catalog and counts; documents are only compared by hash here. */
export function compareDescriptions(source: ClusterDescription, target: ClusterDescription): string[] {
  const differences: string[] = [];
  for (const namespace of [...new Set([...source.keys(), ...target.keys()])].sort()) {
    const a = source.get(namespace);
    const b = target.get(namespace);
    if (!a || !b) {
      differences.push(`${namespace}: only on the ${a ? 'source' : 'target'}`);
      continue;
    }
    if (a.type !== b.type) differences.push(`${namespace}: type ${a.type} on the source, ${b.type} on the target`);
    differences.push(...compareFields(`${namespace} options`, a.options, b.options));
    differences.push(...compareFields(`${namespace} info`, a.info, b.info));
    if (!sameBytes(a.idIndex, b.idIndex)) {
      differences.push(`${namespace} idIndex: ${format(a.idIndex)} on the source, ${format(b.idIndex)} on the target`);
    }
    differences.push(...compareIndexes(namespace, a.indexes, b.indexes));
    if (a.count !== b.count)
      differences.push(`${namespace}: ${a.count} documents on the source, ${b.count} on the target`);
  }
  return differences;
}

function namespacesWithDifferentDocuments(source: ClusterDescription, target: ClusterDescription): string[] {
  return [...source.keys()].filter((namespace) => {
    const b = target.get(namespace);
    return b !== undefined && source.get(namespace)!.md5 !== b.md5;
  });
}

function compareIndexes(namespace: string, source: OrderedDocument[], target: OrderedDocument[]): string[] {
  const differences: string[] = [];
  const byName = (specs: OrderedDocument[]) => new Map(specs.map((spec) => [String(spec.get('name')), spec]));
  const a = byName(source);
  const b = byName(target);
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const specA = a.get(name);
    const specB = b.get(name);
    if (!specA || !specB) {
      differences.push(
        `${namespace} index ${name}: only on the ${specA ? 'source' : 'target'}: ${format(specA ?? specB)}`,
      );
      continue;
    }
    differences.push(...compareFields(`${namespace} index ${name}`, specA, specB));
  }
  return differences;
}

/** Field by field, as bytes, regardless of the fields' positions. */
function compareFields(what: string, source: OrderedDocument, target: OrderedDocument): string[] {
  const differences: string[] = [];
  for (const field of [...new Set([...source.keys(), ...target.keys()])].sort()) {
    const a = source.get(field);
    const b = target.get(field);
    if (!sameBytes(a, b)) differences.push(`${what}.${field}: ${format(a)} on the source, ${format(b)} on the target`);
  }
  return differences;
}

function sameBytes(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(BSON.serialize({ v: a })).equals(Buffer.from(BSON.serialize({ v: b })));
}

// ---------------------------------------------------------------------------------------------------
// Naming the documents that differ

const MAX_LISTED = 10;

async function documentDifferences(
  source: MongoClient,
  target: MongoClient,
  collection: CollectionDescription,
): Promise<string[]> {
  const dot = collection.namespace.indexOf('.');
  const open = (client: MongoClient) =>
    client.db(collection.namespace.slice(0, dot)).collection(collection.namespace.slice(dot + 1));
  const [a, b] = await Promise.all([
    documentDigests(open(source), collection.capped),
    documentDigests(open(target), collection.capped),
  ]);
  const what = `${collection.namespace} documents`;
  if (collection.capped) return positionalDifferences(what, a, b);
  const targetById = new Map(b.map((doc) => [doc.key, doc]));
  const sourceKeys = new Set(a.map((doc) => doc.key));
  const missing = a.filter((doc) => !targetById.has(doc.key));
  const different = a.filter((doc) => targetById.has(doc.key) && targetById.get(doc.key)!.md5 !== doc.md5);
  const extra = b.filter((doc) => !sourceKeys.has(doc.key));
  const differences: string[] = [];
  if (missing.length > 0) differences.push(`${what} missing on the target: ${listIds(missing)}`);
  if (extra.length > 0) differences.push(`${what} only on the target: ${listIds(extra)}`);
  for (const doc of different.slice(0, MAX_LISTED)) {
    differences.push(
      `${what} differ at _id ${doc.id}: ${doc.text} on the source, ${targetById.get(doc.key)!.text} on the target`,
    );
  }
  if (different.length > MAX_LISTED) differences.push(`${what}: ${different.length - MAX_LISTED} more differ`);
  if (differences.length === 0) differences.push(`${what} are the same set but in a different order`);
  return differences;
}

interface DocumentDigest {
  /** The _id's BSON bytes, as hex. */
  key: string;
  id: string;
  md5: string;
  text: string;
}

async function documentDigests(collection: Collection, capped: boolean): Promise<DocumentDigest[]> {
  const digests: DocumentDigest[] = [];
  for await (const raw of readDocuments(collection, capped)) {
    const doc = decodeOrdered(raw, tolerateLossy);
    const id = doc.get('_id');
    digests.push({
      key: Buffer.from(BSON.serialize({ v: id })).toString('hex'),
      id: format(id),
      md5: createHash('md5').update(raw).digest('hex'),
      text: truncate(format(doc)),
    });
  }
  return digests;
}

function positionalDifferences(what: string, a: DocumentDigest[], b: DocumentDigest[]): string[] {
  const differences: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && differences.length < MAX_LISTED; i++) {
    if (a[i]?.md5 === b[i]?.md5) continue;
    differences.push(
      `${what} differ at position ${i} (natural order): ${a[i]?.text ?? 'nothing'} on the source, ` +
        `${b[i]?.text ?? 'nothing'} on the target`,
    );
  }
  return differences;
}

function listIds(docs: DocumentDigest[]): string {
  const listed = docs.slice(0, MAX_LISTED).map((doc) => doc.id);
  return listed.join(', ') + (docs.length > MAX_LISTED ? ` and ${docs.length - MAX_LISTED} more` : '');
}

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

// ---------------------------------------------------------------------------------------------------
// Values in shell notation, with their types, so a difference of type is visible in the message

export function format(value: unknown): string {
  if (value === undefined) return '(missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(format).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${JSON.stringify(k)}: ${format(v)}`).join(', ')}}`;
  if (value instanceof Date) return `ISODate(${JSON.stringify(value.toISOString())})`;
  if (value instanceof Int32) return `Int32(${value.value})`;
  if (value instanceof Double) return `Double(${value.value})`;
  if (value instanceof Long) return `Long("${value.toString()}")`;
  if (value instanceof Decimal128) return `Decimal128("${value.toString()}")`;
  if (value instanceof ObjectId) return `ObjectId("${value.toHexString()}")`;
  if (value instanceof Timestamp) return `Timestamp(${value.t}, ${value.i})`;
  if (value instanceof Binary) return `Binary(${value.sub_type}, "${Buffer.from(value.buffer).toString('base64')}")`;
  if (value instanceof BSONRegExp) return `/${value.pattern}/${value.options}`;
  if (value instanceof BSONSymbol) return `Symbol(${JSON.stringify(value.valueOf())})`;
  if (value instanceof Code)
    return `Code(${JSON.stringify(value.code)}${value.scope ? `, ${format(value.scope)}` : ''})`;
  if (value instanceof MinKey) return 'MinKey';
  if (value instanceof MaxKey) return 'MaxKey';
  return String(value);
}

function decode(raw: unknown): OrderedDocument {
  return decodeOrdered(raw as Uint8Array, tolerateLossy);
}

function asDocument(value: unknown): OrderedDocument {
  return value instanceof Map ? (value as OrderedDocument) : new Map();
}
