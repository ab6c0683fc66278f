// runOnRequirements: what the server under test is (read once through the internal client) and
// whether a file's or test's requirements hold. A requirement list holds when any one entry
// holds; otherwise the returned reason says why the first failing clause of each entry failed,
// worded so that identical reasons group in the report.
import type { MongoClient } from 'mongodb';
import { compareVersions, parseVersion } from './load.js';
import { asNumber, numericCompare } from './values.js';
import type { RunOnRequirement } from './types.js';

export type Topology = 'single' | 'replicaset' | 'sharded' | 'load-balanced';

export interface ServerFacts {
  version: [number, number, number];
  versionString: string;
  topology: Topology;
  serverless: boolean;
  auth: boolean;
  csfle: boolean;
  /** Fetches a server parameter; undefined when the server does not know it. Cached by caller. */
  getParameter(name: string): Promise<unknown>;
}

function field(doc: unknown, key: string): unknown {
  return typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)[key] : undefined;
}

/** Whether a connection string carries credentials (mongodb://user:pass@host or user@host). */
export function uriHasCredentials(uri: string): boolean {
  const match = /^mongodb(?:\+srv)?:\/\/([^/?#]*)/.exec(uri);
  return match !== null && match[1].includes('@');
}

export async function detectServerFacts(client: MongoClient, uri: string): Promise<ServerFacts> {
  const admin = client.db('admin');
  const buildInfo = await admin.command({ buildInfo: 1 });
  const hello = await admin.command({ hello: 1 });
  const versionArray = field(buildInfo, 'versionArray');
  let version: [number, number, number];
  if (Array.isArray(versionArray) && versionArray.length >= 3) {
    // The spec says to use the first three elements of versionArray and nothing else.
    version = [asNumber(versionArray[0]) ?? 0, asNumber(versionArray[1]) ?? 0, asNumber(versionArray[2]) ?? 0];
  } else {
    const text = String(field(buildInfo, 'version') ?? '0.0.0').replace(/[^0-9.].*$/, '');
    version = parseVersion(text);
  }
  let topology: Topology = 'single';
  if (typeof field(hello, 'setName') === 'string') topology = 'replicaset';
  if (field(hello, 'msg') === 'isdbgrid') topology = 'sharded';
  if (/[?&]loadBalanced=true/i.test(uri)) topology = 'load-balanced';

  const cache = new Map<string, Promise<unknown>>();
  const getParameter = (name: string): Promise<unknown> => {
    let pending = cache.get(name);
    if (!pending) {
      pending = admin
        .command({ getParameter: 1, [name]: 1 })
        .then((reply) => field(reply, name))
        .catch(() => undefined);
      cache.set(name, pending);
    }
    return pending;
  };

  return {
    version,
    versionString: version.join('.'),
    topology,
    serverless: false,
    auth: uriHasCredentials(uri),
    csfle: false,
    getParameter,
  };
}

function topologyMatches(wanted: string, actual: Topology): boolean {
  if (wanted === actual) return true;
  // Every sharded cluster is backed by replica sets nowadays (spec: sharded-replicaset is deprecated).
  return wanted === 'sharded-replicaset' && actual === 'sharded';
}

/** Why one requirement entry is not met, or null if it is. */
async function unmetClause(req: RunOnRequirement, facts: ServerFacts): Promise<string | null> {
  if (req.minServerVersion && compareVersions(facts.version, parseVersion(req.minServerVersion)) < 0)
    return `needs server >= ${req.minServerVersion}`;
  if (req.maxServerVersion && compareVersions(facts.version, parseVersion(req.maxServerVersion)) > 0)
    return `needs server <= ${req.maxServerVersion}`;
  if (req.topologies && !req.topologies.some((t) => topologyMatches(t, facts.topology)))
    return `needs topology ${req.topologies.join('|')}`;
  if (req.serverless === 'require' && !facts.serverless) return 'needs serverless';
  if (req.serverless === 'forbid' && facts.serverless) return 'forbids serverless';
  if (req.auth === true && !facts.auth) return 'needs auth';
  if (req.auth === false && facts.auth) return 'forbids auth';
  if (req.csfle !== undefined && req.csfle !== false && !facts.csfle) return 'needs CSFLE';
  if (req.csfle === false && facts.csfle) return 'forbids CSFLE';
  if (req.authMechanism) {
    const mechanisms = await facts.getParameter('authenticationMechanisms');
    const list = Array.isArray(mechanisms) ? mechanisms.map((m) => String(m).toLowerCase()) : [];
    if (!list.includes(req.authMechanism.toLowerCase())) return `needs auth mechanism ${req.authMechanism}`;
  }
  for (const [name, expected] of Object.entries(req.serverParameters ?? {})) {
    const actual = await facts.getParameter(name);
    const numeric = numericCompare(expected, actual);
    const equal = numeric !== undefined ? numeric === 0 : actual !== undefined && actual === expected;
    if (!equal) return `needs server parameter ${name}=${String(expected)}`;
  }
  return null;
}

/** null when `reqs` is absent or any entry is satisfied, else a reason to skip. */
export async function unmetRequirements(
  reqs: RunOnRequirement[] | undefined,
  facts: ServerFacts,
): Promise<string | null> {
  if (!reqs || reqs.length === 0) return null;
  const reasons: string[] = [];
  for (const req of reqs) {
    const reason = await unmetClause(req, facts);
    if (reason === null) return null;
    if (!reasons.includes(reason)) reasons.push(reason);
  }
  return reasons.join(' or ');
}
