// Money is kept as Decimal128 (as a careful schema would) and computed in cents to stay exact.
import { Decimal128 } from 'mongodb';

export function decimalFromCents(cents: number): Decimal128 {
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  return Decimal128.fromString(`${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`);
}
