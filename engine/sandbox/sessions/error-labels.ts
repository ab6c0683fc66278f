// The errorLabels mongod adds to error replies (error_labels.cpp): TransientTransactionError inside
// transactions, RetryableWriteError for retryable writes and commit/abort, and the change-stream
// resumability labels. A failCommand fail point that names errorLabels replaces them outright.
import { Long, type BsonDoc, type EncodableValue } from '../bson/values.js';
import type { CommandContext, CommandReply, CommandSpec } from '../commands/types.js';
import type { Middleware } from '../dispatch.js';
import { CommandError, ErrorCodes } from '../errors.js';
import { originatingCommand } from '../operations.js';
import { numberOption } from '../storage/writer.js';
import { COMMIT_OR_ABORT_COMMANDS } from './transaction-rules.js';

const RETRIABLE_CODES: ReadonlySet<number> = new Set([
  6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 50915,
]);
const NETWORK_CODES: ReadonlySet<number> = new Set([6, 7, 89, 9001]);
const NEED_RETARGETTING_CODES: ReadonlySet<number> = new Set([150, 249, 13388]);
const SNAPSHOT_CODES: ReadonlySet<number> = new Set([239, 246, 250, 272]);
const ALWAYS_TRANSIENT_CODES: ReadonlySet<number> = new Set([24, 112, 249, 267]);
const NON_RESUMABLE_CHANGE_STREAM_CODES: ReadonlySet<number> = new Set([280, 286]);
const RETRY_CHANGE_STREAM = 234;
const FAILED_TO_SATISFY_READ_PREFERENCE = 133;

const labelOverrides = new WeakMap<CommandContext, string[]>();
const failedBeforeCursorCheckout = new WeakSet<CommandContext>();

/** A failCommand fail point with errorLabels: exactly these labels (none when empty) are reported. */
export function overrideErrorLabels(ctx: CommandContext, labels: string[]): void {
  labelOverrides.set(ctx, labels);
}

/** failCommand fails a getMore before its cursor is checked out, so the stream is not yet known. */
export function markFailedBeforeCursorCheckout(ctx: CommandContext): void {
  failedBeforeCursorCheckout.add(ctx);
}

interface Failure {
  code?: number;
  writeConcernCode?: number;
}

function isTransientTransactionError(code: number, hasWriteConcernError: boolean, commitOrAbort: boolean): boolean {
  if (ALWAYS_TRANSIENT_CODES.has(code) || SNAPSHOT_CODES.has(code) || NEED_RETARGETTING_CODES.has(code)) return true;
  if (commitOrAbort) return code === ErrorCodes.NoSuchTransaction && !hasWriteConcernError;
  return RETRIABLE_CODES.has(code) || code === ErrorCodes.NoSuchTransaction;
}

function isResumableChangeStreamCode(code: number): boolean {
  return (
    RETRIABLE_CODES.has(code) ||
    NETWORK_CODES.has(code) ||
    NEED_RETARGETTING_CODES.has(code) ||
    code === RETRY_CHANGE_STREAM ||
    code === FAILED_TO_SATISFY_READ_PREFERENCE
  );
}

function labelsFor(ctx: CommandContext, spec: CommandSpec, failure: Failure, changeStream: boolean): string[] {
  const override = labelOverrides.get(ctx);
  if (override) return override;
  const { code, writeConcernCode } = failure;
  const hasTxnNumber = ctx.body.has('txnNumber');
  const inTransaction = hasTxnNumber && ctx.body.has('autocommit');
  const commitOrAbort = COMMIT_OR_ABORT_COMMANDS.has(spec.name);
  const labels: string[] = [];
  if (
    code !== undefined &&
    inTransaction &&
    isTransientTransactionError(code, writeConcernCode !== undefined, commitOrAbort)
  ) {
    labels.push('TransientTransactionError');
  } else if (hasTxnNumber && (!inTransaction || commitOrAbort)) {
    const retriable = [code, writeConcernCode].some((value) => value !== undefined && RETRIABLE_CODES.has(value));
    if (retriable) labels.push('RetryableWriteError');
  }
  if (
    code !== undefined &&
    labels.length === 0 &&
    writeConcernCode === undefined &&
    changeStream &&
    isResumableChangeStreamCode(code)
  )
    labels.push('ResumableChangeStreamError');
  else if (code !== undefined && NON_RESUMABLE_CHANGE_STREAM_CODES.has(code))
    labels.push('NonResumableChangeStreamError');
  return labels;
}

function startsWithChangeStream(command: BsonDoc | undefined): boolean {
  const pipeline = command?.get('pipeline');
  const first = Array.isArray(pipeline) ? pipeline[0] : undefined;
  return first instanceof Map && first.has('$changeStream');
}

/** Whether the command opens or continues a change stream (judged before it runs: a failing getMore loses its cursor). */
function isChangeStreamCommand(ctx: CommandContext): boolean {
  if (ctx.name === 'aggregate') return startsWithChangeStream(ctx.body);
  if (ctx.name !== 'getMore') return false;
  const id = ctx.body.get('getMore');
  const cursor = id instanceof Long ? ctx.sandbox.cursors.get(id) : undefined;
  return cursor !== undefined && startsWithChangeStream(originatingCommand(cursor));
}

/** The code of a writeConcernError, whether built by a handler (plain object) or taken from a fail point (document). */
function codeOf(value: EncodableValue | undefined): number | undefined {
  if (value instanceof Map) return numberOption(value.get('code'));
  if (value === null || typeof value !== 'object' || !('code' in value)) return undefined;
  const code = (value as Record<string, EncodableValue>).code;
  return typeof code === 'number' ? code : undefined;
}

function withLabels(existing: string[], added: string[]): string[] {
  return [...new Set([...existing, ...added])];
}

export const labelErrors: Middleware = async (ctx, spec, next) => {
  const changeStream = isChangeStreamCommand(ctx);
  let reply: CommandReply;
  try {
    reply = await next();
  } catch (error) {
    if (error instanceof CommandError) {
      const failure = { code: error.code, writeConcernCode: codeOf(error.extra.writeConcernError) };
      const labels = labelsFor(ctx, spec, failure, changeStream && !failedBeforeCursorCheckout.has(ctx));
      error.errorLabels = labelOverrides.has(ctx) ? labels : withLabels(error.errorLabels, labels);
    }
    throw error;
  }
  const writeConcernCode = codeOf(reply.writeConcernError);
  if (writeConcernCode === undefined) return reply;
  const labels = labelsFor(ctx, spec, { writeConcernCode }, false);
  return labels.length > 0 ? { ...reply, errorLabels: labels } : reply;
};
