// Collation specs as mongod stores and reports them: a locale collation is filled with every option,
// in mongod's field order, so listCollections and listIndexes show the same document mongod shows;
// the simple collation is no collation at all. String comparison under a collation: bson/collation.ts.
import { isSupportedLocale } from '../bson/collation-locales.js';
import { formatValue } from '../bson/format.js';
import { Int32, typeAlias, typeOf, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { numberOption } from './writer.js';

const ICU_VERSION = '57.1';

type OptionKind = 'bool' | 'string' | 'int';

/** Every collation option with its default, in the order mongod writes them. */
const OPTIONS: readonly { name: string; kind: OptionKind; fallback: BsonValue; allowed?: readonly string[] }[] = [
  { name: 'caseLevel', kind: 'bool', fallback: false },
  { name: 'caseFirst', kind: 'string', fallback: 'off', allowed: ['upper', 'lower', 'off'] },
  { name: 'strength', kind: 'int', fallback: new Int32(3) },
  { name: 'numericOrdering', kind: 'bool', fallback: false },
  { name: 'alternate', kind: 'string', fallback: 'non-ignorable', allowed: ['non-ignorable', 'shifted'] },
  { name: 'maxVariable', kind: 'string', fallback: 'punct', allowed: ['punct', 'space'] },
  { name: 'normalization', kind: 'bool', fallback: false },
  { name: 'backwards', kind: 'bool', fallback: false },
];

// ICU tailorings that change a default: French Canadian sorts accents backwards.
const LOCALE_DEFAULTS: Record<string, Record<string, BsonValue>> = { fr_CA: { backwards: true } };

/** The full collation mongod reports for `spec`, or undefined for the simple collation. */
export function normaliseCollation(spec: BsonDoc): BsonDoc | undefined {
  const locale = spec.get('locale');
  if (locale === undefined) throw new CommandError(40414, "BSON field 'locale' is missing but a required field");
  if (typeof locale !== 'string')
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'locale' is the wrong type '${typeAlias[typeOf(locale)]}', expected type 'string'`,
    );
  for (const name of spec.keys())
    if (name !== 'locale' && name !== 'version' && !OPTIONS.some((option) => option.name === name))
      throw new CommandError(40415, `BSON field 'collation.${name}' is an unknown field.`);
  if (locale === 'simple') {
    if (spec.size > 1) throw new CommandError('BadValue', "Collation options cannot be specified with locale 'simple'");
    return undefined;
  }
  const normalised: BsonDoc = new Map([['locale', locale]]);
  for (const option of OPTIONS) {
    const given = spec.get(option.name);
    normalised.set(
      option.name,
      given === undefined ? (LOCALE_DEFAULTS[locale]?.[option.name] ?? option.fallback) : checked(option, given),
    );
  }
  checkLocale(locale, spec);
  normalised.set('version', ICU_VERSION);
  return normalised;
}

function checkLocale(locale: string, spec: BsonDoc): void {
  if (locale === '')
    throw new CommandError('BadValue', `Field 'locale' cannot be the empty string in: ${formatValue(spec)}`);
  if (!isSupportedLocale(locale))
    throw new CommandError('BadValue', `Field 'locale' is invalid in: ${formatValue(spec)}`);
}

function checked(option: (typeof OPTIONS)[number], value: BsonValue): BsonValue {
  const wrongType = (expected: string): never => {
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'collation.${option.name}' is the wrong type '${typeAlias[typeOf(value)]}', expected type '${expected}'`,
    );
  };
  switch (option.kind) {
    case 'bool':
      return typeof value === 'boolean' ? value : wrongType('bool');
    case 'string':
      if (typeof value !== 'string') return wrongType('string');
      if (!option.allowed?.includes(value))
        throw new CommandError(
          'BadValue',
          `Enumeration value '${value}' for field 'collation.${option.name}' is not a valid value.`,
        );
      return value;
    case 'int': {
      const number = numberOption(value);
      if (number === undefined) return wrongType('int');
      if (!Number.isInteger(number) || number < 1 || number > 5)
        throw new CommandError(
          'BadValue',
          `BSON field 'collation.strength' value must be between 1 and 5, actual value '${String(value)}'`,
        );
      return new Int32(number);
    }
  }
}
