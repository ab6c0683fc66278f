// Conversion of the driver's result model objects into the plain documents the spec's
// expectResult describes ("Converting Returned Model Objects to Documents"). Only the fields the
// CRUD spec defines are copied, because nested result documents (clientBulkWrite's
// updateResults etc.) are matched without tolerance for extra fields.
import { isDocument } from './values.js';
import type { Doc } from './types.js';

function prop(source: unknown, key: string): unknown {
  if (typeof source !== 'object' || source === null) return undefined;
  return (source as Record<string, unknown>)[key];
}

/** Copy the listed fields that are set (not undefined/null when `dropNull`). */
function pick(source: unknown, keys: readonly string[], dropNull: readonly string[] = []): Doc {
  const out: Doc = {};
  for (const key of keys) {
    const value = prop(source, key);
    if (value === undefined) continue;
    if (value === null && dropNull.includes(key)) continue;
    out[key] = value;
  }
  return out;
}

/** Map<number, T> → { "0": T, ... } as the format writes index-keyed results. */
function indexMap(value: unknown, convert: (v: unknown) => Doc): Doc | undefined {
  if (value === undefined || value === null) return undefined;
  const out: Doc = {};
  if (value instanceof Map) {
    for (const [key, v] of value) out[String(key)] = convert(v);
  } else if (isDocument(value)) {
    for (const [key, v] of Object.entries(value)) out[key] = convert(v);
  }
  return out;
}

export function bulkWriteResultDoc(result: unknown): Doc {
  return pick(result, [
    'acknowledged',
    'insertedCount',
    'matchedCount',
    'modifiedCount',
    'deletedCount',
    'upsertedCount',
    'insertedIds',
    'upsertedIds',
  ]);
}

export function clientBulkWriteResultDoc(result: unknown): Doc | undefined {
  if (result === undefined || result === null) return undefined;
  const out = pick(result, [
    'acknowledged',
    'insertedCount',
    'upsertedCount',
    'matchedCount',
    'modifiedCount',
    'deletedCount',
  ]);
  const inserts = indexMap(prop(result, 'insertResults'), (v) => pick(v, ['insertedId']));
  // upsertedId is absent unless an upsert happened; tests assert `$$exists: false` on it.
  const updates = indexMap(prop(result, 'updateResults'), (v) =>
    pick(v, ['matchedCount', 'modifiedCount', 'upsertedId'], ['upsertedId']),
  );
  const deletes = indexMap(prop(result, 'deleteResults'), (v) => pick(v, ['deletedCount']));
  if (inserts) out.insertResults = inserts;
  if (updates) out.updateResults = updates;
  if (deletes) out.deleteResults = deletes;
  return out;
}

/** The document form of an operation's return value, or the value itself if it is not a model. */
export function toResultDocument(operationName: string, result: unknown): unknown {
  if (typeof result !== 'object' || result === null) return result;
  switch (operationName) {
    case 'insertOne':
      return pick(result, ['acknowledged', 'insertedId']);
    case 'insertMany':
      return pick(result, ['acknowledged', 'insertedCount', 'insertedIds']);
    case 'updateOne':
    case 'updateMany':
    case 'replaceOne':
      return pick(
        result,
        ['acknowledged', 'matchedCount', 'modifiedCount', 'upsertedCount', 'upsertedId'],
        ['upsertedId'],
      );
    case 'deleteOne':
    case 'deleteMany':
      return pick(result, ['acknowledged', 'deletedCount']);
    case 'bulkWrite':
      return bulkWriteResultDoc(result);
    case 'clientBulkWrite':
      return clientBulkWriteResultDoc(result);
    default:
      return result;
  }
}
