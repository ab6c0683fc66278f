// The document an upsert starts from: the query's equality conditions (as mongod extracts them from
// the canonical query: plain values, $eq, single-value $in, through $and and one-branch $or), then the
// update applied to it; _id moved first, or generated.
import { BSONRegExp, ObjectId, type BsonDoc, type BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import { cloneValue, elementString } from './elements.js';
import { checkStorable } from './storage-validation.js';

type Equality = [path: string, value: BsonValue];

/** The equalities of `filter` as a document; a replacement takes only _id from the query. */
export function upsertSeed(filter: BsonDoc | undefined, onlyId: boolean): BsonDoc {
  const equalities: Equality[] = [];
  if (filter) collectEqualities(filter, equalities);
  const seed: BsonDoc = new Map();
  for (const [path, value] of equalities) {
    if (onlyId && path !== '_id' && !path.startsWith('_id.')) continue;
    if (onlyId && path !== '_id')
      throw new CommandError(111, `field at '_id' must be exactly specified, field at sub-path '${path}'found`);
    checkConflicts(path, equalities);
    setAtPath(seed, path.split('.'), cloneValue(value));
  }
  return seed;
}

/** Puts _id first (generating an ObjectId when missing) and checks the document can be stored. */
export function finishUpsert(doc: BsonDoc): BsonDoc {
  const id = doc.has('_id') ? (doc.get('_id') as BsonValue) : new ObjectId();
  const finished: BsonDoc = new Map([['_id', id]]);
  for (const [name, value] of doc) if (name !== '_id') finished.set(name, value);
  checkStorable(finished, true);
  return finished;
}

function collectEqualities(filter: BsonDoc, out: Equality[]): void {
  for (const [field, condition] of filter) {
    if (field === '$and' && Array.isArray(condition)) {
      for (const clause of condition) if (clause instanceof Map) collectEqualities(clause, out);
    } else if (field === '$or' && Array.isArray(condition) && condition.length === 1) {
      if (condition[0] instanceof Map) collectEqualities(condition[0], out);
    } else if (!field.startsWith('$')) {
      const value = equalityValue(condition);
      if (value !== undefined) out.push([field, value]);
    }
  }
}

function equalityValue(condition: BsonValue): BsonValue | undefined {
  if (condition instanceof BSONRegExp) return undefined;
  if (!(condition instanceof Map)) return condition;
  const first = condition.keys().next().value;
  if (first === undefined || !first.startsWith('$')) return condition;
  const equal = condition.get('$eq');
  if (equal !== undefined) return equal;
  const within = condition.get('$in');
  if (Array.isArray(within) && within.length === 1 && !(within[0] instanceof BSONRegExp)) return within[0];
  return undefined;
}

function checkConflicts(path: string, equalities: Equality[]): void {
  const parts = path.split('.');
  let seen = false;
  for (const [other] of equalities) {
    if (other === path) {
      if (seen)
        throw new CommandError(
          'NotSingleValueField',
          `cannot infer query fields to set, path '${path}' is matched twice`,
        );
      seen = true;
      continue;
    }
    const otherParts = other.split('.');
    if (otherParts.length < parts.length && otherParts.every((part, i) => part === parts[i]))
      throw new CommandError(
        'NotSingleValueField',
        `cannot infer query fields to set, both paths '${path}' and '${other}' are matched`,
      );
  }
}

function setAtPath(doc: BsonDoc, parts: string[], value: BsonValue): void {
  let current = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = current.get(parts[i]);
    if (next === undefined) {
      const created: BsonDoc = new Map();
      current.set(parts[i], created);
      current = created;
    } else if (next instanceof Map) {
      current = next;
    } else {
      throw new CommandError(
        'PathNotViable',
        `Cannot create field '${parts[i + 1]}' in element {${elementString(parts[i], next)}}`,
      );
    }
  }
  current.set(parts[parts.length - 1], value);
}
