// The collation an operation runs with, chosen as mongod chooses it: the operation's own `collation`
// when it gives a non-empty one ({locale: 'simple'} asks for byte-wise comparison), otherwise the
// collection's default collation. A view always runs with its own; asking for another one fails.
import { collationOf, type Collation } from '../bson/collation.js';
import { valuesEqual } from '../bson/compare.js';
import type { BsonDoc } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { normaliseCollation } from '../storage/collation-spec.js';
import type { Collection } from '../storage/collection.js';

/** undefined means the simple collation (byte-wise string comparison). */
export function operationCollation(
  given: BsonDoc | undefined,
  collection: Collection | undefined,
): Collation | undefined {
  const stored = collection?.options.get('collation');
  const collectionDefault = stored instanceof Map ? stored : undefined;
  if (given === undefined || given.size === 0) return collectionDefault && collationOf(collectionDefault);
  const requested = normaliseCollation(given);
  if (collection?.isView && !sameCollation(requested, collectionDefault))
    throw new CommandError('OptionNotSupportedOnView', "Cannot override a view's default collation");
  return requested && collationOf(requested);
}

function sameCollation(a: BsonDoc | undefined, b: BsonDoc | undefined): boolean {
  return a === undefined || b === undefined ? a === b : valuesEqual(a, b);
}
