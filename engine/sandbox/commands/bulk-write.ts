// bulkWrite: MongoDB 8.0's client-level batch of inserts, updates and deletes over any namespaces.
// Each op runs through the same single-statement code as insert, update and delete; its outcome is a
// reply item ({ok, idx, n, ...}) in a cursor, with summary counts beside it, as mongod answers.
import { Double, type EncodableValue } from '../bson/values.js';
import { ArraySource } from '../cursors.js';
import { CommandError } from '../errors.js';
import { insertDocument, sizeOfReplyDoc } from './crud.js';
import { readBulkWriteRequest, type BulkNamespace, type BulkOp } from './bulk-write-request.js';
import { openCursorReply } from './cursor-reply.js';
import { commandVariables } from './let-variables.js';
import type { CommandContext, CommandSpec } from './types.js';
import { writeContextOf } from './write-context.js';
import { runDeleteStatement, runUpdateStatement, writeTarget, type WriteTarget } from './writes.js';

const CURSOR_NS = 'admin.$cmd.bulkWrite';

type ReplyItem = Record<string, EncodableValue>;

interface Summary {
  nErrors: number;
  nInserted: number;
  nMatched: number;
  nModified: number;
  nUpserted: number;
  nDeleted: number;
}

/** The write targets of a command, one per namespace, made when an op first needs it. */
function targetsOf(ctx: CommandContext, namespaces: BulkNamespace[]): (index: number) => WriteTarget {
  const variables = commandVariables(ctx);
  const targets = new Map<number, WriteTarget>();
  return (index) => {
    let target = targets.get(index);
    if (!target) {
      const { db, name } = namespaces[index];
      target = writeTarget(ctx, name, variables, db);
      targets.set(index, target);
    }
    return target;
  };
}

/** Runs one op, counts it in `summary` and returns its reply item (without ok and idx). */
function runOp(op: BulkOp, target: WriteTarget, summary: Summary): ReplyItem {
  switch (op.kind) {
    case 'insert': {
      const { ctx, db, name, writeCtx, bypassValidation } = target;
      const collection = ctx.sandbox.writer.collectionForWrite(db, name, writeCtx);
      insertDocument(ctx.sandbox.writer, collection, op.document, writeCtx, bypassValidation);
      summary.nInserted++;
      return { n: 1 };
    }
    case 'update': {
      checkRetryableMulti(target, op.statement.multi);
      const { n, nModified, upserted } = runUpdateStatement(target, op.statement);
      summary.nModified += nModified;
      if (upserted === undefined) {
        summary.nMatched += n;
        return { n, nModified };
      }
      summary.nUpserted++;
      return { n, nModified, upserted: { _id: upserted } };
    }
    case 'delete': {
      checkRetryableMulti(target, op.multi);
      const n = runDeleteStatement(target, op.statement);
      summary.nDeleted += n;
      return { n };
    }
  }
}

/** A retryable write must be replayable from the oplog, which a multi-document write is not. */
function checkRetryableMulti(target: WriteTarget, multi: boolean): void {
  const { txnNumber, transaction } = target.writeCtx;
  if (multi && txnNumber !== undefined && !transaction)
    throw new CommandError('InvalidOptions', 'Cannot use retryable writes with multi=true');
}

function errorItem(idx: number, op: BulkOp, error: unknown): ReplyItem {
  const failure =
    error instanceof CommandError
      ? error
      : new CommandError('InternalError', error instanceof Error ? error.message : String(error));
  return {
    ok: new Double(0),
    idx,
    code: failure.code,
    errmsg: failure.message,
    ...failure.extra,
    n: 0,
    ...(op.kind === 'update' ? { nModified: 0 } : {}),
  };
}

const bulkWrite: CommandSpec = {
  name: 'bulkWrite',
  write: true,
  adminOnly: true,
  async run(ctx) {
    const request = readBulkWriteRequest(ctx);
    const targetOf = targetsOf(ctx, request.namespaces);
    // In a transaction the first failure ends the batch: mongod aborts the transaction there.
    const stopOnError = request.ordered || writeContextOf(ctx).transaction !== undefined;
    const summary: Summary = { nErrors: 0, nInserted: 0, nMatched: 0, nModified: 0, nUpserted: 0, nDeleted: 0 };
    const items: ReplyItem[] = [];
    for (const [idx, op] of request.ops.entries()) {
      try {
        const item = runOp(op, targetOf(op.nsIndex), summary);
        if (!request.errorsOnly) items.push({ ok: new Double(1), idx, ...item });
      } catch (error) {
        summary.nErrors++;
        items.push(errorItem(idx, op, error));
        if (stopOnError) break;
      }
    }
    const source = new ArraySource(items, sizeOfReplyDoc);
    const reply = await openCursorReply(ctx, CURSOR_NS, source, request.batchSize ?? Math.max(items.length, 1));
    return { ...reply, ...summary };
  },
};

export const bulkWriteCommands: CommandSpec[] = [bulkWrite];
