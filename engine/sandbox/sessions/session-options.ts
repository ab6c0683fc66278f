// The session fields of a command (lsid, txnNumber, autocommit, startTransaction), checked as
// mongod checks them before running anything.
import { Long, typeAlias, typeOf, type BsonValue } from '../bson/values.js';
import type { CommandContext } from '../commands/types.js';
import { CommandError } from '../errors.js';
import { parseSessionId, type SessionId } from './lsid.js';

export interface SessionOptions {
  sessionId?: SessionId;
  txnNumber?: bigint;
  /** Present (and false) on every statement of a multi-document transaction. */
  autocommit?: false;
  startTransaction?: true;
}

function wrongType(field: string, value: BsonValue, expected: string): CommandError {
  return new CommandError(
    'TypeMismatch',
    `BSON field 'OperationSessionInfo.${field}' is the wrong type '${typeAlias[typeOf(value)]}', expected type '${expected}'`,
  );
}

function optionalFlag(ctx: CommandContext, field: string): boolean | undefined {
  const value = ctx.body.get(field);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw wrongType(field, value, 'bool');
  return value;
}

export function parseSessionOptions(ctx: CommandContext): SessionOptions {
  const lsid = ctx.body.get('lsid');
  const txnNumberValue = ctx.body.get('txnNumber');
  if (txnNumberValue !== undefined && !(txnNumberValue instanceof Long))
    throw wrongType('txnNumber', txnNumberValue, 'long');
  const autocommit = optionalFlag(ctx, 'autocommit');
  const startTransaction = optionalFlag(ctx, 'startTransaction');
  const sessionId = lsid === undefined ? undefined : parseSessionId(lsid, 'OperationSessionInfo.lsid', ctx.connection);
  const txnNumber = txnNumberValue?.toBigInt();
  if (txnNumber !== undefined) {
    if (!sessionId)
      throw new CommandError('InvalidOptions', 'Transaction number requires a session ID to also be specified');
    if (txnNumber < 0n) throw new CommandError('InvalidOptions', 'Transaction number cannot be negative');
  } else if (autocommit !== undefined) {
    throw new CommandError('InvalidOptions', "'autocommit' field requires a transaction number to also be specified");
  }
  if (autocommit === true) throw new CommandError('InvalidOptions', 'Specifying autocommit=true is not allowed.');
  if (startTransaction !== undefined && autocommit === undefined)
    throw new CommandError(
      'InvalidOptions',
      "'startTransaction' field requires 'autocommit' field to also be specified",
    );
  if (startTransaction === false)
    throw new CommandError('InvalidOptions', 'Specifying startTransaction=false is not allowed.');
  return {
    sessionId,
    txnNumber,
    autocommit: autocommit === false ? false : undefined,
    startTransaction: startTransaction ? true : undefined,
  };
}
