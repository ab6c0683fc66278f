// Arithmetic on BSON numbers with mongod's SafeNum rules: the wider type wins (decimal > double >
// long > int); int32 results that overflow widen to long; long results that overflow are invalid
// (undefined); doubles meet decimals as 15-significant-digit decimals. Decimal results keep IEEE 754
// decimal exponents (1.50 + 1 = 2.50) and round to 34 digits, half to even.
import { exactFromDecimal, compareExact, exactFromDouble, isLong } from '../../bson/numeric.js';
import { BsonType, Decimal128, Double, Int32, Long, RawValue, type BsonValue } from '../../bson/values.js';

export type BsonNumber = Double | Int32 | Long | Decimal128;

type DecimalParts =
  | { kind: 'nan' }
  | { kind: 'infinity'; negative: boolean }
  | { kind: 'finite'; negative: boolean; coefficient: bigint; exponent: number };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL_DIGITS = 34;
const DOUBLE_TO_DECIMAL_DIGITS = 15;
const DECIMAL_STRING = /^(-)?([0-9]+)(?:\.([0-9]+))?(?:E([+-]?[0-9]+))?$/;

/** The value as a BSON number, or undefined for other types (a NaN kept raw counts as a double). */
export function asNumber(value: BsonValue): BsonNumber | undefined {
  if (value instanceof Int32 || value instanceof Double || value instanceof Decimal128 || isLong(value)) return value;
  if (value instanceof RawValue && value.type === BsonType.double) return new Double(NaN);
  return undefined;
}

export function isIntegral(value: BsonNumber): value is Int32 | Long {
  return value instanceof Int32 || isLong(value);
}

export function add(a: BsonNumber, b: BsonNumber): BsonNumber | undefined {
  if (a instanceof Decimal128 || b instanceof Decimal128) return fromParts(addParts(partsOf(a), partsOf(b)));
  if (a instanceof Double || b instanceof Double) return new Double(toDouble(a) + toDouble(b));
  return integerResult(toBigInt(a) + toBigInt(b), a instanceof Int32 && b instanceof Int32);
}

export function multiply(a: BsonNumber, b: BsonNumber): BsonNumber | undefined {
  if (a instanceof Decimal128 || b instanceof Decimal128) return fromParts(multiplyParts(partsOf(a), partsOf(b)));
  if (a instanceof Double || b instanceof Double) return new Double(toDouble(a) * toDouble(b));
  return integerResult(toBigInt(a) * toBigInt(b), a instanceof Int32 && b instanceof Int32);
}

export type BitOperator = 'and' | 'or' | 'xor';

export function bitwise(operator: BitOperator, a: Int32 | Long, b: Int32 | Long): Int32 | Long {
  const x = toBigInt(a);
  const y = toBigInt(b);
  const result = operator === 'and' ? x & y : operator === 'or' ? x | y : x ^ y;
  if (a instanceof Int32 && b instanceof Int32) return new Int32(Number(BigInt.asIntN(32, result)));
  return Long.fromBigInt(BigInt.asIntN(64, result));
}

/** SafeNum::isIdentical: same type and same value (NaN is never identical; decimals compare by value). */
export function identicalNumbers(a: BsonNumber, b: BsonNumber): boolean {
  if (a instanceof Int32 && b instanceof Int32) return a.value === b.value;
  if (a instanceof Double && b instanceof Double) return a.value === b.value;
  if (a instanceof Decimal128 && b instanceof Decimal128) {
    const x = exactFromDecimal(a);
    const y = exactFromDecimal(b);
    return x.kind !== 'nan' && compareExact(x, y) === 0;
  }
  return isLong(a) && isLong(b) && a.equals(b);
}

/** SafeNum::debugString, as shown in arithmetic error messages. */
export function debugString(value: BsonNumber): string {
  if (value instanceof Int32) return `(NumberInt)${value.value}`;
  if (value instanceof Double) return `(NumberDouble)${value.value}`;
  if (value instanceof Decimal128) return `(NumberDecimal)${value.toString()}`;
  return `(NumberLong)${value.toString()}`;
}

function integerResult(value: bigint, bothInt32: boolean): BsonNumber | undefined {
  if (bothInt32 && value >= -(2n ** 31n) && value < 2n ** 31n) return new Int32(Number(value));
  if (value < INT64_MIN || value > INT64_MAX) return undefined;
  return Long.fromBigInt(value);
}

function toBigInt(value: Int32 | Long | Double): bigint {
  return value instanceof Long ? value.toBigInt() : BigInt(value.value);
}

function toDouble(value: BsonNumber): number {
  if (value instanceof Long) return Number(value.toBigInt());
  if (value instanceof Decimal128) return Number(value.toString());
  return value.value;
}

function partsOf(value: BsonNumber): DecimalParts {
  if (value instanceof Decimal128) return decimalParts(value);
  if (value instanceof Double) return doubleParts(value.value);
  const integer = toBigInt(value);
  return { kind: 'finite', negative: integer < 0n, coefficient: integer < 0n ? -integer : integer, exponent: 0 };
}

function decimalParts(value: Decimal128): DecimalParts {
  const text = value.toString();
  if (text === 'NaN') return { kind: 'nan' };
  if (text.endsWith('Infinity')) return { kind: 'infinity', negative: text.startsWith('-') };
  const match = DECIMAL_STRING.exec(text);
  if (!match) throw new Error(`unexpected Decimal128 text ${text}`);
  const fraction = match[3] ?? '';
  return {
    kind: 'finite',
    negative: match[1] === '-',
    coefficient: BigInt(match[2] + fraction),
    exponent: Number(match[4] ?? 0) - fraction.length,
  };
}

/** mongod's Decimal128(double): the double rounded to 15 significant digits, trailing zeros kept. */
function doubleParts(value: number): DecimalParts {
  if (Number.isNaN(value)) return { kind: 'nan' };
  if (!Number.isFinite(value)) return { kind: 'infinity', negative: value < 0 };
  if (value === 0) return { kind: 'finite', negative: Object.is(value, -0), coefficient: 0n, exponent: 0 };
  const exact = exactFromDouble(Math.abs(value));
  if (exact.kind !== 'finite') throw new Error('finite double expected');
  const magnitude = String(exact.coefficient).length + exact.exponent - 1;
  let exponent = magnitude - (DOUBLE_TO_DECIMAL_DIGITS - 1);
  let coefficient = rescale(exact.coefficient, exact.exponent, exponent);
  if (coefficient === 10n ** BigInt(DOUBLE_TO_DECIMAL_DIGITS)) {
    coefficient /= 10n;
    exponent += 1;
  }
  return { kind: 'finite', negative: value < 0, coefficient, exponent };
}

/** coefficient·10^from expressed with exponent `to`, rounding half to even when digits are dropped. */
function rescale(coefficient: bigint, from: number, to: number): bigint {
  if (from >= to) return coefficient * 10n ** BigInt(from - to);
  return divideRoundingHalfEven(coefficient, 10n ** BigInt(to - from));
}

function divideRoundingHalfEven(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  const twiceRemainder = (value % divisor) * 2n;
  if (twiceRemainder > divisor || (twiceRemainder === divisor && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

function addParts(a: DecimalParts, b: DecimalParts): DecimalParts {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' };
  if (a.kind === 'infinity' && b.kind === 'infinity') return a.negative === b.negative ? a : { kind: 'nan' };
  if (a.kind === 'infinity') return a;
  if (b.kind === 'infinity') return b;
  const exponent = Math.min(a.exponent, b.exponent);
  const signed = (p: typeof a): bigint =>
    (p.negative ? -1n : 1n) * p.coefficient * 10n ** BigInt(p.exponent - exponent);
  const sum = signed(a) + signed(b);
  const negative = sum < 0n || (sum === 0n && a.negative && b.negative);
  return { kind: 'finite', negative, coefficient: sum < 0n ? -sum : sum, exponent };
}

function multiplyParts(a: DecimalParts, b: DecimalParts): DecimalParts {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' };
  const negative = a.negative !== b.negative;
  if (a.kind === 'infinity' || b.kind === 'infinity') {
    const other = a.kind === 'infinity' ? b : a;
    return other.kind === 'finite' && other.coefficient === 0n ? { kind: 'nan' } : { kind: 'infinity', negative };
  }
  return { kind: 'finite', negative, coefficient: a.coefficient * b.coefficient, exponent: a.exponent + b.exponent };
}

function fromParts(parts: DecimalParts): Decimal128 {
  if (parts.kind === 'nan') return Decimal128.fromString('NaN');
  if (parts.kind === 'infinity') return Decimal128.fromString(parts.negative ? '-Infinity' : 'Infinity');
  let { coefficient, exponent } = parts;
  const excess = String(coefficient).length - DECIMAL_DIGITS;
  if (excess > 0) {
    coefficient = rescale(coefficient, exponent, exponent + excess);
    exponent += excess;
    if (String(coefficient).length > DECIMAL_DIGITS) {
      coefficient /= 10n;
      exponent += 1;
    }
  }
  return Decimal128.fromString(`${parts.negative ? '-' : ''}${coefficient}E${exponent}`);
}
