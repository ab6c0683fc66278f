// mongod parses most commands with strict IDL: a field the command does not define, and that is not
// one of the generic arguments every command accepts, fails with 40415 naming the field.
import type { BsonDoc } from '../bson/values.js';
import { CommandError } from '../errors.js';

export const GENERIC_ARGUMENTS: ReadonlySet<string> = new Set([
  '$db',
  '$client',
  '$clusterTime',
  '$configServerState',
  '$readPreference',
  '$audit',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'comment',
  'maxTimeMS',
  'readConcern',
  'writeConcern',
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  'stmtId',
  'mayBypassWriteBlocking',
  'databaseVersion',
  'shardVersion',
  'clientOperationKey',
]);

/** Throws 40415 for the first field of `body` (after the command name) that `known` does not list. */
export function rejectUnknownFields(body: BsonDoc, command: string, known: readonly string[]): void {
  let first = true;
  for (const name of body.keys()) {
    if (first) {
      first = false;
      continue;
    }
    if (!known.includes(name) && !GENERIC_ARGUMENTS.has(name))
      throw new CommandError(40415, `BSON field '${command}.${name}' is an unknown field.`);
  }
}
