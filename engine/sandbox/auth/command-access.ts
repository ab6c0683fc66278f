// Which privileges each command needs, after mongod's checks: the action on the namespace, database or
// cluster the command touches (insert on db.coll, listCollections on db, serverStatus on the cluster),
// plus what its options add (upserts need insert, $out needs insert and remove on its target).
// Commands not listed here need a write or a read privilege on what they address, by their `write` flag.
import { decodeDocument } from '../bson/decode.js';
import type { BsonDoc, BsonValue } from '../bson/values.js';
import type { CommandContext, CommandSpec } from '../commands/types.js';
import { numberOption } from '../storage/writer.js';
import type { Resource } from './privileges.js';
import { parseRoleName, sameRole } from './role-names.js';
import { parseUserName } from './user-args.js';
import type { StoredUser } from './users.js';

export interface AccessRequest {
  readonly ctx: CommandContext;
  readonly user: StoredUser;
  can(resource: Resource, ...actions: string[]): boolean;
}

type Rule = (request: AccessRequest) => boolean;

const CLUSTER: Resource = { kind: 'cluster' };

function database(db: string): Resource {
  return { kind: 'database', db };
}

function namespace(db: string, collection: string): Resource {
  return { kind: 'namespace', db, collection };
}

/** The collection the command names in its first field, or its database when it names none. */
function target(ctx: CommandContext, field = ctx.name): Resource {
  const value = ctx.body.get(field);
  return typeof value === 'string' && value !== '' ? namespace(ctx.db, value) : database(ctx.db);
}

function fullNamespace(value: BsonValue | undefined): Resource | undefined {
  if (typeof value !== 'string') return undefined;
  const dot = value.indexOf('.');
  return dot > 0 ? namespace(value.slice(0, dot), value.slice(dot + 1)) : database(value);
}

function documents(ctx: CommandContext, field: string): BsonDoc[] {
  const sequence = ctx.sequences.get(field);
  if (sequence) return sequence.map((bytes) => decodeDocument(bytes));
  const value = ctx.body.get(field);
  return Array.isArray(value) ? value.filter((item): item is BsonDoc => item instanceof Map) : [];
}

function bypassesValidation(body: BsonDoc): boolean {
  return body.get('bypassDocumentValidation') === true;
}

const anyUser: Rule = () => true;
const onTarget =
  (...actions: string[]): Rule =>
  (r) =>
    r.can(target(r.ctx), ...actions);
const onDatabase =
  (...actions: string[]): Rule =>
  (r) =>
    r.can(database(r.ctx.db), ...actions);
const onCluster =
  (...actions: string[]): Rule =>
  (r) =>
    r.can(CLUSTER, ...actions);

function writeRule(action: string, upsertField?: string, documentsField?: string): Rule {
  return (r) => {
    const resource = target(r.ctx);
    const actions = [action];
    if (upsertField && documentsField && documents(r.ctx, documentsField).some((op) => op.get(upsertField) === true))
      actions.push('insert');
    if (bypassesValidation(r.ctx.body)) actions.push('bypassDocumentValidation');
    return r.can(resource, ...actions);
  };
}

const findAndModify: Rule = (r) => {
  const { body } = r.ctx;
  const actions = ['find', body.get('remove') === true ? 'remove' : 'update'];
  if (body.get('upsert') === true) actions.push('insert');
  if (bypassesValidation(body)) actions.push('bypassDocumentValidation');
  return r.can(target(r.ctx), ...actions);
};

const create: Rule = (r) => r.can(target(r.ctx), 'createCollection') || r.can(target(r.ctx), 'insert');

const renameCollection: Rule = (r) => {
  const from = fullNamespace(r.ctx.body.get('renameCollection'));
  const to = fullNamespace(r.ctx.body.get('to'));
  if (from?.kind !== 'namespace' || to?.kind !== 'namespace') return false;
  const dropsTarget = r.ctx.body.get('dropTarget') === true;
  if (dropsTarget && !r.can(to, 'dropCollection')) return false;
  if (from.db === to.db && r.can(database(from.db), 'renameCollectionSameDB')) return true;
  return r.can(from, 'find', 'dropCollection') && r.can(to, 'insert', 'createIndex');
};

const cloneCollectionAsCapped: Rule = (r) =>
  r.can(target(r.ctx), 'find') && r.can(target(r.ctx, 'toCollection'), 'insert', 'createCollection');

/** What each aggregation stage needs beyond reading the aggregated collection. */
function pipelineAllowed(r: AccessRequest, source: Resource, pipeline: readonly BsonValue[], bypass: boolean): boolean {
  const stages = pipeline.filter((stage): stage is BsonDoc => stage instanceof Map);
  const db = r.ctx.db;
  let readsSource = true;
  const checks: boolean[] = [];
  for (const stage of stages) {
    const [name, spec] = stage.entries().next().value ?? ['', null];
    const options = spec instanceof Map ? spec : new Map<string, BsonValue>();
    switch (name) {
      case '$changeStream': {
        readsSource = false;
        const resource = options.get('allChangesForCluster') === true ? ({ kind: 'anyNormal' } as const) : source;
        checks.push(r.can(resource, 'changeStream', 'find'));
        break;
      }
      case '$collStats':
      case '$indexStats':
      case '$planCacheStats':
        readsSource = false;
        checks.push(
          r.can(source, name === '$collStats' ? 'collStats' : name === '$indexStats' ? 'indexStats' : 'planCacheRead'),
        );
        break;
      case '$currentOp':
        readsSource = false;
        checks.push(options.get('allUsers') === false || r.can(CLUSTER, 'inprog'));
        break;
      case '$listLocalSessions':
      case '$listSessions':
        readsSource = false;
        checks.push(options.get('allUsers') !== true || r.can(CLUSTER, 'listSessions'));
        break;
      case '$documents':
        readsSource = false;
        break;
      case '$out':
      case '$merge': {
        const resource = stageNamespace(db, name === '$out' ? spec : options.get('into'));
        const actions = name === '$out' ? ['insert', 'remove'] : ['insert', 'update'];
        if (bypass) actions.push('bypassDocumentValidation');
        checks.push(resource !== undefined && r.can(resource, ...actions));
        break;
      }
      case '$lookup':
      case '$graphLookup':
      case '$unionWith': {
        const from =
          name !== '$unionWith' ? options.get('from') : typeof spec === 'string' ? spec : options.get('coll');
        const resource = stageNamespace(db, from);
        if (resource) checks.push(r.can(resource, 'find'));
        const subPipeline = options.get('pipeline');
        if (Array.isArray(subPipeline)) checks.push(pipelineAllowed(r, resource ?? database(db), subPipeline, bypass));
        break;
      }
      case '$facet':
        for (const facet of options.values())
          if (Array.isArray(facet)) checks.push(pipelineAllowed(r, source, facet, bypass));
        break;
    }
  }
  if (readsSource) checks.push(r.can(source, 'find'));
  return checks.every(Boolean);
}

/** The namespace a stage writes to or reads from: a collection name, or `{ db, coll }`. */
function stageNamespace(db: string, value: BsonValue | undefined): Resource | undefined {
  if (typeof value === 'string') return namespace(db, value);
  if (value instanceof Map) {
    const coll = value.get('coll');
    const otherDb = value.get('db');
    if (typeof coll === 'string') return namespace(typeof otherDb === 'string' ? otherDb : db, coll);
  }
  return undefined;
}

const aggregate: Rule = (r) => {
  const pipeline = r.ctx.body.get('pipeline');
  return pipelineAllowed(r, target(r.ctx), Array.isArray(pipeline) ? pipeline : [], bypassesValidation(r.ctx.body));
};

const explain: Rule = (r) => {
  const inner = r.ctx.body.get('explain');
  if (!(inner instanceof Map)) return false;
  const name = inner.keys().next().value ?? '';
  const rule = ruleFor(name);
  return rule !== undefined && rule({ ...r, ctx: { ...r.ctx, name, body: inner } });
};

const bulkWrite: Rule = (r) => {
  const namespaces = documents(r.ctx, 'nsInfo').map((info) => fullNamespace(info.get('ns')));
  const bypass = bypassesValidation(r.ctx.body);
  return documents(r.ctx, 'ops').every((op) => {
    const [kind, index] = op.entries().next().value ?? ['', null];
    const position = numberOption(index);
    const resource = position === undefined ? undefined : namespaces[position];
    if (!resource) return false;
    const actions = kind === 'insert' ? ['insert'] : kind === 'delete' ? ['remove'] : ['update'];
    if (kind === 'update' && op.get('upsert') === true) actions.push('insert');
    if (bypass && kind !== 'delete') actions.push('bypassDocumentValidation');
    return r.can(resource, ...actions);
  });
};

function rolesIn(value: BsonValue | undefined, db: string): Resource[] {
  if (!Array.isArray(value)) return [];
  return value.map((role, index) => database(parseRoleName(role, db, `roles.${index}`).db));
}

/** Granting a role needs grantRole on the role's database (revoking: revokeRole). */
function onRoleDatabases(action: string): Rule {
  return (r) => rolesIn(r.ctx.body.get('roles'), r.ctx.db).every((resource) => r.can(resource, action));
}

const createUser: Rule = (r) => onDatabase('createUser')(r) && onRoleDatabases('grantRole')(r);

const updateUser: Rule = (r) => {
  const { body } = r.ctx;
  const actions = [
    ...(body.has('pwd') ? ['changePassword'] : []),
    ...(body.has('customData') ? ['changeCustomData'] : []),
  ];
  return r.can(database(r.ctx.db), ...actions) && (!body.has('roles') || onRoleDatabases('grantRole')(r));
};

/** usersInfo about oneself needs nothing; about others, viewUser on their database. */
const usersInfo: Rule = (r) => {
  const arg = r.ctx.body.get('usersInfo');
  if (arg instanceof Map && arg.has('forAllDBs')) return r.can(CLUSTER, 'viewUser');
  if (typeof arg !== 'string' && !(arg instanceof Map) && !Array.isArray(arg))
    return r.can(database(r.ctx.db), 'viewUser');
  const names = Array.isArray(arg) ? arg : [arg];
  return names.every((name, index) => {
    const wanted = parseUserName(name, r.ctx.db, `usersInfo.${index}`);
    const isSelf = wanted.user === r.user.user && wanted.db === r.user.db;
    return isSelf || r.can(database(wanted.db), 'viewUser');
  });
};

/** rolesInfo about one's own roles needs nothing; otherwise viewRole on the role's database. */
const rolesInfo: Rule = (r) => {
  const arg = r.ctx.body.get('rolesInfo');
  if (typeof arg !== 'string' && !(arg instanceof Map) && !Array.isArray(arg))
    return r.can(database(r.ctx.db), 'viewRole');
  const names = Array.isArray(arg) ? arg : [arg];
  return names.every((name, index) => {
    const role = parseRoleName(name, r.ctx.db, `rolesInfo.${index}`);
    const held = r.user.roles.some((own) => sameRole(own, role));
    return held || r.can(database(role.db), 'viewRole');
  });
};

const rules: Record<string, Rule> = {
  // Anyone logged in.
  ...Object.fromEntries(
    [
      'abortTransaction',
      'commitTransaction',
      'configureFailPoint',
      'connectionStatus',
      'endSessions',
      'getLastError',
      'getMore',
      'killCursors',
      'killSessions',
      'listCommands',
      'listDatabases',
      'logout',
      'ping',
      'refreshSessions',
      'startSession',
      'waitForFailPoint',
      'whatsmyuri',
    ].map((name) => [name, anyUser]),
  ),
  // Reads and writes of one collection.
  find: onTarget('find'),
  count: onTarget('find'),
  distinct: onTarget('find'),
  listIndexes: onTarget('listIndexes'),
  collStats: onTarget('collStats'),
  createIndexes: onTarget('createIndex'),
  dropIndexes: onTarget('dropIndex'),
  deleteIndexes: onTarget('dropIndex'),
  drop: onTarget('dropCollection'),
  collMod: onTarget('collMod'),
  validate: onTarget('validate'),
  compact: onTarget('compact'),
  convertToCapped: onTarget('convertToCapped'),
  reIndex: onTarget('reIndex'),
  listSearchIndexes: onTarget('listSearchIndexes'),
  createSearchIndexes: onTarget('createSearchIndexes'),
  dropSearchIndex: onTarget('dropSearchIndex'),
  updateSearchIndex: onTarget('updateSearchIndex'),
  dataSize: (r) => {
    const resource = fullNamespace(r.ctx.body.get('dataSize'));
    return resource !== undefined && r.can(resource, 'find');
  },
  insert: writeRule('insert'),
  update: writeRule('update', 'upsert', 'updates'),
  delete: writeRule('remove'),
  findAndModify,
  findandmodify: findAndModify,
  create,
  aggregate,
  explain,
  bulkWrite,
  renameCollection,
  cloneCollectionAsCapped,
  // Database-wide.
  listCollections: onDatabase('listCollections'),
  dbStats: onDatabase('dbStats'),
  dbHash: onDatabase('dbHash'),
  dropDatabase: onDatabase('dropDatabase'),
  profile: onDatabase('enableProfiler'),
  createUser,
  updateUser,
  dropUser: onDatabase('dropUser'),
  dropAllUsersFromDatabase: onDatabase('dropUser'),
  grantRolesToUser: onRoleDatabases('grantRole'),
  revokeRolesFromUser: onRoleDatabases('revokeRole'),
  usersInfo,
  rolesInfo,
  // The server as a whole.
  serverStatus: onCluster('serverStatus'),
  hostInfo: onCluster('hostInfo'),
  getCmdLineOpts: onCluster('getCmdLineOpts'),
  getLog: onCluster('getLog'),
  getParameter: onCluster('getParameter'),
  setParameter: onCluster('setParameter'),
  currentOp: onCluster('inprog'),
  killOp: onCluster('killop'),
  top: onCluster('top'),
  lockInfo: onCluster('serverStatus'),
  connPoolStats: onCluster('connPoolStats'),
  replSetGetStatus: onCluster('replSetGetStatus'),
  replSetGetConfig: onCluster('replSetGetConfig'),
  replSetStepDown: onCluster('replSetStateChange'),
  replSetFreeze: onCluster('replSetStateChange'),
  replSetReconfig: onCluster('replSetConfigure'),
  replSetInitiate: onCluster('replSetConfigure'),
  replSetResizeOplog: onCluster('replSetResizeOplog'),
  appendOplogNote: onCluster('appendOplogNote'),
  applyOps: onCluster('applyOps'),
  fsync: onCluster('fsync'),
  fsyncUnlock: onCluster('unlock'),
  shutdown: onCluster('shutdown'),
  logRotate: onCluster('logRotate'),
  dropConnections: onCluster('dropConnections'),
  setFeatureCompatibilityVersion: onCluster('setFeatureCompatibilityVersion'),
  getDefaultRWConcern: onCluster('getDefaultRWConcern'),
  setDefaultRWConcern: onCluster('setDefaultRWConcern'),
  getClusterParameter: onCluster('getClusterParameter'),
  setClusterParameter: onCluster('setClusterParameter'),
  setUserWriteBlockMode: onCluster('setUserWriteBlockMode'),
  killAllSessions: onCluster('killAnySession'),
  killAllSessionsByPattern: onCluster('killAnySession'),
  shardingState: onCluster('shardingState'),
  listShards: onCluster('listShards'),
};

function ruleFor(name: string): Rule | undefined {
  return Object.hasOwn(rules, name) ? rules[name] : undefined;
}

/** Whether the logged-in user may run the command. */
export function mayRun(request: AccessRequest, spec: CommandSpec): boolean {
  const rule = ruleFor(request.ctx.name);
  if (rule) return rule(request);
  const resource = target(request.ctx);
  return spec.write ? request.can(resource, 'insert', 'update', 'remove') : request.can(resource, 'find');
}
