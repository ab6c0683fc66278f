// The DuplicateKey error as mongod words it. Under a collation mongod's index keys hold ICU sort keys
// instead of the strings, so it shows string key values hex-encoded (marked in `hexEncoded`) and names
// the collation; the sandbox hex-encodes its own key form of the string (bson/collation.ts) instead.
import { collationOf } from '../bson/collation.js';
import { formatValue } from '../bson/format.js';
import type { BsonDoc, BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';

export function duplicateKeyError(
  ns: string,
  indexName: string,
  keyPattern: BsonDoc,
  keyValue: BsonDoc,
  collationSpec?: BsonDoc,
): CommandError {
  const collation = collationSpec && collationOf(collationSpec);
  const hexEncoded = [...keyValue.values()].map((value) => collation !== undefined && typeof value === 'string');
  const reported: BsonDoc = new Map(
    [...keyValue].map(([field, value]): [string, BsonValue] => [
      field,
      collation && typeof value === 'string' ? Buffer.from(collation.key(value)).toString('hex') : value,
    ]),
  );
  const shown = [...reported]
    .map(([field, value], i) => `${field}: ${hexEncoded[i] ? `"0x${String(value)}"` : formatValue(value)}`)
    .join(', ');
  const named = collationSpec ? ` collation: ${formatValue(collationSpec)}` : '';
  return new CommandError(
    'DuplicateKey',
    `E11000 duplicate key error collection: ${ns} index: ${indexName}${named} dup key: { ${shown} }`,
    {
      keyPattern,
      keyValue: reported,
      ...(hexEncoded.includes(true) ? { hexEncoded } : {}),
      ...(collationSpec ? { collation: collationSpec } : {}),
    },
  );
}
