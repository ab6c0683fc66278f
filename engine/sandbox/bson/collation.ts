// String comparison under a (non-simple) collation, built on Intl.Collator, which runs the same ICU
// collation algorithm mongod uses. The simple collation is no Collation at all: callers keep the
// byte-wise compareStrings then. What Intl.Collator cannot express is approximated (see SUPPORT.md):
// maxVariable 'space', strength 4 and 5 as tie-breaks, `backwards` only as the locale implies it, and
// `key`, which stands in for ICU sort keys (JavaScript has none) in unique index keys.
import { bcp47Tag } from './collation-locales.js';
import { compareStrings, type StringOrder } from './compare.js';
import { Int32, type BsonDoc, type BsonValue } from './values.js';

export interface Collation {
  /** Negative, zero or positive as `a` sorts before, with or after `b`. */
  readonly compare: StringOrder;
  /**
   * A form of the string that two strings share when the collation finds them equal, for unique index
   * keys; an approximation of ICU's sort keys by Unicode normalisation and case folding.
   */
  readonly key: (value: string) => string;
}

interface CollationOptions {
  readonly locale: string;
  readonly strength: number;
  readonly caseLevel: boolean;
  /** As Intl.Collator spells it: mongod's 'off' is 'false'. */
  readonly caseFirst: 'upper' | 'lower' | 'false';
  readonly numericOrdering: boolean;
  readonly shifted: boolean;
  readonly maxVariable: string;
}

/** Characters ICU ignores completely (controls and format characters other than white space). */
const IGNORABLE = /(?!\p{White_Space})[\p{Cc}\p{Cf}]/gu;
/** Variable characters: what alternate 'shifted' ignores under maxVariable 'punct' and 'space'. */
const PUNCTUATION_AND_SPACES = /[\p{White_Space}\p{P}]/gu;
const SPACES = /\p{White_Space}/gu;
const MARKS = /\p{M}/gu;
const DIGIT_RUNS = /[0-9]+/g;

const byDocument = new WeakMap<BsonDoc, Collation>();
const bySpec = new Map<string, Collation>();

/** The Collation for a full (normalised, non-simple) collation document; one instance per distinct spec. */
export function collationOf(spec: BsonDoc): Collation {
  let collation = byDocument.get(spec);
  if (collation) return collation;
  const id = [...spec].map(([name, value]) => `${name}=${String(scalar(value))}`).join(',');
  collation = bySpec.get(id);
  if (!collation) {
    const options = readOptions(spec);
    collation = { compare: comparator(options), key: keyFunction(options) };
    bySpec.set(id, collation);
  }
  byDocument.set(spec, collation);
  return collation;
}

function scalar(value: BsonValue | undefined): unknown {
  return value instanceof Int32 ? value.value : value;
}

function readOptions(spec: BsonDoc): CollationOptions {
  const text = (name: string, fallback: string): string => {
    const value = spec.get(name);
    return typeof value === 'string' ? value : fallback;
  };
  const flag = (name: string): boolean => spec.get(name) === true;
  const strength = scalar(spec.get('strength'));
  const caseFirst = text('caseFirst', 'off');
  return {
    locale: text('locale', 'en'),
    strength: typeof strength === 'number' ? strength : 3,
    caseLevel: flag('caseLevel'),
    caseFirst: caseFirst === 'upper' || caseFirst === 'lower' ? caseFirst : 'false',
    numericOrdering: flag('numericOrdering'),
    shifted: text('alternate', 'non-ignorable') === 'shifted',
    maxVariable: text('maxVariable', 'punct'),
  };
}

function sensitivity({ strength, caseLevel }: CollationOptions): Intl.CollatorOptions['sensitivity'] {
  if (strength === 1) return caseLevel ? 'case' : 'base';
  if (strength === 2 && !caseLevel) return 'accent';
  return 'variant';
}

function comparator(options: CollationOptions): StringOrder {
  const { strength, shifted } = options;
  const ignoresPunctuation = shifted && options.maxVariable === 'punct';
  const make = (ignorePunctuation: boolean): Intl.Collator =>
    new Intl.Collator(bcp47Tag(options.locale), {
      sensitivity: sensitivity(options),
      caseFirst: options.caseFirst,
      numeric: options.numericOrdering,
      ignorePunctuation,
    });
  const primary = make(ignoresPunctuation).compare;
  // Intl's ignorePunctuation is maxVariable 'punct'; for 'space' the spaces are taken out beforehand.
  let compare: StringOrder =
    shifted && !ignoresPunctuation ? (a, b) => primary(a.replace(SPACES, ''), b.replace(SPACES, '')) : primary;
  // Strength 4 tells apart what 'shifted' ignored, after every other difference.
  if (strength >= 4 && shifted) compare = tieBreak(compare, make(false).compare);
  // Strength 5 (identical) tells apart strings that differ in code points at all.
  if (strength === 5) compare = tieBreak(compare, (a, b) => compareStrings(a.normalize('NFD'), b.normalize('NFD')));
  return compare;
}

function tieBreak(first: StringOrder, second: StringOrder): StringOrder {
  return (a, b) => first(a, b) || second(a, b);
}

function keyFunction(options: CollationOptions): (value: string) => string {
  const { strength, caseLevel, shifted } = options;
  const language = bcp47Tag(options.locale).split('-')[0];
  const ignoresCase = strength <= 2 && !caseLevel;
  const variable =
    shifted && strength <= 3 ? (options.maxVariable === 'space' ? SPACES : PUNCTUATION_AND_SPACES) : undefined;
  return (value) => {
    // Compatibility variants (widths, ligatures) differ only at the tertiary level.
    let key = value.normalize(strength <= 2 ? 'NFKD' : 'NFD');
    if (strength < 5) key = key.replace(IGNORABLE, '');
    if (variable) key = key.replace(variable, '');
    if (ignoresCase) key = key.toLocaleLowerCase(language);
    if (strength === 1) key = key.replace(MARKS, '');
    if (options.numericOrdering) key = key.replace(DIGIT_RUNS, (digits) => digits.replace(/^0+(?=[0-9])/, ''));
    return key;
  };
}
