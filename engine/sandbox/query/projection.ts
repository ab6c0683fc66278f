// find projections. Plain inclusion and exclusion are applied to the typed document, so the fields
// returned keep their exact types; projections with operators go through mingo.
import { Query } from 'mingo/query';
import { fromMatchValue, toMatchDocument } from '../bson/match-view.js';
import type { BsonDoc, BsonValue } from '../bson/values.js';
import { numberOption } from '../storage/writer.js';
import { CommandError } from '../errors.js';
import { mingoContext } from './mingo-context.js';

type Mode = 'include' | 'exclude';

export function applyProjection(doc: BsonDoc, projection: BsonDoc, filter?: BsonDoc): BsonDoc {
  const plan = plainPlan(projection);
  if (!plan) return projectWithMingo(doc, projection, filter);
  return plan.mode === 'include' ? include(doc, plan.paths, plan.keepId) : exclude(doc, plan.paths, plan.keepId);
}

interface Plan {
  mode: Mode;
  paths: string[][];
  keepId: boolean;
}

function flag(value: BsonValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const number = numberOption(value);
  return number === undefined ? undefined : number !== 0;
}

function plainPlan(projection: BsonDoc): Plan | undefined {
  let mode: Mode | undefined;
  let keepId = true;
  const paths: string[][] = [];
  for (const [path, value] of projection) {
    if (path.includes('$')) return undefined;
    const on = flag(value);
    if (on === undefined) return undefined;
    if (path === '_id') {
      keepId = on;
      continue;
    }
    const fieldMode: Mode = on ? 'include' : 'exclude';
    if (mode && mode !== fieldMode)
      throw new CommandError(
        31254,
        `Cannot do ${mode === 'include' ? 'exclusion' : 'inclusion'} on field ${path} in ${mode} projection`,
      );
    mode = fieldMode;
    paths.push(path.split('.'));
  }
  // `{_id: 1}` alone is an inclusion projection of _id only; `{_id: 0}` alone excludes just _id.
  mode ??= keepId && projection.has('_id') ? 'include' : 'exclude';
  if (mode === 'exclude' && !keepId) paths.push(['_id']);
  return { mode, paths, keepId };
}

function include(doc: BsonDoc, paths: string[][], keepId: boolean): BsonDoc {
  const out: BsonDoc = new Map();
  for (const [name, value] of doc) {
    if (name === '_id') {
      if (keepId) out.set(name, value);
      continue;
    }
    const matching = paths.filter((path) => path[0] === name);
    if (matching.length === 0) continue;
    if (matching.some((path) => path.length === 1)) {
      out.set(name, value);
      continue;
    }
    const rest = matching.map((path) => path.slice(1));
    const projected = includeValue(value, rest);
    if (projected !== undefined) out.set(name, projected);
  }
  return out;
}

function includeValue(value: BsonValue, paths: string[][]): BsonValue | undefined {
  if (value instanceof Map) return include(value, paths, false);
  if (Array.isArray(value))
    return value.flatMap((item) =>
      item instanceof Map || Array.isArray(item) ? [includeValue(item, paths) as BsonValue] : [],
    );
  return undefined;
}

function exclude(doc: BsonDoc, paths: string[][], keepId: boolean): BsonDoc {
  const out: BsonDoc = new Map();
  for (const [name, value] of doc) {
    if (name === '_id' && !keepId) continue;
    const matching = paths.filter((path) => path[0] === name);
    if (matching.some((path) => path.length === 1)) continue;
    out.set(
      name,
      matching.length
        ? excludeValue(
            value,
            matching.map((path) => path.slice(1)),
          )
        : value,
    );
  }
  return out;
}

function excludeValue(value: BsonValue, paths: string[][]): BsonValue {
  if (value instanceof Map) return exclude(value, paths, true);
  if (Array.isArray(value)) return value.map((item) => excludeValue(item, paths));
  return value;
}

function projectWithMingo(doc: BsonDoc, projection: BsonDoc, filter?: BsonDoc): BsonDoc {
  let result: unknown;
  try {
    // The sandbox's operators, so that expressions ($type, $bsonSize, ...) answer as in aggregation.
    const query = new Query(filter ? toMatchDocument(filter) : {}, { context: mingoContext() });
    result = query.find([toMatchDocument(doc)], toMatchDocument(projection)).next();
  } catch (error) {
    throw new CommandError('BadValue', error instanceof Error ? error.message : String(error));
  }
  const projected = fromMatchValue(result, doc);
  if (!(projected instanceof Map)) return new Map();
  // mongod puts _id first; mingo appends it after the projected fields.
  const id = projected.get('_id');
  if (id === undefined || projected.keys().next().value === '_id') return projected;
  projected.delete('_id');
  return new Map([['_id', id], ...projected]);
}
