// mongod's test fail points that drivers' tests rely on. failCommand makes chosen commands fail
// (errorCode), hang (blockConnection), lose their connection (closeConnection) before they run, or
// carry a writeConcernError after they run; failGetMoreAfterCursorCheckout fails a getMore once its
// cursor is found. Matching, counting and error shapes follow mongod's commands.cpp.
import { Long, type BsonDoc, type BsonValue } from './bson/values.js';
import type { CommandContext, CommandReply, CommandSpec } from './commands/types.js';
import type { Middleware } from './dispatch.js';
import { CommandError } from './errors.js';
import { commandNamespace } from './operations.js';
import { markFailedBeforeCursorCheckout, overrideErrorLabels } from './sessions/error-labels.js';
import { COMMIT_OR_ABORT_COMMANDS } from './sessions/transaction-rules.js';
import { numberOption } from './storage/writer.js';

export const SUPPORTED_FAIL_POINTS = ['failCommand', 'failGetMoreAfterCursorCheckout'] as const;
export type FailPointName = (typeof SUPPORTED_FAIL_POINTS)[number];

export type FailPointMode =
  | { kind: 'off' }
  | { kind: 'alwaysOn' }
  | { kind: 'times'; remaining: number }
  | { kind: 'skip'; remaining: number }
  | { kind: 'activationProbability'; probability: number };

export class FailPoint {
  mode: FailPointMode = { kind: 'off' };
  data: BsonDoc = new Map();
  /** How often it has fired since the server started; configureFailPoint reports it as `count`. */
  timesEntered = 0;

  get active(): boolean {
    return this.mode.kind !== 'off';
  }

  /** Decides whether an evaluation whose conditions matched fires, counting down times/skip. */
  fire(): boolean {
    const mode = this.mode;
    switch (mode.kind) {
      case 'off':
        return false;
      case 'times':
        mode.remaining -= 1;
        if (mode.remaining <= 0) this.mode = { kind: 'off' };
        break;
      case 'skip':
        if (mode.remaining > 0) {
          mode.remaining -= 1;
          return false;
        }
        break;
      case 'activationProbability':
        if (Math.random() >= mode.probability) return false;
        break;
    }
    this.timesEntered += 1;
    return true;
  }
}

export class FailPoints {
  private readonly points = new Map<string, FailPoint>(SUPPORTED_FAIL_POINTS.map((name) => [name, new FailPoint()]));

  get(name: FailPointName): FailPoint {
    return this.points.get(name) as FailPoint;
  }

  find(name: string): FailPoint | undefined {
    return this.points.get(name);
  }
}

const FAIL_POINT_MESSAGE = "Failing command via 'failCommand' failpoint";
const CLOSED_CONNECTION_CODE = 50985;

/** Commands that wait for write concern, where a writeConcernError can be attached. */
const WRITE_CONCERN_COMMANDS: ReadonlySet<string> = new Set([
  'insert',
  'update',
  'delete',
  'findAndModify',
  'bulkWrite',
  'create',
  'drop',
  'dropDatabase',
  'createIndexes',
  'dropIndexes',
  'renameCollection',
  'collMod',
  'commitTransaction',
  'abortTransaction',
  'createUser',
  'updateUser',
  'dropUser',
  'dropAllUsersFromDatabase',
  'grantRolesToUser',
  'revokeRolesFromUser',
  'setFeatureCompatibilityVersion',
]);

/** mongod's shouldActivateFailCommandFailPoint: the command, connection and namespace the data names. */
function appliesTo(data: BsonDoc, ctx: CommandContext, spec: CommandSpec, ns: string): boolean {
  if (spec.name === 'configureFailPoint') return false;
  const appName = data.get('appName');
  if (appName !== undefined && ctx.connection.appName !== appName) return false;
  const namespace = data.get('namespace');
  if (namespace !== undefined && namespace !== ns) return false;
  if (data.has('failAllCommands')) return true;
  const names = data.get('failCommands');
  return (
    Array.isArray(names) &&
    names.some((name) => typeof name === 'string' && (name === spec.name || (spec.aliases ?? []).includes(name)))
  );
}

function flagOf(data: BsonDoc, field: string): boolean {
  const value = data.get(field);
  return value === true || (numberOption(value) ?? 0) !== 0;
}

function integerOf(data: BsonDoc, field: string): number | undefined {
  const number = numberOption(data.get(field));
  return number !== undefined && Number.isInteger(number) ? number : undefined;
}

function stringsOf(value: BsonValue | undefined): string[] | undefined {
  return Array.isArray(value) ? value.filter((label): label is string => typeof label === 'string') : undefined;
}

async function failBeforeRunning(ctx: CommandContext, failPoint: FailPoint): Promise<void> {
  const { data } = failPoint;
  const closeConnection = flagOf(data, 'closeConnection');
  const blockConnection = flagOf(data, 'blockConnection');
  const errorCode = integerOf(data, 'errorCode');
  if (!closeConnection && !blockConnection && errorCode === undefined) return;
  if (!failPoint.fire()) return;
  const labels = stringsOf(data.get('errorLabels'));
  if (labels) overrideErrorLabels(ctx, labels);
  if (ctx.name === 'getMore') markFailedBeforeCursorCheckout(ctx);
  if (blockConnection) {
    const blockTimeMS = integerOf(data, 'blockTimeMS');
    if (blockTimeMS === undefined)
      throw new CommandError('InvalidOptions', "must specify 'blockTimeMS' when 'blockConnection' is true");
    if (blockTimeMS < 0) throw new CommandError('InvalidOptions', "'blockTimeMS' must be non-negative");
    await new Promise((resolve) => setTimeout(resolve, blockTimeMS));
  }
  if (closeConnection) {
    ctx.connection.destroy();
    throw new CommandError(CLOSED_CONNECTION_CODE, FAIL_POINT_MESSAGE);
  }
  const extraInfo = data.get('errorExtraInfo');
  if (errorCode !== undefined)
    throw new CommandError(
      errorCode,
      FAIL_POINT_MESSAGE,
      extraInfo instanceof Map ? Object.fromEntries(extraInfo) : {},
    );
}

function failGetMoreAfterCheckout(ctx: CommandContext, spec: CommandSpec, failPoint: FailPoint): void {
  const id = ctx.body.get('getMore');
  const cursor = id instanceof Long ? ctx.sandbox.cursors.get(id) : undefined;
  if (!cursor) return;
  const data = new Map(failPoint.data).set('failCommands', ['getMore']);
  if (!appliesTo(data, ctx, spec, cursor.ns) || !failPoint.fire()) return;
  // A getMore that fails after checking out its cursor destroys the cursor.
  ctx.sandbox.cursors.kill(cursor.id);
  throw new CommandError(integerOf(data, 'errorCode') ?? 1, "Hit the 'failGetMoreAfterCursorCheckout' failpoint");
}

function waitsForWriteConcern(ctx: CommandContext, spec: CommandSpec): boolean {
  if (COMMIT_OR_ABORT_COMMANDS.has(spec.name)) return true;
  if (ctx.body.has('autocommit')) return false;
  if (spec.name !== 'aggregate') return WRITE_CONCERN_COMMANDS.has(spec.name);
  const pipeline = ctx.body.get('pipeline');
  const last = Array.isArray(pipeline) ? pipeline[pipeline.length - 1] : undefined;
  return last instanceof Map && (last.has('$out') || last.has('$merge'));
}

/** The writeConcernError a failCommand fail point attaches to this command, if it fires. */
function injectedWriteConcernError(ctx: CommandContext, spec: CommandSpec, failPoint: FailPoint): BsonDoc | undefined {
  const error = failPoint.data.get('writeConcernError');
  if (!(error instanceof Map) || !waitsForWriteConcern(ctx, spec)) return undefined;
  if (!appliesTo(failPoint.data, ctx, spec, commandNamespace(ctx)) || !failPoint.fire()) return undefined;
  const labels = stringsOf(failPoint.data.get('errorLabels'));
  if (labels) overrideErrorLabels(ctx, labels);
  return error;
}

export const applyFailPoints: Middleware = async (ctx, spec, next) => {
  const failCommand = ctx.sandbox.failPoints.get('failCommand');
  const failCommandApplies = failCommand.active && appliesTo(failCommand.data, ctx, spec, commandNamespace(ctx));
  if (failCommandApplies) await failBeforeRunning(ctx, failCommand);
  const afterCheckout = ctx.sandbox.failPoints.get('failGetMoreAfterCursorCheckout');
  if (spec.name === 'getMore' && afterCheckout.active) failGetMoreAfterCheckout(ctx, spec, afterCheckout);
  let reply: CommandReply;
  try {
    reply = await next();
  } catch (error) {
    const writeConcernError = failCommand.active ? injectedWriteConcernError(ctx, spec, failCommand) : undefined;
    if (writeConcernError && error instanceof CommandError) error.extra.writeConcernError = writeConcernError;
    throw error;
  }
  const writeConcernError = failCommand.active ? injectedWriteConcernError(ctx, spec, failCommand) : undefined;
  return writeConcernError ? { ...reply, writeConcernError } : reply;
};
