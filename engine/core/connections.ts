// Connecting to the source and the target, and what the Connections screen shows about each: version,
// topology, members, privileges, oplog window, latency. The source is read at read concern majority
// from the primary, so the clone never copies a write that a failover could roll back; the target
// is written with w:majority and j:true, so a checkpoint never claims what the target could lose.
import { MongoClient, Timestamp, type Document, type MongoClientOptions } from 'mongodb';
import type { ConnectionReport, ConnectionSettings, PrivilegeReport, Side } from '../protocol.js';
import { classify, FerryError, redactUri } from './errors.js';

const APP_NAME = 'ferry';

export function clientOptions(side: Side, settings: ConnectionSettings): MongoClientOptions {
  const options: MongoClientOptions = {
    appName: APP_NAME,
    serverSelectionTimeoutMS: 15_000,
  };
  if (side === 'source') {
    options.readPreference = 'primary';
    options.readConcern = { level: 'majority' };
  } else {
    options.writeConcern = { w: 'majority', journal: true };
  }
  if (settings.tlsCAFile !== undefined) options.tlsCAFile = settings.tlsCAFile;
  if (settings.tlsCertificateKeyFile !== undefined) options.tlsCertificateKeyFile = settings.tlsCertificateKeyFile;
  return options;
}

/** Connects and checks the server answers; failures say which side and what to check. */
export async function connect(side: Side, settings: ConnectionSettings): Promise<MongoClient> {
  let client: MongoClient | undefined;
  try {
    client = new MongoClient(settings.uri, clientOptions(side, settings));
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return client;
  } catch (error) {
    await client?.close().catch(() => undefined);
    const info = classify(error);
    throw new FerryError(
      { ...info, message: `cannot connect to the ${side} (${redactUri(settings.uri)}): ${info.message}` },
      { cause: error },
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Cluster times

/** The source's current cluster time, from a ping reply's $clusterTime (operationTime as fallback). */
export async function clusterTime(client: MongoClient): Promise<Timestamp> {
  const reply = await client.db('admin').command({ ping: 1 });
  const time = timestampIn(reply.$clusterTime, 'clusterTime') ?? asTimestamp(reply.operationTime);
  if (time === undefined) {
    throw new FerryError({
      code: 'NO_CLUSTER_TIME',
      message: 'the source does not report a cluster time',
      remedy: 'Ferry needs a replica set or a sharded cluster as the source; a standalone server has no oplog.',
    });
  }
  return time;
}

/**
 * T0: the time the clone starts from. The majority commit point when the server reports it (a
 * replica set's hello), else the cluster time: a write after the majority point may still be
 * invisible to the clone's majority reads, and starting the change stream no later than that point
 * replays it instead of losing it. Replaying a little more is always safe; writes are idempotent.
 */
export async function startTime(client: MongoClient): Promise<Timestamp> {
  const now = await clusterTime(client);
  const hello = await client.db('admin').command({ hello: 1 });
  const majority = isRecord(hello.lastWrite) ? timestampIn(hello.lastWrite.majorityOpTime, 'ts') : undefined;
  return majority !== undefined && majority.lessThan(now) ? majority : now;
}

// ---------------------------------------------------------------------------------------------------
// Identity

/**
 * Who a cluster is, for the checkpoint: a resume must find the same source and target it started
 * with. replicaSetId (replSetGetConfig) and clusterId (config.version, sharded) survive host renames;
 * the set name and hosts are the fallback where those cannot be read.
 */
export interface ClusterIdentity {
  topology: ConnectionReport['topology'];
  setName?: string;
  hosts: string[];
  /** replicaSetId (replica set) or clusterId (sharded), as hex, when readable. */
  clusterId?: string;
}

export async function clusterIdentity(client: MongoClient): Promise<ClusterIdentity> {
  const hello = await client.db('admin').command({ hello: 1 });
  const topology = topologyOf(hello);
  const identity: ClusterIdentity = { topology, hosts: hostsOf(client, hello) };
  if (typeof hello.setName === 'string') identity.setName = hello.setName;
  const clusterId = await readClusterId(client, topology);
  if (clusterId !== undefined) identity.clusterId = clusterId;
  return identity;
}

async function readClusterId(client: MongoClient, topology: ConnectionReport['topology']): Promise<string | undefined> {
  try {
    if (topology === 'sharded') {
      const version = await client.db('config').collection('version').findOne({});
      return hexOf(version?.clusterId);
    }
    if (topology === 'replicaSet') {
      const reply = await client.db('admin').command({ replSetGetConfig: 1 });
      return hexOf(
        isRecord(reply.config) && isRecord(reply.config.settings) ? reply.config.settings.replicaSetId : undefined,
      );
    }
  } catch {
    // Not permitted or not supported: the set name and hosts have to do.
  }
  return undefined;
}

function hexOf(value: unknown): string | undefined {
  return isRecord(value) && typeof value.toHexString === 'function' ? String(value.toHexString()) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// The connection report

/** What the Connections screen shows after "Test". */
export async function connectionReport(
  side: Side,
  client: MongoClient,
  uri: string,
  selectedDatabases?: readonly string[],
): Promise<ConnectionReport> {
  const admin = client.db('admin');
  const pingMs = await pingLatency(client);
  const hello = await admin.command({ hello: 1 });
  const buildInfo = await admin.command({ buildInfo: 1 });
  const topology = topologyOf(hello);
  const report: ConnectionReport = {
    side,
    redactedUri: redactUri(uri),
    serverVersion: String(buildInfo.version ?? 'unknown'),
    topology,
    members: hostsOf(client, hello),
    privileges: await privilegeReport(side, client, selectedDatabases),
    pingMs,
    sandbox: buildInfo.ferrySandbox === true,
  };
  if (typeof hello.setName === 'string') report.setName = hello.setName;
  const window = topology === 'replicaSet' ? await oplogWindowSeconds(client) : undefined;
  if (window !== undefined) report.oplogWindowSeconds = window;
  return report;
}

export function topologyOf(hello: Document): ConnectionReport['topology'] {
  if (hello.msg === 'isdbgrid') return 'sharded';
  return typeof hello.setName === 'string' ? 'replicaSet' : 'standalone';
}

function hostsOf(client: MongoClient, hello: Document): string[] {
  const hosts = [hello.hosts, hello.passives, hello.arbiters].flatMap((list) =>
    Array.isArray(list) ? list.map(String) : [],
  );
  // A mongos does not list its peers: the routers named in the connection string stand in.
  if (hosts.length === 0) hosts.push(...client.options.hosts.map((host) => host.toString()));
  return [...new Set(hosts)].sort();
}

/** Median of three pings, in milliseconds. */
export async function pingLatency(client: MongoClient): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await client.db('admin').command({ ping: 1 });
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return Math.round(samples[1] * 10) / 10;
}

/** Seconds between the oldest and the newest oplog entry; undefined when the oplog cannot be read. */
export async function oplogWindowSeconds(client: MongoClient): Promise<number | undefined> {
  try {
    const oplog = client.db('local').collection('oplog.rs');
    const edge = (direction: 1 | -1) =>
      oplog.find({}, { sort: { $natural: direction }, limit: 1, projection: { ts: 1 } }).next();
    const [first, last] = [asTimestamp((await edge(1))?.ts), asTimestamp((await edge(-1))?.ts)];
    if (first === undefined || last === undefined) return undefined;
    return last.t - first.t;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Privileges

interface Privilege {
  resource: { db?: string; collection?: string; cluster?: boolean; anyResource?: boolean };
  actions: string[];
}

/** Actions the source user needs on every selected database (the clone and the catalog reads). */
const sourceDatabaseActions = ['find', 'listCollections', 'listIndexes'];
/** Actions the target user needs wherever Ferry creates collections (any database). */
const targetActions = [
  'find',
  'insert',
  'update',
  'remove',
  'createCollection',
  'createIndex',
  'dropCollection',
  'dropIndex',
  'collMod',
  'listCollections',
  'listIndexes',
];

/**
 * Whether the authenticated user can do what its side needs. The source needs read on the selected
 * databases and changeStream on every database (Ferry opens one cluster-wide stream); the target
 * needs writes and DDL on any database. A server without authentication allows everything.
 */
export async function privilegeReport(
  side: Side,
  client: MongoClient,
  selectedDatabases?: readonly string[],
): Promise<PrivilegeReport> {
  const status = await client.db('admin').command({ connectionStatus: 1, showPrivileges: true });
  const authInfo: Document = isRecord(status.authInfo) ? status.authInfo : {};
  const users = Array.isArray(authInfo.authenticatedUsers) ? authInfo.authenticatedUsers : [];
  const roles = (Array.isArray(authInfo.authenticatedUserRoles) ? authInfo.authenticatedUserRoles : [])
    .filter(isRecord)
    .map((role) => `${String(role.role)}@${String(role.db)}`);
  if (users.length === 0) {
    // Either authentication is off (every command works) or nobody logged in (listDatabases fails).
    const open = await client
      .db('admin')
      .admin()
      .listDatabases({ nameOnly: true })
      .then(() => true)
      .catch(() => false);
    return open
      ? { roles, sufficient: true, missing: [] }
      : { roles, sufficient: false, missing: ['authentication: no user is logged in'] };
  }
  const privileges = (Array.isArray(authInfo.authenticatedUserPrivileges) ? authInfo.authenticatedUserPrivileges : [])
    .filter(isRecord)
    .map((privilege) => privilege as unknown as Privilege);
  const missing = side === 'source' ? missingOnSource(privileges, selectedDatabases) : missingOnTarget(privileges);
  return { roles, sufficient: missing.length === 0, missing };
}

function missingOnSource(privileges: Privilege[], selectedDatabases?: readonly string[]): string[] {
  const missing: string[] = [];
  const databases = selectedDatabases ?? [];
  for (const action of sourceDatabaseActions) {
    if (databases.length === 0) {
      if (!allows(privileges, action, '')) missing.push(`${action} on every database`);
      continue;
    }
    const lacking = databases.filter((db) => !allows(privileges, action, db));
    if (lacking.length > 0) missing.push(`${action} on ${lacking.join(', ')}`);
  }
  if (!allows(privileges, 'changeStream', '')) missing.push('changeStream on every database (cluster-wide stream)');
  if (!allowsCluster(privileges, 'listDatabases')) missing.push('listDatabases on the cluster');
  return missing;
}

function missingOnTarget(privileges: Privilege[]): string[] {
  const missing = targetActions
    .filter((action) => !allows(privileges, action, ''))
    .map((action) => `${action} on every database`);
  if (!allowsCluster(privileges, 'listDatabases')) missing.push('listDatabases on the cluster');
  return missing;
}

/** Whether an action is granted on the ordinary collections of `db` ('' = of every database). */
function allows(privileges: Privilege[], action: string, db: string): boolean {
  return privileges.some(({ resource, actions }) => {
    if (!actions.includes(action)) return false;
    if (resource.anyResource === true) return true;
    if (resource.collection !== '') return false;
    return resource.db === '' || (db !== '' && resource.db === db);
  });
}

function allowsCluster(privileges: Privilege[], action: string): boolean {
  return privileges.some(
    ({ resource, actions }) => actions.includes(action) && (resource.cluster === true || resource.anyResource === true),
  );
}

// ---------------------------------------------------------------------------------------------------

function timestampIn(value: unknown, field: string): Timestamp | undefined {
  return isRecord(value) ? asTimestamp(value[field]) : undefined;
}

function asTimestamp(value: unknown): Timestamp | undefined {
  return value instanceof Timestamp ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
