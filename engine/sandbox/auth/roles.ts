// MongoDB 8.0's built-in roles: what each grants, on which resources, and which roles it inherits.
// The action lists follow mongod's definitions so that connectionStatus and rolesInfo report what a
// real server would, and enforcement (privileges.ts) decides with the same data.

/** Where a built-in privilege applies, before the role's database is filled in. */
export type PatternSpec =
  | { readonly match: 'any' | 'anyNormal' | 'cluster' | 'anySystemBuckets' }
  | { readonly match: 'database'; readonly db?: string }
  | { readonly match: 'collectionName'; readonly collection: string }
  | { readonly match: 'namespace'; readonly db?: string; readonly collection: string };

export type PrivilegeSpec = PatternSpec & { readonly actions: readonly string[] };

export interface RoleDefinition {
  /** Exists only in the admin database. */
  readonly adminOnly: boolean;
  readonly roles?: readonly { readonly role: string; readonly db?: string }[];
  readonly privileges: readonly PrivilegeSpec[];
}

const readActions = [
  'changeStream',
  'collStats',
  'dbHash',
  'dbStats',
  'find',
  'killCursors',
  'listCollections',
  'listIndexes',
  'listSearchIndexes',
  'planCacheRead',
];

const readWriteActions = [
  ...readActions,
  'cleanupStructuredEncryptionData',
  'compactStructuredEncryptionData',
  'convertToCapped',
  'createCollection',
  'createIndex',
  'createSearchIndexes',
  'dropCollection',
  'dropIndex',
  'dropSearchIndex',
  'insert',
  'remove',
  'renameCollectionSameDB',
  'update',
  'updateSearchIndex',
];

const userAdminActions = [
  'changeCustomData',
  'changePassword',
  'createUser',
  'createRole',
  'dropUser',
  'dropRole',
  'grantRole',
  'revokeRole',
  'setAuthenticationRestriction',
  'viewUser',
  'viewRole',
];

const dbAdminActions = [
  'analyze',
  'bypassDocumentValidation',
  'collMod',
  'collStats',
  'compact',
  'convertToCapped',
  'createCollection',
  'dbStats',
  'dropCollection',
  'dropDatabase',
  'dropIndex',
  'dropSearchIndex',
  'createIndex',
  'createSearchIndexes',
  'enableProfiler',
  'listCollections',
  'listIndexes',
  'listSearchIndexes',
  'updateSearchIndex',
  'planCacheIndexFilter',
  'planCacheRead',
  'planCacheWrite',
  'reIndex',
  'renameCollectionSameDB',
  'storageDetails',
  'validate',
];

const profileActions = [...readActions, 'convertToCapped', 'createCollection', 'dropCollection'];

const clusterMonitorDatabaseActions = ['collStats', 'dbStats', 'getDatabaseVersion', 'getShardVersion', 'indexStats'];

const clusterManagerDatabaseActions = [
  'analyzeShardKey',
  'configureQueryAnalyzer',
  'clearJumboFlag',
  'splitChunk',
  'moveChunk',
  'moveCollection',
  'enableSharding',
  'splitVector',
  'refineCollectionShardKey',
  'reshardCollection',
];

const restoreWriteActions = [
  'bypassDocumentValidation',
  'collMod',
  'convertToCapped',
  'createCollection',
  'createIndex',
  'createSearchIndexes',
  'dropCollection',
  'insert',
  'updateSearchIndex',
];

const readRoleAndIndexActions = [...readActions, 'createIndex', 'createSearchIndexes', 'dropIndex', 'dropSearchIndex'];

const localReplsetCollections = ['replset.election', 'replset.minvalid'];

export const builtinRoles: Record<string, RoleDefinition> = {
  read: {
    adminOnly: false,
    privileges: [
      { match: 'database', actions: readActions },
      { match: 'namespace', collection: 'system.js', actions: readActions },
    ],
  },
  readWrite: {
    adminOnly: false,
    privileges: [
      { match: 'database', actions: readWriteActions },
      { match: 'namespace', collection: 'system.js', actions: readWriteActions },
    ],
  },
  userAdmin: { adminOnly: false, privileges: [{ match: 'database', actions: userAdminActions }] },
  dbAdmin: {
    adminOnly: false,
    privileges: [
      { match: 'database', actions: [...dbAdminActions, 'configureQueryAnalyzer'] },
      { match: 'namespace', collection: 'system.profile', actions: profileActions },
    ],
  },
  dbOwner: {
    adminOnly: false,
    roles: [{ role: 'readWrite' }, { role: 'dbAdmin' }, { role: 'userAdmin' }],
    privileges: [],
  },
  enableSharding: {
    adminOnly: false,
    privileges: [
      {
        match: 'anyNormal',
        actions: [
          'analyzeShardKey',
          'enableSharding',
          'moveCollection',
          'refineCollectionShardKey',
          'reshardCollection',
        ],
      },
    ],
  },
  readAnyDatabase: {
    adminOnly: true,
    privileges: [
      { match: 'anyNormal', actions: readActions },
      { match: 'cluster', actions: ['listDatabases'] },
      { match: 'collectionName', collection: 'system.js', actions: readActions },
      { match: 'anySystemBuckets', actions: readActions },
    ],
  },
  readWriteAnyDatabase: {
    adminOnly: true,
    roles: [{ role: 'readAnyDatabase' }],
    privileges: [
      { match: 'anyNormal', actions: readWriteActions },
      { match: 'collectionName', collection: 'system.js', actions: readWriteActions },
      { match: 'anySystemBuckets', actions: readWriteActions },
    ],
  },
  userAdminAnyDatabase: {
    adminOnly: true,
    privileges: [
      { match: 'anyNormal', actions: [...userAdminActions, 'listCachedAndActiveUsers'] },
      { match: 'database', db: 'local', actions: userAdminActions },
      { match: 'database', db: 'config', actions: userAdminActions },
      { match: 'cluster', actions: ['listDatabases', 'authSchemaUpgrade', 'invalidateUserCache', 'viewUser'] },
      { match: 'namespace', db: 'admin', collection: 'system.users', actions: readRoleAndIndexActions },
      { match: 'namespace', db: 'admin', collection: 'system.roles', actions: readRoleAndIndexActions },
      { match: 'collectionName', collection: 'system.users', actions: readActions },
      { match: 'namespace', db: 'admin', collection: 'system.version', actions: readActions },
      { match: 'namespace', db: 'admin', collection: 'system.backup_users', actions: readActions },
    ],
  },
  dbAdminAnyDatabase: {
    adminOnly: true,
    privileges: [
      { match: 'cluster', actions: ['listDatabases', 'applyOps'] },
      { match: 'anyNormal', actions: [...dbAdminActions, 'configureQueryAnalyzer'] },
      { match: 'collectionName', collection: 'system.profile', actions: profileActions },
      { match: 'anySystemBuckets', actions: dbAdminActions },
    ],
  },
  clusterMonitor: {
    adminOnly: true,
    roles: [
      { role: 'read', db: 'config' },
      { role: 'read', db: 'local' },
    ],
    privileges: [
      {
        match: 'cluster',
        actions: [
          'connPoolStats',
          'getCmdLineOpts',
          'getDefaultRWConcern',
          'getLog',
          'getParameter',
          'getShardMap',
          'hostInfo',
          'listDatabases',
          'listSampledQueries',
          'listSessions',
          'listShards',
          'netstat',
          'operationMetrics',
          'replSetGetConfig',
          'replSetGetStatus',
          'serverStatus',
          'top',
          'useUUID',
          'inprog',
          'shardingState',
          'allCollectionStats',
          'shardedDataDistribution',
        ],
      },
      { match: 'anyNormal', actions: clusterMonitorDatabaseActions },
      { match: 'database', db: 'config', actions: clusterMonitorDatabaseActions },
      { match: 'namespace', db: 'config', collection: 'system.sessions', actions: clusterMonitorDatabaseActions },
      { match: 'database', db: 'local', actions: clusterMonitorDatabaseActions },
      { match: 'namespace', db: 'local', collection: 'system.replset', actions: ['find'] },
      ...localReplsetCollections.map((collection) => ({
        match: 'namespace' as const,
        db: 'local',
        collection,
        actions: ['find'],
      })),
      { match: 'collectionName', collection: 'system.profile', actions: ['find'] },
    ],
  },
  hostManager: {
    adminOnly: true,
    privileges: [
      {
        match: 'cluster',
        actions: [
          'applicationMessage',
          'auditConfigure',
          'connPoolSync',
          'dropConnections',
          'logRotate',
          'oidReset',
          'setParameter',
          'shutdown',
          'touch',
          'unlock',
          'flushRouterConfig',
          'fsync',
          'invalidateUserCache',
          'killAnyCursor',
          'killAnySession',
          'killop',
          'replSetResizeOplog',
          'resync',
          'trafficRecord',
          'rotateCertificates',
          'oidcListKeys',
          'oidcRefreshKeys',
        ],
      },
      { match: 'anyNormal', actions: ['killCursors'] },
    ],
  },
  clusterManager: {
    adminOnly: true,
    roles: [{ role: 'read', db: 'config' }],
    privileges: [
      {
        match: 'cluster',
        actions: [
          'appendOplogNote',
          'applicationMessage',
          'replSetConfigure',
          'replSetGetConfig',
          'replSetGetStatus',
          'replSetStateChange',
          'resync',
          'addShard',
          'removeShard',
          'listSessions',
          'listShards',
          'flushRouterConfig',
          'cleanupOrphaned',
          'getDefaultRWConcern',
          'runTenantMigration',
          'setDefaultRWConcern',
          'setFeatureCompatibilityVersion',
          'setClusterParameter',
          'getClusterParameter',
          'setChangeStreamState',
          'getChangeStreamState',
          'querySettings',
          'queryStatsRead',
          'queryStatsReadTransformed',
          'checkMetadataConsistency',
          'transitionFromDedicatedConfigServer',
          'transitionToDedicatedConfigServer',
        ],
      },
      { match: 'anyNormal', actions: clusterManagerDatabaseActions },
      { match: 'anySystemBuckets', actions: clusterManagerDatabaseActions },
      { match: 'database', db: 'config', actions: clusterManagerDatabaseActions },
      { match: 'database', db: 'local', actions: clusterManagerDatabaseActions },
      { match: 'namespace', db: 'local', collection: 'system.replset', actions: readActions },
      { match: 'any', actions: ['dbCheck'] },
      { match: 'namespace', db: 'local', collection: 'system.healthlog', actions: readActions },
      { match: 'database', db: 'config', actions: ['insert', 'update', 'remove'] },
      { match: 'database', db: 'local', actions: ['insert', 'update', 'remove'] },
      ...localReplsetCollections.map((collection) => ({
        match: 'namespace' as const,
        db: 'local',
        collection,
        actions: ['insert', 'update', 'remove'],
      })),
    ],
  },
  clusterAdmin: {
    adminOnly: true,
    roles: [{ role: 'clusterMonitor' }, { role: 'hostManager' }, { role: 'clusterManager' }],
    privileges: [
      { match: 'anyNormal', actions: ['dropDatabase'] },
      { match: 'any', actions: ['importCollection', 'exportCollection'] },
    ],
  },
  __queryableBackup: {
    adminOnly: true,
    privileges: [
      { match: 'any', actions: ['collStats', 'listCollections', 'listIndexes', 'listSearchIndexes'] },
      { match: 'anyNormal', actions: ['find'] },
      { match: 'anySystemBuckets', actions: ['find'] },
      { match: 'cluster', actions: ['getParameter', 'listDatabases', 'useUUID'] },
      { match: 'database', db: 'config', actions: ['find'] },
      { match: 'database', db: 'local', actions: ['find'] },
      ...localReplsetCollections.map((collection) => ({
        match: 'namespace' as const,
        db: 'local',
        collection,
        actions: ['find'],
      })),
      ...['system.js', 'system.users', 'system.profile'].map((collection) => ({
        match: 'collectionName' as const,
        collection,
        actions: ['find'],
      })),
      ...['system.backup_users', 'system.roles', 'system.version'].map((collection) => ({
        match: 'namespace' as const,
        db: 'admin',
        collection,
        actions: ['find'],
      })),
      { match: 'namespace', db: 'config', collection: 'settings', actions: ['find'] },
    ],
  },
  backup: {
    adminOnly: true,
    roles: [{ role: '__queryableBackup' }],
    privileges: [
      { match: 'cluster', actions: ['appendOplogNote', 'serverStatus', 'setUserWriteBlockMode'] },
      { match: 'namespace', db: 'config', collection: 'settings', actions: ['insert', 'update'] },
    ],
  },
  restore: {
    adminOnly: true,
    privileges: [
      {
        match: 'cluster',
        actions: [
          'getParameter',
          'forceUUID',
          'useUUID',
          'bypassWriteBlockingMode',
          'setUserWriteBlockMode',
          'applyOps',
        ],
      },
      { match: 'database', db: 'local', actions: restoreWriteActions },
      { match: 'database', db: 'config', actions: restoreWriteActions },
      { match: 'anySystemBuckets', actions: restoreWriteActions },
      ...['system.replset', ...localReplsetCollections].map((collection) => ({
        match: 'namespace' as const,
        db: 'local',
        collection,
        actions: restoreWriteActions,
      })),
      { match: 'any', actions: ['listCollections'] },
      { match: 'anyNormal', actions: [...restoreWriteActions, ...userAdminActions] },
      { match: 'collectionName', collection: 'system.js', actions: restoreWriteActions },
      { match: 'namespace', db: 'admin', collection: 'tempusers', actions: ['find'] },
      { match: 'namespace', db: 'admin', collection: 'temproles', actions: ['find'] },
      { match: 'namespace', db: 'admin', collection: 'system.backup_users', actions: restoreWriteActions },
      { match: 'namespace', db: 'admin', collection: 'system.version', actions: [...restoreWriteActions, 'find'] },
      {
        match: 'collectionName',
        collection: 'system.users',
        actions: [...restoreWriteActions, 'find', 'update', 'remove'],
      },
      { match: 'namespace', db: 'admin', collection: 'system.roles', actions: ['createIndex'] },
    ],
  },
  directShardOperations: {
    adminOnly: true,
    privileges: [{ match: 'cluster', actions: ['issueDirectShardOperations'] }],
  },
  root: {
    adminOnly: true,
    roles: [
      { role: 'clusterAdmin' },
      { role: 'userAdminAnyDatabase' },
      { role: 'dbAdminAnyDatabase' },
      { role: 'readWriteAnyDatabase' },
      { role: 'backup' },
      { role: 'restore' },
      { role: 'directShardOperations' },
    ],
    privileges: [
      { match: 'any', actions: ['validate'] },
      { match: 'cluster', actions: ['useTenant'] },
      { match: 'namespace', db: 'config', collection: 'system.preimages', actions: ['find', 'remove'] },
      {
        match: 'namespace',
        db: 'config',
        collection: 'system.change_collection',
        actions: ['find', 'insert', 'remove', 'update'],
      },
    ],
  },
  // mongod grants the internal __system role every action on every resource.
  __system: { adminOnly: true, privileges: [{ match: 'any', actions: ['anyAction'] }] },
};

/** Whether `role@db` names a built-in role (admin-only roles exist only in admin; never in $external). */
export function isBuiltinRole(role: string, db: string): boolean {
  const definition = Object.hasOwn(builtinRoles, role) ? builtinRoles[role] : undefined;
  if (!definition || db === '' || db === '$external') return false;
  return !definition.adminOnly || db === 'admin';
}

/** The built-in roles that exist in a database, as rolesInfo with showBuiltinRoles lists them. */
export function builtinRoleNames(db: string): string[] {
  return Object.keys(builtinRoles).filter((role) => isBuiltinRole(role, db));
}
