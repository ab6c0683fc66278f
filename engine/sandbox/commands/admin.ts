// Administrative and diagnostic commands with mongod 8.0's reply shapes: parameters, logs, the
// running operations, the profiler level, oplog notes and the user write block. This module also
// gathers the other command groups of the admin area for commands/index.ts.
import { Double, type BsonDoc, type BsonValue, type EncodableValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { currentOperations } from '../operations.js';
import { compileFilter } from '../query/matcher.js';
import { optionalBool, optionalDoc, optionalNumber } from './args.js';
import { explainCommands } from './explain.js';
import { failPointCommands } from './fail-points.js';
import { replicationCommands } from './replication.js';
import { serverStatusCommands } from './server-status.js';
import { sessionCommands } from './sessions.js';
import { GENERIC_ARGUMENTS } from './strict-fields.js';
import type { CommandContext, CommandReply, CommandSpec } from './types.js';

/** The fields after the command name that are not generic arguments (parameter names, filters). */
function specificFields(ctx: CommandContext, ignored: readonly string[] = []): [string, BsonValue][] {
  return [...ctx.body].slice(1).filter(([name]) => !GENERIC_ARGUMENTS.has(name) && !ignored.includes(name));
}

const getParameter: CommandSpec = {
  name: 'getParameter',
  adminOnly: true,
  run(ctx) {
    const { parameters } = ctx.sandbox;
    const selector = ctx.body.get('getParameter');
    const options = selector instanceof Map ? selector : undefined;
    const all = selector === '*' || options?.get('allParameters') === true;
    const showDetails = options?.get('showDetails') === true;
    const names = all ? parameters.names() : specificFields(ctx).map(([name]) => name);
    const reply: CommandReply = {};
    for (const name of names)
      if (parameters.has(name)) reply[name] = showDetails ? parameters.details(name) : parameters.value(name);
    if (Object.keys(reply).length === 0) throw new CommandError('InvalidOptions', 'no option found to get');
    return reply;
  },
};

const setParameter: CommandSpec = {
  name: 'setParameter',
  adminOnly: true,
  run(ctx) {
    const fields = specificFields(ctx);
    if (fields.length === 0)
      throw new CommandError('InvalidOptions', 'no option found to set, use help:true to see options ');
    const previous = fields.map(([name, value]) => ctx.sandbox.parameters.set(name, value));
    return { was: previous[0] };
  },
};

const getLog: CommandSpec = {
  name: 'getLog',
  adminOnly: true,
  run(ctx) {
    const name = ctx.body.get('getLog');
    if (name === '*') return { names: ['global', 'startupWarnings'] };
    if (name !== 'global' && name !== 'startupWarnings')
      throw new CommandError('OperationFailed', `No log named '${String(name)}'`);
    return { totalLinesWritten: 0, log: [] };
  },
};

const whatsmyuri: CommandSpec = {
  name: 'whatsmyuri',
  noAuth: true,
  run: (ctx) => ({ you: ctx.connection.remote }),
};

const listCommands: CommandSpec = {
  name: 'listCommands',
  noAuth: true,
  run(ctx) {
    const names = ctx.sandbox.commandNames?.() ?? [];
    const commands: Record<string, EncodableValue> = {};
    for (const name of [...names].sort())
      commands[name] = {
        help: '',
        requiresAuth: true,
        secondaryOk: true,
        adminOnly: false,
        apiVersions: [],
        deprecatedApiVersions: [],
      };
    return { commands };
  },
};

const PROFILE_SLOW_MS = 100;
const PROFILE_SAMPLE_RATE = 1.0;

const profile: CommandSpec = {
  name: 'profile',
  run(ctx) {
    const level = optionalNumber(ctx.body, 'profile');
    if (level === undefined || ![-1, 0, 1, 2].includes(level))
      throw new CommandError('BadValue', 'Invalid profiling level: must be -1, 0, 1 or 2');
    const was = ctx.sandbox.profileLevel;
    if (level >= 0) ctx.sandbox.profileLevel = level;
    return { was, slowms: PROFILE_SLOW_MS, sampleRate: new Double(PROFILE_SAMPLE_RATE) };
  },
};

const appendOplogNote: CommandSpec = {
  name: 'appendOplogNote',
  adminOnly: true,
  write: true,
  run(ctx) {
    const data = optionalDoc(ctx.body, 'data');
    if (!data) throw new CommandError(40414, "BSON field 'appendOplogNote.data' is missing but a required field");
    ctx.sandbox.writer.logNote(data);
    return {};
  },
};

const setUserWriteBlockMode: CommandSpec = {
  name: 'setUserWriteBlockMode',
  adminOnly: true,
  run(ctx) {
    const global = optionalBool(ctx.body, 'global');
    if (global === undefined)
      throw new CommandError(40414, "BSON field 'setUserWriteBlockMode.global' is missing but a required field");
    ctx.sandbox.writer.userWritesBlocked = global;
    return {};
  },
};

const currentOp: CommandSpec = {
  name: 'currentOp',
  adminOnly: true,
  run(ctx) {
    const filter: BsonDoc = new Map(specificFields(ctx, ['$all', '$ownOps']));
    const matches = compileFilter(filter);
    return { inprog: currentOperations(ctx.sandbox).filter((operation) => matches(operation)) };
  },
};

const killOp: CommandSpec = {
  name: 'killOp',
  adminOnly: true,
  run(ctx) {
    if (optionalNumber(ctx.body, 'op') === undefined) throw new CommandError('BadValue', 'Did not provide "op" field');
    // Sandbox commands run to completion; killOp is accepted as mongod accepts it for finished ops.
    return { info: 'attempting to kill op' };
  },
};

export const adminCommands: CommandSpec[] = [
  getParameter,
  setParameter,
  getLog,
  whatsmyuri,
  listCommands,
  profile,
  appendOplogNote,
  setUserWriteBlockMode,
  currentOp,
  killOp,
  ...serverStatusCommands,
  ...replicationCommands,
  ...explainCommands,
  ...sessionCommands,
  ...failPointCommands,
];
