// The pipeline sources the sandbox answers itself because they describe the server rather than
// documents: $collStats, $indexStats, $currentOp and $listLocalSessions. Each stands first in its
// pipeline and produces the documents the later stages (run by mingo) work on.
import { Binary, Int32, Long, type BsonDoc, type BsonValue } from '../bson/values.js';
import type { CommandContext } from '../commands/types.js';
import { CommandError } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import { numberOption } from '../storage/writer.js';
import type { Stage } from './pipeline.js';
import { collectionStats } from './stats.js';

/** What the aggregate addresses: a collection name (absent for {aggregate: 1}) and the collection. */
export interface StageTarget {
  readonly name?: string;
  readonly collection?: Collection;
}

export const SOURCE_STAGES = new Set(['$collStats', '$indexStats', '$currentOp', '$listLocalSessions']);

export function sourceDocuments(stage: Stage, ctx: CommandContext, target: StageTarget): BsonDoc[] {
  const spec = stageSpec(stage);
  switch (stage.name) {
    case '$collStats':
      return [collStats(spec, ctx, target)];
    case '$indexStats':
      return indexStats(spec, ctx, target);
    case '$currentOp':
      return currentOp(spec, ctx);
    case '$listLocalSessions':
      return listLocalSessions(spec, ctx);
  }
  throw new CommandError('InternalError', `${stage.name} is not a source stage`);
}

function stageSpec(stage: Stage): BsonDoc {
  if (!(stage.spec instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `${stage.name} must take a nested object but found: ${stage.name}: ${String(stage.spec)}`,
    );
  return stage.spec;
}

function rejectUnknown(spec: BsonDoc, stage: string, known: readonly string[]): void {
  for (const name of spec.keys())
    if (!known.includes(name)) throw new CommandError(40415, `BSON field '${stage}.${name}' is an unknown field.`);
}

function optionsOf(spec: BsonDoc, stage: string, field: string): BsonDoc {
  const value = spec.get(field);
  if (!(value instanceof Map))
    throw new CommandError('TypeMismatch', `BSON field '${stage}.${field}' is the wrong type, expected type 'object'`);
  return value;
}

function collStats(spec: BsonDoc, ctx: CommandContext, target: StageTarget): BsonDoc {
  rejectUnknown(spec, '$collStats', ['latencyStats', 'storageStats', 'count', 'queryExecStats']);
  const ns = `${ctx.db}.${target.name}`;
  const out: BsonDoc = new Map<string, BsonValue>([
    ['ns', ns],
    ['host', ctx.sandbox.me],
    ['localTime', new Date()],
  ]);
  if (spec.has('latencyStats')) {
    const histograms = optionsOf(spec, '$collStats', 'latencyStats').get('histograms') === true;
    const operation = (): BsonDoc =>
      new Map<string, BsonValue>([
        ['latency', Long.fromNumber(0)],
        ['ops', Long.fromNumber(0)],
        ...(histograms ? [['histogram', []] as [string, BsonValue]] : []),
      ]);
    out.set(
      'latencyStats',
      new Map([
        ['reads', operation()],
        ['writes', operation()],
        ['commands', operation()],
        ['transactions', operation()],
      ]),
    );
  }
  if (spec.has('storageStats')) {
    const options = optionsOf(spec, '$collStats', 'storageStats');
    const scale = numberOption(options.get('scale')) ?? 1;
    if (!Number.isInteger(scale) || scale < 1)
      throw new CommandError(51024, `BSON field 'scale' value must be >= 1, actual value '${scale}'`);
    const stats = collectionStats(existingCollection(target, ns, 'storageStats'), scale);
    // The namespace is reported once, at the top of the $collStats document.
    stats.delete('ns');
    out.set('storageStats', stats);
  }
  if (spec.has('count')) {
    optionsOf(spec, '$collStats', 'count');
    const count = existingCollection(target, ns, 'count').count;
    out.set('count', count <= 0x7fffffff ? new Int32(count) : Long.fromNumber(count));
  }
  if (spec.has('queryExecStats')) {
    optionsOf(spec, '$collStats', 'queryExecStats');
    const scans = new Map([
      ['total', Long.fromNumber(0)],
      ['nonTailable', Long.fromNumber(0)],
    ]);
    out.set('queryExecStats', new Map([['collectionScans', scans]]));
  }
  return out;
}

function existingCollection(target: StageTarget, ns: string, what: string): Collection {
  const { collection } = target;
  if (!collection)
    throw new CommandError(
      'NamespaceNotFound',
      `Unable to retrieve ${what} in $collStats stage :: caused by :: Collection [${ns}] not found.`,
    );
  if (collection.isView)
    throw new CommandError('CommandNotSupportedOnView', `Namespace ${ns} is a view, not a collection`);
  return collection;
}

function indexStats(spec: BsonDoc, ctx: CommandContext, target: StageTarget): BsonDoc[] {
  if (spec.size > 0) throw new CommandError(28803, 'The $indexStats stage specification must be an empty object');
  const { collection } = target;
  if (collection?.isView)
    throw new CommandError('CommandNotSupportedOnView', `Namespace ${collection.ns} is a view, not a collection`);
  // The sandbox does not count index use: every index reports no accesses since the server started.
  return (collection?.indexes.list ?? []).map(
    (index) =>
      new Map<string, BsonValue>([
        ['name', index.name],
        ['key', index.spec.get('key') ?? new Map()],
        ['host', ctx.sandbox.me],
        [
          'accesses',
          new Map<string, BsonValue>([
            ['ops', Long.fromNumber(0)],
            ['since', ctx.sandbox.startedAt],
          ]),
        ],
        ['spec', index.spec],
      ]),
  );
}

/**
 * The sandbox runs one command at a time per connection and knows only the command in hand, so
 * $currentOp shows this aggregate itself and, with idleCursors, the open cursors.
 */
function currentOp(spec: BsonDoc, ctx: CommandContext): BsonDoc[] {
  rejectUnknown(spec, '$currentOp', [
    'allUsers',
    'idleConnections',
    'idleCursors',
    'idleSessions',
    'localOps',
    'backtrace',
    'truncateOps',
    'targetAllNodes',
  ]);
  if (ctx.db !== 'admin')
    throw new CommandError(
      'InvalidNamespace',
      "$currentOp must be run against the 'admin' database with {aggregate: 1}",
    );
  const now = new Date();
  const self = new Map<string, BsonValue>([
    ['type', 'op'],
    ['host', ctx.sandbox.me],
    ['desc', `conn${ctx.connection.id}`],
    ['connectionId', new Int32(ctx.connection.id)],
    ['client', ctx.connection.remote],
    ...(ctx.connection.appName ? [['appName', ctx.connection.appName] as [string, BsonValue]] : []),
    ['active', true],
    ['currentOpTime', now.toISOString()],
    ['threaded', true],
    ['opid', new Int32(ctx.connection.id)],
    ...(ctx.body.get('lsid') instanceof Map
      ? [['lsid', ctx.body.get('lsid') as BsonValue] as [string, BsonValue]]
      : []),
    ['secs_running', Long.fromNumber(0)],
    ['microsecs_running', Long.fromNumber(0)],
    ['op', 'command'],
    ['ns', `${ctx.db}.$cmd.aggregate`],
    ['redacted', false],
    ['command', ctx.body],
    ['numYields', new Int32(0)],
    ['locks', new Map()],
    ['waitingForLock', false],
    ['lockStats', new Map()],
    ['waitingForFlowControl', false],
  ]);
  const out: BsonDoc[] = [self];
  if (spec.get('idleCursors') === true) {
    for (const cursor of ctx.sandbox.cursors.list()) {
      if (cursor.busy) continue;
      out.push(
        new Map<string, BsonValue>([
          ['type', 'idleCursor'],
          ['host', ctx.sandbox.me],
          ['ns', cursor.ns],
          [
            'cursor',
            new Map<string, BsonValue>([
              ['cursorId', cursor.id],
              ['lastAccessDate', new Date(cursor.lastUsed)],
              ['noCursorTimeout', false],
              ['tailable', cursor.source.tailable === true],
              ['awaitData', cursor.source.tailable === true],
            ]),
          ],
        ]),
      );
    }
  }
  return out;
}

/** The sessions this server has seen, as {_id: {id, uid}, lastUse}. */
function listLocalSessions(spec: BsonDoc, ctx: CommandContext): BsonDoc[] {
  rejectUnknown(spec, '$listLocalSessions', ['allUsers', 'users']);
  return ctx.sandbox.sessions.all().map(
    (session) =>
      new Map<string, BsonValue>([
        [
          '_id',
          new Map<string, BsonValue>([
            ['id', new Binary(session.id.id, Binary.SUBTYPE_UUID)],
            ['uid', new Binary(session.id.uid, 0)],
          ]),
        ],
        ['lastUse', new Date(session.lastUse)],
      ]),
  );
}
