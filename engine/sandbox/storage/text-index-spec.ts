// A text index spec as mongod stores it (FTSSpec::fixSpec): the text fields of the key become
// {_fts: 'text', _ftsx: 1} and move into `weights`, and the language options and textIndexVersion are
// filled in. A spec that is already in that form (copied from listIndexes) is kept as it is.
import { compareStrings } from '../bson/compare.js';
import { isBsonNumber } from '../bson/numeric.js';
import { Int32, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { numberOption } from './writer.js';

const TEXT_INDEX_VERSION = 3;
const MAX_WORD_WEIGHT = 100_000;
const WILDCARD = '$**';

export function fixTextIndexSpec(spec: BsonDoc): BsonDoc {
  const weights = new Map<string, number>();
  const key = textKeyPattern(spec.get('key') as BsonDoc, weights);
  collectWeightOption(spec.get('weights'), weights);
  if (weights.size === 0) fail("text index option 'weights' must specify fields or the wildcard");
  const weightsDoc = weightsDocument(weights);
  const language = spec.get('default_language') ?? 'english';
  const override = spec.get('language_override') ?? 'language';
  const fixed: BsonDoc = new Map();
  let version: BsonValue | undefined;
  let textVersion: number = TEXT_INDEX_VERSION;
  for (const [name, value] of spec) {
    if (name === 'key') fixed.set(name, key);
    else if (name === 'weights') fixed.set(name, weightsDoc);
    else if (name === 'v') version = value;
    else if (name === 'textIndexVersion') textVersion = checkedTextVersion(value);
    else fixed.set(name, value);
  }
  if (!fixed.has('weights')) fixed.set('weights', weightsDoc);
  if (!fixed.has('default_language')) fixed.set('default_language', language);
  if (!fixed.has('language_override')) fixed.set('language_override', override);
  if (version !== undefined) fixed.set('v', version);
  fixed.set('textIndexVersion', new Int32(textVersion));
  return fixed;
}

function textKeyPattern(key: BsonDoc, weights: Map<string, number>): BsonDoc {
  if (key.has('_fts')) return key;
  const fixed: BsonDoc = new Map();
  let textSeen = false;
  let textEnded = false;
  for (const [field, value] of key) {
    if (value === 'text') {
      if (textEnded) fail("'text' fields in index must all be adjacent");
      if (!textSeen) {
        fixed.set('_fts', 'text');
        fixed.set('_ftsx', new Int32(1));
        textSeen = true;
      }
      weights.set(field, 1);
      continue;
    }
    const direction = numberOption(value);
    if (direction !== 1 && direction !== -1) fail('expected value 1 or -1 for non-text key in compound index');
    if (textSeen) textEnded = true;
    fixed.set(field, value);
  }
  return fixed;
}

function collectWeightOption(option: BsonValue | undefined, weights: Map<string, number>): void {
  if (option === undefined) return;
  if (option === WILDCARD) {
    weights.set(WILDCARD, 1);
    return;
  }
  if (!(option instanceof Map)) fail("text index option 'weights' must be an object");
  for (const [field, value] of option) {
    if (!isBsonNumber(value)) fail('weight for text index needs numeric type');
    weights.set(field, Math.trunc(numberOption(value) ?? 0));
  }
}

function weightsDocument(weights: Map<string, number>): BsonDoc {
  const fields = [...weights.keys()].sort(compareStrings);
  const doc: BsonDoc = new Map();
  for (const field of fields) {
    const weight = weights.get(field) ?? 0;
    if (weight <= 0 || weight >= MAX_WORD_WEIGHT)
      fail(`text index weight must be in the exclusive interval (0,${MAX_WORD_WEIGHT}) but found: ${weight}`);
    if (field !== WILDCARD) checkWeightPath(field);
    doc.set(field, new Int32(weight));
  }
  return doc;
}

function checkWeightPath(field: string): void {
  if (field === '') fail('weight cannot be on an empty field');
  for (const part of field.split('.')) {
    if (part === '') fail('weight cannot have empty path component');
    if (part.startsWith('$')) fail('weight cannot have path component with $ prefix');
  }
}

function checkedTextVersion(value: BsonValue): number {
  const version = numberOption(value);
  if (version === undefined) fail("text index option 'textIndexVersion' must be a number");
  if (version !== 1 && version !== 2 && version !== 3) fail(`bad textIndexVersion: ${version}`);
  return version;
}

function fail(message: string): never {
  throw new CommandError('CannotCreateIndex', message);
}
