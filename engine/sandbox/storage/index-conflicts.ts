// Whether a requested index already exists or conflicts with one, by mongod 8.0's rules
// (IndexDescriptor::compareIndexOptions and IndexCatalog::_doesSpecConflictWithExisting): the key
// pattern, unique, sparse, collation, partial filter and wildcard projection identify an index; the
// other options only decide between "identical" (nothing to do) and "equivalent" (a conflict).
import { compareStrings, valuesEqual } from '../bson/compare.js';
import { formatValue } from '../bson/format.js';
import type { BsonDoc, BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { indexPluginName, isIdKeyPattern, isTruthy, MAX_INDEXES } from './index-specs.js';

export type IndexComparison = 'different' | 'equivalent' | 'identical';

const IDENTIFYING_OR_IGNORED = new Set([
  'key',
  'ns',
  'name',
  'v',
  'textIndexVersion',
  '2dsphereIndexVersion',
  'background',
  'dropDups',
  'collation',
  'partialFilterExpression',
  'unique',
  'sparse',
  'wildcardProjection',
]);

export function compareIndexSpecs(candidate: BsonDoc, existing: BsonDoc): IndexComparison {
  if (!valuesEqual(keyOf(candidate), keyOf(existing))) return 'different';
  if (!sameOptional(candidate.get('wildcardProjection'), existing.get('wildcardProjection'))) return 'different';
  if (isUnique(candidate) !== isUnique(existing)) return 'different';
  if (isTruthy(candidate.get('sparse')) !== isTruthy(existing.get('sparse'))) return 'different';
  if (!sameOptional(candidate.get('collation'), existing.get('collation'))) return 'different';
  if (!sameOptional(candidate.get('partialFilterExpression'), existing.get('partialFilterExpression')))
    return 'different';
  const mine = otherOptions(candidate);
  const theirs = otherOptions(existing);
  const identical =
    mine.length === theirs.length &&
    mine.every(([name, value], i) => name === theirs[i][0] && valuesEqual(value, theirs[i][1]));
  return identical ? 'identical' : 'equivalent';
}

/**
 * Decides whether `candidate` must be built. Returns false when an identical index exists already;
 * throws mongod's error when it conflicts with an existing index or with one requested before it in
 * the same command (`requested`).
 */
export function needsBuild(
  candidate: BsonDoc,
  existing: readonly BsonDoc[],
  requested: readonly BsonDoc[],
  ns: string,
): boolean {
  if (!checkSameName(candidate, existing, false)) return false;
  checkSameName(candidate, requested, true);
  for (const pool of [existing, requested]) checkSameKey(candidate, pool);
  const all = [...existing, ...requested];
  if (indexPluginName(keyOf(candidate)) === 'text') {
    const text = all.find((spec) => indexPluginName(keyOf(spec)) === 'text');
    if (text)
      throw new CommandError(
        'CannotCreateIndex',
        `only one text index per collection allowed, found existing text index "${String(text.get('name'))}"`,
      );
  }
  if (all.length >= MAX_INDEXES)
    throw new CommandError(
      'CannotCreateIndex',
      `add index fails, too many indexes for ${ns} key:${formatValue(keyOf(candidate))}`,
    );
  return true;
}

/** False when an index of the same name is identical; throws when it differs. */
function checkSameName(candidate: BsonDoc, pool: readonly BsonDoc[], inRequest: boolean): boolean {
  const name = candidate.get('name');
  const sameName = pool.find((spec) => spec.get('name') === name);
  if (!sameName) return true;
  const requestedAndExisting = `Requested index: ${formatValue(candidate)}, existing index: ${formatValue(sameName)}`;
  switch (compareIndexSpecs(candidate, sameName)) {
    case 'different':
      throw new CommandError(
        'IndexKeySpecsConflict',
        'An existing index has the same name as the requested index. When index names are not specified, they ' +
          `are auto generated and can cause conflicts. Please refer to our documentation. ${requestedAndExisting}`,
      );
    case 'equivalent':
      throw new CommandError(
        'IndexOptionsConflict',
        `An equivalent index already exists with the same name but different options. ${requestedAndExisting}`,
      );
    case 'identical':
      if (inRequest) throw new CommandError(68, `Identical index already exists: ${String(name)}`);
      return false;
  }
}

function checkSameKey(candidate: BsonDoc, pool: readonly BsonDoc[]): void {
  for (const spec of pool) {
    const comparison = compareIndexSpecs(candidate, spec);
    if (comparison === 'equivalent')
      throw new CommandError(
        'IndexOptionsConflict',
        'An equivalent index already exists with a different name and options. ' +
          `Requested index: ${formatValue(candidate)}, existing index: ${formatValue(spec)}`,
      );
    if (comparison === 'identical')
      throw new CommandError(
        'IndexOptionsConflict',
        `Index already exists with a different name: ${String(spec.get('name'))}`,
      );
  }
}

function keyOf(spec: BsonDoc): BsonDoc {
  return spec.get('key') as BsonDoc;
}

// The _id index is unique without saying so.
function isUnique(spec: BsonDoc): boolean {
  return isIdKeyPattern(keyOf(spec)) || isTruthy(spec.get('unique'));
}

function sameOptional(a: BsonValue | undefined, b: BsonValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return valuesEqual(a, b);
}

function otherOptions(spec: BsonDoc): [string, BsonValue][] {
  return [...spec].filter(([name]) => !IDENTIFYING_OR_IGNORED.has(name)).sort(([a], [b]) => compareStrings(a, b));
}
