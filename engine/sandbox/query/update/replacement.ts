// Replacing a document whole (replacement-style updates, and the result of pipeline-style ones), as
// mongod's ObjectReplaceExecutor does: the old _id stays when the new document has none, _id may not
// change, and the new document must be storable.
import { compareValues } from '../../bson/compare.js';
import { formatValue } from '../../bson/format.js';
import { Timestamp, type BsonDoc } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import { cloneValue } from './elements.js';
import { checkStorable } from './storage-validation.js';
import type { UpdateClock } from './tree.js';

export function replaceDocument(original: BsonDoc, replacement: BsonDoc, allowTopLevelDollarFields: boolean): BsonDoc {
  const replaced: BsonDoc = new Map();
  const id = original.get('_id');
  if (id !== undefined && !replacement.has('_id')) replaced.set('_id', id);
  for (const [name, value] of replacement) replaced.set(name, cloneValue(value));
  checkStorable(replaced, allowTopLevelDollarFields);
  const newId = replaced.get('_id');
  if (id !== undefined && newId !== undefined && compareValues(id, newId) !== 0)
    throw new CommandError(
      'ImmutableField',
      `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(newId)}`,
    );
  return replaced;
}

/** Top-level zero Timestamps (other than _id) are filled in with the current time, as on insert. */
export function withCurrentTimestamps(replacement: BsonDoc, clock: UpdateClock): BsonDoc {
  const isZero = (value: unknown): boolean => value instanceof Timestamp && value.t === 0 && value.i === 0;
  if (![...replacement].some(([name, value]) => name !== '_id' && isZero(value))) return replacement;
  return new Map(
    [...replacement].map(([name, value]) => [name, name !== '_id' && isZero(value) ? clock.timestamp() : value]),
  );
}
