// The dispatcher middleware for sessions: every command naming an lsid keeps its session alive;
// a txnNumber makes it a retryable write (run once, its reply replayed to retries) or a statement of
// a multi-document transaction (state machine and error messages as mongod 8.0's TransactionParticipant).
import type { BsonDoc } from '../bson/values.js';
import type { CommandContext, CommandReply, CommandSpec } from '../commands/types.js';
import type { Middleware } from '../dispatch.js';
import { CommandError } from '../errors.js';
import { describeSession } from './lsid.js';
import type { Session } from './session.js';
import { parseSessionOptions, type SessionOptions } from './session-options.js';
import { bindTransaction, Transaction } from './transaction.js';
import { checkSessionOptionsAllowed } from './transaction-rules.js';

type Next = () => Promise<CommandReply>;

const TRANSACTION_READ_CONCERN_LEVELS = new Set(['local', 'majority', 'snapshot']);

export const runInSession: Middleware = async (ctx, spec, next) => {
  ctx.sandbox.sessions.sweep();
  const options = parseSessionOptions(ctx);
  checkSessionOptionsAllowed(ctx, spec, options);
  if (!options.sessionId) return next();
  const session = ctx.sandbox.sessions.touch(options.sessionId);
  if (options.txnNumber === undefined) return next();
  if (!ctx.sandbox.isWritablePrimary)
    throw new CommandError('NotWritablePrimary', 'Not primary so we cannot begin or continue a transaction');
  if (options.autocommit === undefined) return runRetryableWrite(session, options.txnNumber, next);
  return runInTransaction(ctx, spec, session, options, options.txnNumber, next);
};

function newerOperation(session: Session): string {
  return session.inRetryableWriteMode ? 'retryable write' : 'transaction';
}

async function runRetryableWrite(session: Session, txnNumber: bigint, next: Next): Promise<CommandReply> {
  if (txnNumber < session.activeTxnNumber)
    throw new CommandError(
      'TransactionTooOld',
      `Retryable write with txnNumber ${txnNumber} is prohibited on session ${describeSession(session.id)} because a newer ${newerOperation(session)} with txnNumber ${session.activeTxnNumber} has already started on this session.`,
    );
  if (txnNumber === session.activeTxnNumber) {
    if (!session.inRetryableWriteMode)
      throw new CommandError(217, 'Cannot retry a retryable write that has been converted into a transaction');
    if (session.retryableReply) return session.retryableReply;
  } else {
    session.advanceTo(txnNumber);
  }
  const reply = await next();
  if (session.activeTxnNumber === txnNumber && session.inRetryableWriteMode) session.retryableReply = reply;
  return reply;
}

async function runInTransaction(
  ctx: CommandContext,
  spec: CommandSpec,
  session: Session,
  options: SessionOptions,
  txnNumber: bigint,
  next: Next,
): Promise<CommandReply> {
  const readConcern = ctx.body.get('readConcern');
  if (!options.startTransaction && readConcern !== undefined)
    throw new CommandError('InvalidOptions', 'Only the first command in a transaction may specify a readConcern');
  if (txnNumber < session.activeTxnNumber) {
    const active = session.inRetryableWriteMode
      ? `{ txnNumber: ${session.activeTxnNumber}, txnRetryCounter: -1 }`
      : `{ txnNumber: ${session.activeTxnNumber}, txnRetryCounter: 0 }`;
    throw new CommandError(
      'TransactionTooOld',
      `Cannot start transaction with { txnNumber: ${txnNumber} } on session ${describeSession(session.id)} because a newer ${newerOperation(session)} with txnNumberAndRetryCounter ${active} has already started on this session.`,
    );
  }
  const transaction = options.startTransaction
    ? startTransaction(session, txnNumber, readConcern instanceof Map ? readConcern : undefined)
    : continueTransaction(session, txnNumber, spec);
  bindTransaction(ctx, transaction);
  try {
    const reply = await next();
    // mongod ends the transaction when a statement fails, write errors (bulkWrite: nErrors) included.
    const failedWrites =
      (Array.isArray(reply.writeErrors) && reply.writeErrors.length > 0) || Number(reply.nErrors) > 0;
    if (reply.ok === 0 || failedWrites) transaction.abort();
    return reply;
  } catch (error) {
    transaction.abort();
    throw error;
  }
}

function startTransaction(session: Session, txnNumber: bigint, readConcern: BsonDoc | undefined): Transaction {
  if (txnNumber === session.activeTxnNumber)
    throw new CommandError(
      117,
      'Only servers in a sharded cluster can start a new transaction at the active transaction number',
    );
  const level = readConcern?.get('level');
  if (level !== undefined && !(typeof level === 'string' && TRANSACTION_READ_CONCERN_LEVELS.has(level)))
    throw new CommandError(
      'InvalidOptions',
      'The first command in a transaction cannot specify a readConcern level other than local, majority, or snapshot',
    );
  const transaction = new Transaction(txnNumber, readConcern);
  session.advanceTo(txnNumber, transaction);
  return transaction;
}

function continueTransaction(session: Session, txnNumber: bigint, spec: CommandSpec): Transaction {
  const transaction = session.transaction;
  if (txnNumber !== session.activeTxnNumber || !transaction)
    throw new CommandError(
      'NoSuchTransaction',
      `Given transaction number ${txnNumber} does not match any in-progress transactions. The active transaction number is ${session.activeTxnNumber}`,
    );
  if (transaction.state === 'aborted')
    throw new CommandError('NoSuchTransaction', `Transaction with { txnNumber: ${txnNumber} } has been aborted.`);
  if (transaction.state === 'committed' && spec.name !== 'commitTransaction')
    throw new CommandError('TransactionCommitted', `Transaction with { txnNumber: ${txnNumber} } has been committed.`);
  return transaction;
}
