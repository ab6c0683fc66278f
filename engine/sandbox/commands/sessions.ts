// Session and transaction commands: commitTransaction and abortTransaction (the state checks happen in
// sessions/middleware.ts before these run), and the commands that start, refresh and end sessions.
import { randomUUID } from 'node:crypto';
import { Binary, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { parseSessionId } from '../sessions/lsid.js';
import { transactionOf, type Transaction } from '../sessions/transaction.js';
import { optionalArray } from './args.js';
import type { CommandContext, CommandSpec } from './types.js';

function currentTransaction(ctx: CommandContext): Transaction {
  const transaction = transactionOf(ctx);
  if (!transaction) throw new CommandError('InvalidOptions', `${ctx.name} must be run within a transaction`);
  return transaction;
}

const commitTransaction: CommandSpec = {
  name: 'commitTransaction',
  adminOnly: true,
  run(ctx) {
    // Committing again after a successful commit is allowed and answers ok, as on mongod.
    currentTransaction(ctx).commit(ctx.sandbox.writer);
    return {};
  },
};

const abortTransaction: CommandSpec = {
  name: 'abortTransaction',
  adminOnly: true,
  run(ctx) {
    currentTransaction(ctx).abort();
    return {};
  },
};

/** The session ids listed in the command's first field. */
function listedSessions(ctx: CommandContext): string[] {
  return (optionalArray(ctx.body, ctx.name) ?? []).map(
    (lsid: BsonValue) => parseSessionId(lsid, ctx.name, ctx.connection).key,
  );
}

const endSessions: CommandSpec = {
  name: 'endSessions',
  noAuth: true,
  run(ctx) {
    for (const key of listedSessions(ctx)) ctx.sandbox.sessions.end(key);
    return {};
  },
};

const killSessions: CommandSpec = {
  name: 'killSessions',
  run(ctx) {
    const keys = listedSessions(ctx);
    if (keys.length === 0) ctx.sandbox.sessions.endAll();
    for (const key of keys) ctx.sandbox.sessions.end(key);
    return {};
  },
};

/** Every user's sessions: with one user (or none) that is every session the sandbox knows. */
const killAllSessions: CommandSpec = {
  name: 'killAllSessions',
  run(ctx) {
    ctx.sandbox.sessions.endAll();
    return {};
  },
};

const killAllSessionsByPattern: CommandSpec = {
  name: 'killAllSessionsByPattern',
  run(ctx) {
    const patterns = optionalArray(ctx.body, ctx.name) ?? [];
    const lsids = patterns.flatMap((pattern) =>
      pattern instanceof Map && pattern.has('lsid') ? [pattern.get('lsid') as BsonValue] : [],
    );
    if (lsids.length === 0 || lsids.length < patterns.length) ctx.sandbox.sessions.endAll();
    for (const lsid of lsids) ctx.sandbox.sessions.end(parseSessionId(lsid, ctx.name, ctx.connection).key);
    return {};
  },
};

const refreshSessions: CommandSpec = {
  name: 'refreshSessions',
  noAuth: true,
  run(ctx) {
    for (const lsid of optionalArray(ctx.body, ctx.name) ?? [])
      ctx.sandbox.sessions.touch(parseSessionId(lsid, ctx.name, ctx.connection));
    return {};
  },
};

const startSession: CommandSpec = {
  name: 'startSession',
  run(ctx) {
    const id = new Binary(Buffer.from(randomUUID().replace(/-/g, ''), 'hex'), Binary.SUBTYPE_UUID);
    const lsid = new Map<string, BsonValue>([['id', id]]);
    ctx.sandbox.sessions.touch(parseSessionId(lsid, 'startSession', ctx.connection));
    return { id: lsid, timeoutMinutes: Number(ctx.sandbox.parameters.value('localLogicalSessionTimeoutMinutes')) };
  },
};

export const sessionCommands: CommandSpec[] = [
  commitTransaction,
  abortTransaction,
  endSessions,
  killSessions,
  killAllSessions,
  killAllSessionsByPattern,
  refreshSessions,
  startSession,
];
