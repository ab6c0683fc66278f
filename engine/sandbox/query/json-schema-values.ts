// Value-level helpers for $jsonSchema: how mongod reads a keyword's integer argument, its equality that
// ignores field order (enum, uniqueItems), multipleOf in decimal arithmetic and the regexes of pattern
// and patternProperties.
import { compareNumbers, isBsonNumber, isLong, toExact, type BsonNumber, type ExactNumber } from '../bson/numeric.js';
import { compareStrings, valuesEqual } from '../bson/compare.js';
import { formatValue } from '../bson/format.js';
import { asDoc } from '../bson/path.js';
import { Decimal128, Double, RawValue, typeAlias, typeOf, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';

export function typeNameOf(value: BsonValue): string {
  return typeAlias[typeOf(value)] ?? 'unknown';
}

const LONG_LIMIT = 2 ** 63;

/** A non-negative integer argument (minLength, maxItems, ...), refused as MatchExpressionParser does. */
export function nonNegativeInteger(keyword: string, value: BsonValue): number {
  const shown = `${keyword}: ${formatValue(value)}`;
  if (!isBsonNumber(value)) throw new CommandError('FailedToParse', `Expected a number in: ${shown}`);
  let number: number;
  if (value instanceof Double || value instanceof RawValue) {
    number = value instanceof RawValue ? NaN : value.value;
    if (Number.isNaN(number))
      throw new CommandError('FailedToParse', `Expected an integer, but found NaN in: ${shown}`);
    if (number >= LONG_LIMIT || number < -LONG_LIMIT)
      throw new CommandError('FailedToParse', `Cannot represent as a 64-bit integer: ${shown}`);
    if (!Number.isInteger(number)) throw new CommandError('FailedToParse', `Expected an integer: ${shown}`);
  } else if (value instanceof Decimal128) {
    const exact = toExact(value);
    if (exact.kind !== 'finite' || exact.exponent < 0 || !fitsInLong(exact))
      throw new CommandError('FailedToParse', `Cannot represent as a 64-bit integer: ${shown}`);
    number = Number(exact.coefficient * 10n ** BigInt(exact.exponent));
  } else {
    number = isLong(value) ? Number(value.toBigInt()) : value.value;
  }
  if (number < 0) throw new CommandError('FailedToParse', `Expected a positive number in: ${shown}`);
  return number;
}

function fitsInLong(exact: ExactNumber & { kind: 'finite' }): boolean {
  const whole = exact.coefficient * 10n ** BigInt(exact.exponent);
  return whole >= -(2n ** 63n) && whole < 2n ** 63n;
}

/** NaN matches no bound but an inclusive NaN one, as mongod's comparison match expressions decide. */
export function isNaNNumber(value: BsonNumber | RawValue): boolean {
  if (value instanceof RawValue) return true;
  if (value instanceof Double) return Number.isNaN(value.value);
  return value instanceof Decimal128 && toExact(value).kind === 'nan';
}

/** `value` compared with `bound` by `inclusive`/`exclusive` minimum or maximum rules. */
export function withinBound(
  value: BsonNumber | RawValue,
  bound: BsonNumber | RawValue,
  side: 'minimum' | 'maximum',
  exclusive: boolean,
): boolean {
  if (isNaNNumber(value) || isNaNNumber(bound)) return !exclusive && isNaNNumber(value) && isNaNNumber(bound);
  const order = compareNumbers(value, bound);
  const signed = side === 'minimum' ? order : -order;
  return exclusive ? signed > 0 : signed >= 0;
}

/** mongod turns a double into a Decimal128 of 15 significant digits before taking the remainder. */
function decimalOf(value: BsonNumber | RawValue): ExactNumber {
  if (!(value instanceof Double)) return toExact(value);
  if (!Number.isFinite(value.value)) return toExact(value);
  const [mantissa, exponent] = value.value.toExponential(14).split('e');
  return { kind: 'finite', coefficient: BigInt(mantissa.replace('.', '')), exponent: Number(exponent) - 14 };
}

/** Whether `value` is a multiple of `divisor` (a positive number), in Decimal128's exact arithmetic. */
export function isMultipleOf(value: BsonNumber | RawValue, divisor: BsonNumber | RawValue): boolean {
  const x = decimalOf(value);
  const d = decimalOf(divisor);
  if (x.kind !== 'finite' || d.kind === 'nan') return false;
  if (d.kind === 'infinity') return x.coefficient === 0n;
  const exponent = Math.min(x.exponent, d.exponent);
  const scaledValue = x.coefficient * 10n ** BigInt(x.exponent - exponent);
  const scaledDivisor = d.coefficient * 10n ** BigInt(d.exponent - exponent);
  return scaledValue % scaledDivisor === 0n;
}

/** BSON equality that ignores the order of fields in documents (mongod's UnorderedFieldsBSONElementComparator). */
export function sameValue(a: BsonValue, b: BsonValue): boolean {
  const docA = asDoc(a);
  const docB = asDoc(b);
  if (docA || docB) {
    if (!docA || !docB || docA.size !== docB.size) return false;
    for (const [name, value] of docA) {
      const other = docB.get(name);
      if (other === undefined || !sameValue(value, other)) return false;
    }
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  return valuesEqual(a, b);
}

/** The first item equal (field order aside) to an earlier one. */
export function firstDuplicate(items: readonly BsonValue[]): BsonValue | undefined {
  return items.find((item, i) => items.slice(0, i).some((earlier) => sameValue(earlier, item)));
}

/** A JSON Schema regex (no flags allowed) for PCRE syntax JS understands; refused as mongod refuses a bad one. */
export function schemaRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    // Unicode mode is stricter than PCRE about escapes; plain mode accepts those patterns.
  }
  try {
    return new RegExp(pattern);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CommandError(51091, `Regular expression is invalid: ${reason}`);
  }
}

/** Distinct strings in byte order, as mongod's flat_set of property names lists them. */
export function sortedNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort(compareStrings);
}
