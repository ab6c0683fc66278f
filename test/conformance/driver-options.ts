// Translation of the format's "Common Options" (readConcern, readPreference, writeConcern,
// collectionOrDatabaseOptions, uriOptions) into driver option objects. Numbers are unwrapped to
// JS numbers because the driver validates option types with `typeof`.
import { ReadConcern, ReadPreference, WriteConcern } from 'mongodb';
import type { MongoClientOptions, ReadPreferenceMode, TagSet, W } from 'mongodb';
import { RunnerError } from './errors.js';
import { isDocument, toNative } from './values.js';
import type { Doc } from './types.js';

function asDoc(value: unknown, what: string): Doc {
  const native = toNative(value);
  if (!isDocument(native)) throw new RunnerError(`${what}: expected an object`);
  return native;
}

export function readConcernFrom(value: unknown): ReadConcern {
  const spec = asDoc(value, 'readConcern');
  if (typeof spec.level !== 'string') throw new RunnerError('readConcern.level must be a string');
  return new ReadConcern(spec.level as ConstructorParameters<typeof ReadConcern>[0]);
}

export function readPreferenceFrom(value: unknown): ReadPreference {
  const spec = asDoc(value, 'readPreference');
  if (typeof spec.mode !== 'string') throw new RunnerError('readPreference.mode must be a string');
  const tags = Array.isArray(spec.tagSets) ? spec.tagSets.filter(isDocument).map((t) => t as TagSet) : undefined;
  const options: { maxStalenessSeconds?: number; hedge?: Doc } = {};
  if (typeof spec.maxStalenessSeconds === 'number') options.maxStalenessSeconds = spec.maxStalenessSeconds;
  if (isDocument(spec.hedge)) options.hedge = spec.hedge;
  // The format writes modes as in the server docs ("primaryPreferred"), which the driver accepts as is.
  return new ReadPreference(spec.mode as ReadPreferenceMode, tags, options);
}

export function writeConcernFrom(value: unknown): WriteConcern {
  const spec = asDoc(value, 'writeConcern');
  const w = spec.w;
  if (w !== undefined && typeof w !== 'number' && typeof w !== 'string') throw new RunnerError('writeConcern.w');
  const concern = WriteConcern.fromOptions({
    writeConcern: {
      // Tag-set names are strings too; the driver passes any string through to the server.
      ...(w !== undefined && { w: w as W }),
      ...(typeof spec.journal === 'boolean' && { journal: spec.journal }),
      ...(typeof spec.wtimeoutMS === 'number' && { wtimeoutMS: spec.wtimeoutMS }),
    },
  });
  if (!concern) throw new RunnerError('writeConcern: empty');
  return concern;
}

/** collectionOrDatabaseOptions → options for client.db() / db.collection(). */
export function namespaceOptionsFrom(value: unknown): {
  readConcern?: ReadConcern;
  readPreference?: ReadPreference;
  writeConcern?: WriteConcern;
  timeoutMS?: number;
} {
  if (value === undefined) return {};
  const spec = asDoc(value, 'collectionOrDatabaseOptions');
  const out: ReturnType<typeof namespaceOptionsFrom> = {};
  for (const [key, v] of Object.entries(spec)) {
    if (key === 'readConcern') out.readConcern = readConcernFrom(v);
    else if (key === 'readPreference') out.readPreference = readPreferenceFrom(v);
    else if (key === 'writeConcern') out.writeConcern = writeConcernFrom(v);
    else if (key === 'timeoutMS' && typeof v === 'number') out.timeoutMS = v;
    else throw new RunnerError(`unsupported collection/database option "${key}"`);
  }
  return out;
}

/**
 * uriOptions → MongoClient options. Option names follow the URI options spec, which the Node
 * driver accepts as MongoClientOptions keys (w, readConcernLevel, retryWrites, appname, ...).
 */
export function clientOptionsFrom(uriOptions: unknown): MongoClientOptions {
  if (uriOptions === undefined) return {};
  const spec = asDoc(uriOptions, 'uriOptions');
  const out: Doc = {};
  for (const [key, value] of Object.entries(spec)) {
    if (isDocument(value) && '$$placeholder' in value)
      throw new RunnerError(`uriOptions.${key}: $$placeholder values need credentials this runner does not have`);
    if (key === 'readPreferenceTags' && Array.isArray(value)) {
      // The format writes tag sets as "dc:ny,rack:1" strings; the driver wants objects.
      out[key] = value.map((set) =>
        Object.fromEntries(
          String(set)
            .split(',')
            .filter(Boolean)
            .map((pair) => pair.split(':')),
        ),
      );
    } else {
      out[key] = value;
    }
  }
  return out as MongoClientOptions;
}
