// The `collation` option of reads and writes: the sandbox compares strings byte-wise only, so it
// accepts the simple collation and refuses any locale by name.
import type { BsonDoc } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { normaliseCollation } from '../storage/collation-spec.js';

export function checkSimpleCollation(collation: BsonDoc | undefined): void {
  if (collation && normaliseCollation(collation))
    throw new CommandError(
      'BadValue',
      `The sandbox does not support the 'collation' option with locale '${String(collation.get('locale'))}'; only 'simple' is supported`,
    );
}
