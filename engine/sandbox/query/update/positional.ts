// The array index the positional `$` stands for: the position, in the first array a query predicate
// traverses, of the element that made the predicate match (mongod's elemMatchKey). When several
// predicates traverse arrays the last one evaluated wins, as in mongod; negations record nothing.
import type { BsonDoc, BsonValue } from '../../bson/values.js';
import { compileFilter } from '../matcher.js';
import { arrayIndexOf } from './elements.js';

const NEGATIONS = new Set(['$ne', '$nin', '$not', '$exists', '$size']);

export function matchedArrayIndex(filter: BsonDoc | undefined, doc: BsonDoc): string | undefined {
  if (!filter) return undefined;
  let matched: string | undefined;
  for (const [field, condition] of filter) {
    let found: string | undefined;
    if (field === '$and' && Array.isArray(condition)) {
      for (const clause of condition) if (clause instanceof Map) found = matchedArrayIndex(clause, doc) ?? found;
    } else if (field === '$or' && Array.isArray(condition)) {
      const branch = condition.find((clause) => clause instanceof Map && compileFilter(clause)(doc));
      if (branch instanceof Map) found = matchedArrayIndex(branch, doc);
    } else if (!field.startsWith('$') && !isNegation(condition)) {
      found = predicateIndex(field, condition, doc);
    }
    matched = found ?? matched;
  }
  return matched;
}

function isNegation(condition: BsonValue): boolean {
  return condition instanceof Map && [...condition.keys()].some((operator) => NEGATIONS.has(operator));
}

/**
 * Finds the first array on `path`, then the first element for which the predicate holds when the
 * array is narrowed to that element alone.
 */
function predicateIndex(path: string, condition: BsonValue, doc: BsonDoc): string | undefined {
  const parts = path.split('.');
  const chain: BsonDoc[] = [];
  let current: BsonValue | undefined = doc;
  for (let depth = 0; depth < parts.length; depth++) {
    if (!(current instanceof Map)) return undefined;
    chain.push(current);
    const next: BsonValue | undefined = current.get(parts[depth]);
    if (Array.isArray(next)) {
      // An explicit index (a.0.b) addresses one element: there is no matched position to record.
      if (arrayIndexOf(parts[depth + 1] ?? '') !== undefined) return undefined;
      const predicate = compileFilter(new Map([[path, condition]]));
      const index = next.findIndex((item) => predicate(narrowed(chain, parts, depth, item)));
      return index >= 0 ? String(index) : undefined;
    }
    current = next;
  }
  return undefined;
}

/** A copy of the document in which the array at parts[0..depth] holds only `item`. */
function narrowed(chain: BsonDoc[], parts: string[], depth: number, item: BsonValue): BsonDoc {
  let value: BsonValue = [item];
  let copy: BsonDoc = new Map();
  for (let level = depth; level >= 0; level--) {
    copy = new Map(chain[level]);
    copy.set(parts[level], value);
    value = copy;
  }
  return copy;
}
