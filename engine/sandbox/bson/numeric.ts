// Exact arithmetic view of BSON numbers. MongoDB compares Int32, Long, Double and Decimal128 by value
// across types, so 2^63-1 as a Long differs from the Double 2^63 and Decimal128("0.1") from the
// Double 0.1: comparing through JS numbers would get those wrong.
import { Decimal128, Double, Int32, Long, RawValue, BsonType, type BsonValue } from './values.js';

export type BsonNumber = Double | Int32 | Long | Decimal128;

/** A number as coefficient × 10^exponent; coefficient carries the sign and is 0n for either zero. */
export type ExactNumber =
  { kind: 'nan' } | { kind: 'infinity'; negative: boolean } | { kind: 'finite'; coefficient: bigint; exponent: number };

/** Long and Timestamp are one class hierarchy in js-bson (Timestamp extends Long): test the tag. */
export function isLong(value: unknown): value is Long {
  return value instanceof Long && value._bsontype === 'Long';
}

export function isBsonNumber(value: BsonValue): value is BsonNumber | RawValue {
  return (
    value instanceof Double ||
    value instanceof Int32 ||
    isLong(value) ||
    value instanceof Decimal128 ||
    (value instanceof RawValue && value.type === BsonType.double)
  );
}

/** Numeric view of a number value; a RawValue double is a NaN with a payload. */
function numberKind(value: BsonNumber | RawValue): 'small' | 'long' | 'decimal' | 'nan' {
  if (value instanceof Long) return 'long';
  if (value instanceof Decimal128) return 'decimal';
  if (value instanceof RawValue) return 'nan';
  return 'small';
}

export function exactFromDouble(value: number): ExactNumber {
  if (Number.isNaN(value)) return { kind: 'nan' };
  if (!Number.isFinite(value)) return { kind: 'infinity', negative: value < 0 };
  if (value === 0) return { kind: 'finite', coefficient: 0n, exponent: 0 };
  if (Number.isInteger(value)) return normalise(BigInt(value), 0);
  // Every finite double is m·2^-k = m·5^k·10^-k, so its decimal expansion is finite and exact.
  let k = 0;
  let scaled = value;
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    k++;
  }
  return normalise(BigInt(scaled) * 5n ** BigInt(k), -k);
}

export function exactFromDecimal(value: Decimal128): ExactNumber {
  const bytes = value.bytes;
  let high = 0n;
  let low = 0n;
  for (let i = 7; i >= 0; i--) {
    low = (low << 8n) | BigInt(bytes[i]);
    high = (high << 8n) | BigInt(bytes[i + 8]);
  }
  const negative = high >> 63n === 1n;
  const combination = Number((high >> 58n) & 0x1fn);
  if (combination === 0x1f) return { kind: 'nan' };
  if (combination === 0x1e) return { kind: 'infinity', negative };
  let exponent: number;
  let coefficient: bigint;
  if (((high >> 61n) & 3n) === 3n) {
    // This encoding only holds coefficients above 10^34 - 1, which IEEE 754-2008 says read as zero.
    exponent = Number((high >> 47n) & 0x3fffn);
    coefficient = 0n;
  } else {
    exponent = Number((high >> 49n) & 0x3fffn);
    coefficient = ((high & 0x1ffffffffffffn) << 64n) | low;
    if (coefficient > 9999999999999999999999999999999999n) coefficient = 0n;
  }
  return normalise(negative ? -coefficient : coefficient, exponent - 6176);
}

export function toExact(value: BsonNumber | RawValue): ExactNumber {
  if (value instanceof RawValue) return { kind: 'nan' };
  if (value instanceof Decimal128) return exactFromDecimal(value);
  if (value instanceof Long) return normalise(value.toBigInt(), 0);
  return exactFromDouble(value.value);
}

function normalise(coefficient: bigint, exponent: number): ExactNumber {
  if (coefficient === 0n) return { kind: 'finite', coefficient: 0n, exponent: 0 };
  while (coefficient % 10n === 0n) {
    coefficient /= 10n;
    exponent++;
  }
  return { kind: 'finite', coefficient, exponent };
}

/** MongoDB's order: NaN equals NaN and sorts below -Infinity; -0 equals 0. */
export function compareExact(a: ExactNumber, b: ExactNumber): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb || a.kind !== 'finite' || b.kind !== 'finite') return Math.sign(ra - rb);
  const sa = sign(a.coefficient);
  const sb = sign(b.coefficient);
  if (sa !== sb) return sa - sb;
  // Same sign: align exponents so the coefficients compare directly.
  let ca = a.coefficient;
  let cb = b.coefficient;
  if (a.exponent > b.exponent) ca *= 10n ** BigInt(a.exponent - b.exponent);
  else if (b.exponent > a.exponent) cb *= 10n ** BigInt(b.exponent - a.exponent);
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

function rank(value: ExactNumber): number {
  if (value.kind === 'nan') return 0;
  if (value.kind === 'infinity') return value.negative ? 1 : 3;
  return 2;
}

function sign(value: bigint): number {
  return value < 0n ? -1 : value > 0n ? 1 : 0;
}

/** Compares two BSON numbers, taking cheap paths when JS numbers or bigints are exact. */
export function compareNumbers(a: BsonNumber | RawValue, b: BsonNumber | RawValue): number {
  const ka = numberKind(a);
  const kb = numberKind(b);
  if (ka === 'small' && kb === 'small') return compareDoubles((a as Double | Int32).value, (b as Double | Int32).value);
  if (ka === 'long' && kb === 'long') {
    const x = (a as Long).toBigInt();
    const y = (b as Long).toBigInt();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ka === 'long' && kb === 'small') return compareLongToDouble(a as Long, (b as Double | Int32).value);
  if (ka === 'small' && kb === 'long') return negate(compareLongToDouble(b as Long, (a as Double | Int32).value));
  return compareExact(toExact(a), toExact(b));
}

/** Plain negation would turn 0 into -0, which callers testing `=== 0` accept but Object.is does not. */
function negate(order: number): number {
  return order === 0 ? 0 : -order;
}

export function compareDoubles(x: number, y: number): number {
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  const nx = Number.isNaN(x);
  const ny = Number.isNaN(y);
  return nx && ny ? 0 : nx ? -1 : 1;
}

function compareLongToDouble(long: Long, d: number): number {
  if (Number.isNaN(d)) return 1;
  if (d === Infinity) return -1;
  if (d === -Infinity) return 1;
  const x = long.toBigInt();
  // x ≤ floor(d) means x < d unless d is integral and equal.
  const floor = BigInt(Math.floor(d));
  if (x < floor) return -1;
  if (x > floor) return 1;
  return Number.isInteger(d) ? 0 : -1;
}
