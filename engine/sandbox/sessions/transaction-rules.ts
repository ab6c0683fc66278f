// What a command may do given its session fields, as mongod 8.0 validates it before running it:
// which commands and namespaces a transaction allows, which commands accept a bare txnNumber.
import type { CommandContext, CommandSpec } from '../commands/types.js';
import { CommandError } from '../errors.js';
import type { SessionOptions } from './session-options.js';

/** Commands that accept txnNumber without autocommit: their result is remembered for retries. */
export const RETRYABLE_WRITE_COMMANDS: ReadonlySet<string> = new Set([
  'insert',
  'update',
  'delete',
  'findAndModify',
  'bulkWrite',
]);

export const COMMIT_OR_ABORT_COMMANDS: ReadonlySet<string> = new Set(['commitTransaction', 'abortTransaction']);

const ALLOWED_IN_TRANSACTION: ReadonlySet<string> = new Set([
  ...RETRYABLE_WRITE_COMMANDS,
  ...COMMIT_OR_ABORT_COMMANDS,
  'aggregate',
  'create',
  'createIndexes',
  'distinct',
  'find',
  'getMore',
  'killCursors',
]);

const STAGES_NOT_ALLOWED_IN_TRANSACTION: ReadonlySet<string> = new Set([
  '$changeStream',
  '$collStats',
  '$currentOp',
  '$indexStats',
  '$listLocalSessions',
  '$listSessions',
  '$merge',
  '$out',
  '$planCacheStats',
]);

/** The collection a command names by its first field, if it names one. */
function targetCollection(ctx: CommandContext): string | undefined {
  const target = ctx.body.get(ctx.name);
  return typeof target === 'string' ? target : undefined;
}

function refuse(message: string): never {
  throw new CommandError('OperationNotSupportedInTransaction', message);
}

export function checkSessionOptionsAllowed(ctx: CommandContext, spec: CommandSpec, options: SessionOptions): void {
  if (options.autocommit === false) checkAllowedInTransaction(ctx, spec);
  else if (options.txnNumber !== undefined && !RETRYABLE_WRITE_COMMANDS.has(spec.name))
    throw new CommandError(
      50768,
      `txnNumber may only be provided for multi-document transactions and retryable write commands. autocommit:false was not provided, and ${spec.name} is not a retryable write command.`,
    );
  if (options.startTransaction) {
    if (spec.name === 'killCursors')
      refuse('Cannot run killCursors as the first operation in a multi-document transaction.');
    if (spec.name === 'commitTransaction') refuse('Cannot start a transaction with a commit');
    if (spec.name === 'abortTransaction') refuse('Cannot start a transaction with an abort');
  }
}

function checkAllowedInTransaction(ctx: CommandContext, spec: CommandSpec): void {
  if (spec.name === 'count')
    refuse(
      "Cannot run 'count' in a multi-document transaction. Please see http://dochub.mongodb.org/core/transaction-count for a recommended alternative.",
    );
  if (!ALLOWED_IN_TRANSACTION.has(spec.name)) refuse(`Cannot run '${spec.name}' in a multi-document transaction.`);
  if (ctx.db === 'local') refuse(`Cannot run command against the 'local' database in a transaction.`);
  if (ctx.db === 'config') refuse('Cannot run command against the config database in a transaction.');
  const collection = targetCollection(ctx);
  if (collection === 'system.profile' || collection === 'system.views')
    refuse(`Cannot run command against the '${ctx.db}.${collection}' collection in a transaction.`);
  if (spec.name === 'aggregate') checkPipelineAllowedInTransaction(ctx);
  if (ctx.body.has('writeConcern') && !COMMIT_OR_ABORT_COMMANDS.has(spec.name))
    throw new CommandError('InvalidOptions', 'writeConcern is not allowed within a multi-statement transaction');
}

function checkPipelineAllowedInTransaction(ctx: CommandContext): void {
  if (ctx.body.get('explain') === true)
    refuse(
      'Operation not permitted in transaction :: caused by :: Explain for the aggregate command cannot run within a multi-document transaction',
    );
  const pipeline = ctx.body.get('pipeline');
  if (!Array.isArray(pipeline)) return;
  for (const stage of pipeline) {
    const name = stage instanceof Map ? stage.keys().next().value : undefined;
    if (name !== undefined && STAGES_NOT_ALLOWED_IN_TRANSACTION.has(name))
      refuse(
        `Operation not permitted in transaction :: caused by :: Aggregation stage ${name} cannot run within a multi-document transaction.`,
      );
  }
}
