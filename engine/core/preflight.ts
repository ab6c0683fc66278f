// Preflight: what must hold before a migration starts, each check answered with pass, warn or fail and
// a one-line remedy (ARCHITECTURE.md Engine §2). Shown on the Preflight screen, and run again by
// start(), which refuses while any check fails. A check that cannot run fails with the reason
// rather than passing quietly.
import type { MongoClient } from 'mongodb';
import type { PreflightCheck, PreflightReport, StartOptions } from '../protocol.js';
import { unsupportedTypesIn } from './bson/ordered.js';
import { rawBytes } from './catalog/raw-reads.js';
import { clusterTime, connectionReport, pingLatency } from './connections.js';
import { classify } from './errors.js';
import type { SourceCollection } from './parts.js';
import { sameCluster } from './checkpoint.js';
import type { ClusterIdentity } from './connections.js';

export interface PreflightInput {
  source: MongoClient;
  target: MongoClient;
  sourceUri: string;
  targetUri: string;
  sourceIdentity: ClusterIdentity;
  targetIdentity: ClusterIdentity;
  options: StartOptions;
  /** The selected collections (Catalog.listSource()). */
  collections: readonly SourceCollection[];
}

/**
 * A conservative copy rate for the oplog check. A real clone is usually faster; guessing low warns
 * early, which costs the operator a look at the oplog size, not a failed migration.
 */
const ASSUMED_COPY_BYTES_PER_SECOND = 20 * 1024 * 1024;
/** Documents read per collection by the unsupported-types check. */
const TYPE_SAMPLE_DOCUMENTS = 1000;
const SLOW_PING_MS = 50;
/** The first source version whose change streams report DDL (showExpandedEvents). */
const MIN_SOURCE_MAJOR = 6;

type Check = (input: PreflightInput) => Promise<PreflightCheck | PreflightCheck[]>;

const checks: [id: string, title: string, check: Check][] = [
  ['topology', 'Topology', topologyCheck],
  ['versions', 'Server versions', versionsCheck],
  ['privileges', 'Privileges', privilegesCheck],
  ['change-streams', 'Change streams', changeStreamCheck],
  ['oplog-window', 'Oplog window', oplogWindowCheck],
  ['target-namespaces', 'Target namespaces', targetNamespacesCheck],
  ['timeseries', 'Time series collections', timeseriesCheck],
  ['document-types', 'Document types', documentTypesCheck],
  ['latency', 'Latency', latencyCheck],
];

export async function preflight(input: PreflightInput): Promise<PreflightReport> {
  const results: PreflightCheck[] = [];
  for (const [id, title, check] of checks) {
    try {
      const outcome = await check(input);
      results.push(...(Array.isArray(outcome) ? outcome : [outcome]));
    } catch (error) {
      const info = classify(error);
      results.push(result(id, title, 'fail', `the check could not run: ${info.message}`, info.remedy));
    }
  }
  return { checks: results, canStart: results.every((check) => check.status !== 'fail') };
}

function result(
  id: string,
  title: string,
  status: PreflightCheck['status'],
  message: string,
  remedy?: string,
): PreflightCheck {
  const check: PreflightCheck = { id, title, status, message };
  if (remedy !== undefined) check.remedy = remedy;
  return check;
}

async function topologyCheck({
  sourceIdentity: source,
  targetIdentity: target,
}: PreflightInput): Promise<PreflightCheck> {
  const title = 'Topology';
  if (source.topology === 'standalone' || target.topology === 'standalone') {
    const side = source.topology === 'standalone' ? 'source' : 'target';
    return result(
      'topology',
      title,
      'fail',
      `the ${side} is a standalone server, which has no oplog`,
      'Convert it to a one-member replica set (replSetInitiate) and connect again.',
    );
  }
  if (sameCluster(source, target)) {
    return result(
      'topology',
      title,
      'fail',
      'the source and the target are the same cluster',
      'Point the target connection at the cluster to migrate into.',
    );
  }
  return result('topology', title, 'pass', `source: ${source.topology}, target: ${target.topology}`);
}

async function versionsCheck({ source, target }: PreflightInput): Promise<PreflightCheck> {
  const title = 'Server versions';
  const [sourceVersion, targetVersion] = await Promise.all([versionOf(source), versionOf(target)]);
  const versions = `source ${sourceVersion.join('.')}, target ${targetVersion.join('.')}`;
  if (sourceVersion[0] > targetVersion[0]) {
    return result(
      'versions',
      title,
      'fail',
      `${versions}: a downgrade is not supported`,
      "Use a target whose major version is at least the source's.",
    );
  }
  if (sourceVersion[0] < MIN_SOURCE_MAJOR) {
    return result(
      'versions',
      title,
      'fail',
      `${versions}: change streams before 6.0 do not report collection and index changes`,
      'Upgrade the source to MongoDB 6.0 or later first.',
    );
  }
  if (sourceVersion[0] === 6 && sourceVersion[1] < 1) {
    return result(
      'versions',
      title,
      'warn',
      `${versions}: sources before 6.1 do not say whether an updated field name contains a dot`,
      'Updates to field names containing dots are copied by re-reading the document; upgrading the source to 6.1+ avoids that.',
    );
  }
  return result('versions', title, 'pass', versions);
}

async function versionOf(client: MongoClient): Promise<number[]> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  const parts = Array.isArray(info.versionArray)
    ? info.versionArray.map(Number)
    : String(info.version).split('.').map(Number);
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
}

async function privilegesCheck(input: PreflightInput): Promise<PreflightCheck[]> {
  const databases = [...new Set(input.collections.map((collection) => collection.db))];
  const sides = [
    ['source', input.source, input.sourceUri],
    ['target', input.target, input.targetUri],
  ] as const;
  const checks: PreflightCheck[] = [];
  for (const [side, client, uri] of sides) {
    const report = await connectionReport(side, client, uri, side === 'source' ? databases : undefined);
    const { privileges } = report;
    const id = `privileges-${side}`;
    const title = `Privileges on the ${side}`;
    if (privileges.sufficient) {
      checks.push(
        result(
          id,
          title,
          'pass',
          privileges.roles.length > 0 ? `roles: ${privileges.roles.join(', ')}` : 'authentication is off',
        ),
      );
    } else {
      checks.push(
        result(
          id,
          title,
          'fail',
          `missing: ${privileges.missing.join('; ')}`,
          side === 'source'
            ? 'Grant the source user readAnyDatabase and clusterMonitor (or read on the selected databases plus changeStream on all).'
            : 'Grant the target user readWriteAnyDatabase, dbAdminAnyDatabase and clusterMonitor.',
        ),
      );
    }
  }
  return checks;
}

async function changeStreamCheck({ source }: PreflightInput): Promise<PreflightCheck> {
  const title = 'Change streams';
  const stream = source.watch([], {
    showExpandedEvents: true,
    startAtOperationTime: await clusterTime(source),
    maxAwaitTimeMS: 100,
  });
  try {
    await stream.tryNext();
  } catch (error) {
    const info = classify(error);
    return result(
      'change-streams',
      title,
      'fail',
      `a cluster-wide change stream cannot be opened: ${info.message}`,
      info.remedy ?? 'Ferry needs change streams on a replica set or sharded cluster (MongoDB 6.0+).',
    );
  } finally {
    await stream.close().catch(() => undefined);
  }
  return result('change-streams', title, 'pass', 'a cluster-wide change stream opens');
}

async function oplogWindowCheck({ source, sourceIdentity, collections }: PreflightInput): Promise<PreflightCheck> {
  const title = 'Oplog window';
  const bytes = collections.reduce((sum, collection) => sum + collection.sizeBytes, 0);
  const estimate = Math.ceil(bytes / ASSUMED_COPY_BYTES_PER_SECOND) + 60;
  if (sourceIdentity.topology !== 'replicaSet') {
    return result(
      'oplog-window',
      title,
      'warn',
      `estimated clone time ${formatSeconds(estimate)}; the oplogs of a sharded source are not checked`,
      "Make sure every shard's oplog covers the clone plus any pause.",
    );
  }
  const window = await projectedWindowSeconds(source);
  if (window === undefined) {
    return result(
      'oplog-window',
      title,
      'warn',
      `estimated clone time ${formatSeconds(estimate)}; the oplog could not be read`,
      'Grant read on local.oplog.rs (clusterMonitor) so Ferry can check its window.',
    );
  }
  const held = Number.isFinite(window) ? `oplog window about ${formatSeconds(window)}` : 'the oplog is far from full';
  const message = `${held}, estimated clone time ${formatSeconds(estimate)}`;
  const remedy =
    'Enlarge the source oplog (replSetResizeOplog, or oplogMinRetentionHours) so it covers the clone plus any pause.';
  if (window >= 2 * estimate) return result('oplog-window', title, 'pass', message);
  return result(
    'oplog-window',
    title,
    'warn',
    `${message}: the oplog may roll over before replication reads it`,
    remedy,
  );
}

/**
 * How many seconds the oplog will hold once full: its current time span, scaled up by how full it
 * is (a young oplog spans a few seconds but has room for much more); Infinity when it has too few
 * entries to tell.
 */
async function projectedWindowSeconds(source: MongoClient): Promise<number | undefined> {
  try {
    const oplog = source.db('local').collection('oplog.rs');
    const first = await oplog.find({}, { sort: { $natural: 1 }, limit: 1, projection: { ts: 1 } }).next();
    const last = await oplog.find({}, { sort: { $natural: -1 }, limit: 1, projection: { ts: 1 } }).next();
    const stats = await source.db('local').command({ collStats: 'oplog.rs' });
    const span = first && last ? Number(last.ts.t) - Number(first.ts.t) : 0;
    const size = Number(stats.size ?? 0);
    const maxSize = Number(stats.maxSize ?? 0);
    if (maxSize > 0 && size > 0 && size < maxSize * 0.9) return span > 0 ? (span * maxSize) / size : Infinity;
    return span;
  } catch {
    return undefined;
  }
}

async function targetNamespacesCheck({ target, collections, options }: PreflightInput): Promise<PreflightCheck> {
  const title = 'Target namespaces';
  const existing: string[] = [];
  const byDb = new Map<string, Set<string>>();
  for (const { db, name } of collections) byDb.set(db, (byDb.get(db) ?? new Set()).add(name));
  for (const [db, names] of byDb) {
    const present = await target.db(db).listCollections({}, { nameOnly: true }).toArray();
    for (const { name } of present) if (names.has(name)) existing.push(`${db}.${name}`);
  }
  if (existing.length === 0)
    return result('target-namespaces', title, 'pass', 'none of the selected namespaces exists on the target');
  const list = summarize(existing);
  if (options.allowExistingTargetNamespaces) {
    return result('target-namespaces', title, 'warn', `will be dropped and recreated on the target: ${list}`);
  }
  return result(
    'target-namespaces',
    title,
    'fail',
    `already on the target: ${list}`,
    'Drop them on the target, exclude them, or allow Ferry to drop and recreate existing target namespaces.',
  );
}

async function timeseriesCheck({ collections }: PreflightInput): Promise<PreflightCheck> {
  const title = 'Time series collections';
  const timeseries = collections
    .filter((collection) => collection.kind === 'timeseries')
    .map(({ db, name }) => `${db}.${name}`);
  if (timeseries.length === 0) return result('timeseries', title, 'pass', 'none selected');
  return result(
    'timeseries',
    title,
    'fail',
    `change streams cannot keep time series collections in step, so Ferry cannot copy: ${summarize(timeseries)}`,
    'Exclude them and copy them separately at cutover (for example with mongodump and mongorestore).',
  );
}

async function documentTypesCheck({ source, collections }: PreflightInput): Promise<PreflightCheck> {
  const title = 'Document types';
  const found: string[] = [];
  for (const { db, name, kind } of collections) {
    if (kind === 'view' || kind === 'timeseries') continue;
    const cursor = source.db(db).collection(name).find({}, { limit: TYPE_SAMPLE_DOCUMENTS, raw: true });
    const kinds = new Set<string>();
    for await (const raw of cursor) for (const lossy of unsupportedTypesIn(rawBytes(raw))) kinds.add(lossy);
    if (kinds.size > 0) found.push(`${db}.${name} (${[...kinds].join(', ')})`);
  }
  if (found.length === 0) {
    return result(
      'document-types',
      title,
      'pass',
      `no value the driver cannot write back in the first ${TYPE_SAMPLE_DOCUMENTS} documents of each collection`,
    );
  }
  return result(
    'document-types',
    title,
    'fail',
    `values the Node.js driver cannot write back unchanged: ${summarize(found)}`,
    'Rewrite such values on the source (for example undefined as null), or exclude those collections; Ferry does not change data silently.',
  );
}

async function latencyCheck({ source, target }: PreflightInput): Promise<PreflightCheck> {
  const title = 'Latency';
  const [sourceMs, targetMs] = await Promise.all([pingLatency(source), pingLatency(target)]);
  const message = `ping: source ${sourceMs} ms, target ${targetMs} ms`;
  if (Math.max(sourceMs, targetMs) > SLOW_PING_MS) {
    return result(
      'latency',
      title,
      'warn',
      message,
      'Run Ferry close to both clusters (a jump host in the same region) for a faster clone.',
    );
  }
  return result('latency', title, 'pass', message);
}

function summarize(items: string[]): string {
  return items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}
