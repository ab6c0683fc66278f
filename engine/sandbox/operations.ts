// What the server is doing and has done: the command running on each connection (currentOp and
// $currentOp), mongod's opcounters (serverStatus), and the command each cursor was opened by (which
// mongod reports as originatingCommand and uses to recognise change-stream getMores).
import { decodeDocument } from './bson/decode.js';
import { encodeDocument } from './bson/encode.js';
import { Long, type BsonDoc, type EncodableValue } from './bson/values.js';
import { lsidKey } from './commands/cursor-reply.js';
import type { CommandContext, CommandReply } from './commands/types.js';
import type { OpenCursor } from './cursors.js';
import type { Middleware } from './dispatch.js';
import type { Sandbox } from './sandbox.js';
import { transactionOf, type Transaction } from './sessions/transaction.js';

export interface OpCounters {
  insert: number;
  query: number;
  update: number;
  delete: number;
  getmore: number;
  command: number;
}

interface RunningOperation {
  readonly opid: number;
  readonly ctx: CommandContext;
  readonly startedAt: bigint;
}

export class OperationTracker {
  readonly counters: OpCounters = { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 };
  private readonly running = new Map<number, RunningOperation>();
  private nextOpId = 1;

  begin(ctx: CommandContext): RunningOperation {
    const operation = { opid: this.nextOpId++, ctx, startedAt: process.hrtime.bigint() };
    this.running.set(operation.opid, operation);
    countOperation(this.counters, ctx);
    return operation;
  }

  end(operation: RunningOperation): void {
    this.running.delete(operation.opid);
  }

  list(): RunningOperation[] {
    return [...this.running.values()];
  }

  has(opid: number): boolean {
    return this.running.has(opid);
  }
}

function statementCount(ctx: CommandContext, field: string): number {
  const array = ctx.body.get(field);
  return ctx.sequences.get(field)?.length ?? (Array.isArray(array) ? array.length : 0);
}

/** As mongod counts: inserted documents, update and delete statements, finds, getMores, other commands. */
function countOperation(counters: OpCounters, ctx: CommandContext): void {
  switch (ctx.name) {
    case 'insert':
      counters.insert += statementCount(ctx, 'documents');
      break;
    case 'update':
      counters.update += statementCount(ctx, 'updates');
      break;
    case 'delete':
      counters.delete += statementCount(ctx, 'deletes');
      break;
    case 'find':
      counters.query += 1;
      break;
    case 'getMore':
      counters.getmore += 1;
      break;
    default:
      counters.command += 1;
  }
}

const cursorOrigins = new WeakMap<OpenCursor, BsonDoc>();

/** The command that opened a cursor (find, aggregate, ...), as currentOp's originatingCommand. */
export function originatingCommand(cursor: OpenCursor): BsonDoc | undefined {
  return cursorOrigins.get(cursor);
}

function rememberCursorOrigin(ctx: CommandContext, reply: CommandReply): void {
  const cursor = reply.cursor;
  if (cursor === null || typeof cursor !== 'object' || cursor instanceof Map || !('id' in cursor)) return;
  const id = (cursor as Record<string, EncodableValue>).id;
  const open = id instanceof Long && !id.isZero() ? ctx.sandbox.cursors.get(id) : undefined;
  if (open && !cursorOrigins.has(open)) cursorOrigins.set(open, ctx.body);
}

export const trackOperations: Middleware = async (ctx, _spec, next) => {
  const operation = ctx.sandbox.operations.begin(ctx);
  try {
    const reply = await next();
    rememberCursorOrigin(ctx, reply);
    return reply;
  } finally {
    ctx.sandbox.operations.end(operation);
  }
};

const OP_TYPES: Record<string, string> = {
  find: 'query',
  insert: 'insert',
  update: 'update',
  delete: 'remove',
  getMore: 'getmore',
};

/** The namespace a command works on, as mongod's CurOp and fail points see it. */
export function commandNamespace(ctx: CommandContext): string {
  const target = ctx.body.get(ctx.name);
  if (ctx.name === 'getMore') {
    const collection = ctx.body.get('collection');
    return typeof collection === 'string' ? `${ctx.db}.${collection}` : `${ctx.db}.$cmd`;
  }
  return typeof target === 'string' ? `${ctx.db}.${target}` : `${ctx.db}.$cmd`;
}

function transactionInfo(sandbox: Sandbox, transaction: Transaction, now: number): Record<string, EncodableValue> {
  const openMicros = Long.fromNumber((now - transaction.startedAt) * 1000);
  return {
    parameters: {
      txnNumber: Long.fromBigInt(transaction.txnNumber),
      autocommit: false,
      ...(transaction.readConcern ? { readConcern: transaction.readConcern } : {}),
    },
    startWallClockTime: new Date(transaction.startedAt).toISOString(),
    timeOpenMicros: openMicros,
    expiryTime: new Date(transaction.startedAt + sandbox.parameters.transactionLifetimeMs).toISOString(),
  };
}

function activeOperation(sandbox: Sandbox, operation: RunningOperation, now: number): Record<string, EncodableValue> {
  const { ctx } = operation;
  const micros = (process.hrtime.bigint() - operation.startedAt) / 1000n;
  const lsid = ctx.body.get('lsid');
  const transaction = transactionOf(ctx);
  const cursorId = ctx.name === 'getMore' ? ctx.body.get('getMore') : undefined;
  const cursor = cursorId instanceof Long ? sandbox.cursors.get(cursorId) : undefined;
  const origin = cursor ? originatingCommand(cursor) : undefined;
  return {
    type: 'op',
    host: sandbox.me,
    desc: `conn${ctx.connection.id}`,
    connectionId: ctx.connection.id,
    client: ctx.connection.remote,
    ...(ctx.connection.appName ? { appName: ctx.connection.appName } : {}),
    active: true,
    currentOpTime: new Date(now).toISOString(),
    ...(ctx.connection.user
      ? { effectiveUsers: [{ user: ctx.connection.user.name, db: ctx.connection.user.db }] }
      : {}),
    threaded: true,
    opid: operation.opid,
    ...(lsid instanceof Map ? { lsid } : {}),
    ...(transaction ? { transaction: transactionInfo(sandbox, transaction, now) } : {}),
    secs_running: Long.fromBigInt(micros / 1_000_000n),
    microsecs_running: Long.fromBigInt(micros),
    op: OP_TYPES[ctx.name] ?? 'command',
    ns: commandNamespace(ctx),
    redacted: false,
    command: ctx.body,
    ...(origin ? { originatingCommand: origin } : {}),
    numYields: 0,
    locks: {},
    waitingForLock: false,
    lockStats: {},
    waitingForFlowControl: false,
    flowControlStats: {},
  };
}

function idleSessionsWithTransactions(
  sandbox: Sandbox,
  busy: Set<string>,
  now: number,
): Record<string, EncodableValue>[] {
  return sandbox.sessions
    .all()
    .filter((session) => session.transaction?.state === 'inProgress' && !busy.has(session.id.key))
    .map((session) => ({
      type: 'idleSession',
      host: sandbox.me,
      desc: 'inactive transaction',
      lsid: session.id.lsid,
      transaction: transactionInfo(sandbox, session.transaction as Transaction, now),
      active: false,
    }));
}

/**
 * The operations `currentOp` and `$currentOp` report: every running command, then (with
 * idleSessions, mongod's default) sessions holding an open transaction between statements.
 */
export function currentOperations(sandbox: Sandbox, options: { idleSessions?: boolean } = {}): BsonDoc[] {
  const now = Date.now();
  const running = sandbox.operations.list();
  const busySessions = new Set(
    running.flatMap(({ ctx }) => {
      const lsid = ctx.body.get('lsid');
      return lsid instanceof Map ? [lsidKey(lsid)] : [];
    }),
  );
  const operations = [
    ...running.map((operation) => activeOperation(sandbox, operation, now)),
    ...(options.idleSessions === false ? [] : idleSessionsWithTransactions(sandbox, busySessions, now)),
  ];
  return operations.map((operation) => decodeDocument(encodeDocument(operation)));
}
