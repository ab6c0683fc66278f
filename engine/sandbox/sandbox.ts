// The state of one sandbox server: what a one-member replica set holds in memory. The network layer
// (server.ts) and the command handlers (commands/) both work on this object.
import { ObjectId } from './bson/values.js';
import { ClusterClock } from './clock.js';
import { CursorManager } from './cursors.js';
import { Catalog } from './storage/catalog.js';
import { Oplog } from './storage/oplog.js';
import { Writer } from './storage/writer.js';
import { initialUsers, type UserStore } from './auth/users.js';
import { FailPoints } from './fail-points.js';
import { OperationTracker } from './operations.js';
import { ServerParameters } from './server-parameters.js';
import { SessionTable } from './sessions/session-table.js';

export interface SandboxOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  host: string;
  replSet: string;
  /** user:password; turns on SCRAM authentication. */
  auth?: { user: string; password: string };
  tls?: { certFile: string; keyFile: string };
  oplogSizeMb: number;
  /** Keep data and oplog in this directory across restarts. */
  dbPath?: string;
  seed?: 'demo';
  /** How long replSetStepDown keeps the member a secondary (at most stepDownSecs); default 500 ms. */
  stepDownMs?: number;
}

export const defaultOptions: SandboxOptions = {
  port: 27017,
  host: '127.0.0.1',
  replSet: 'rs0',
  oplogSizeMb: 256,
};

export class Sandbox {
  readonly clock = new ClusterClock();
  readonly catalog = new Catalog();
  readonly oplog: Oplog;
  readonly writer: Writer;
  readonly users: UserStore;
  readonly cursors = new CursorManager();
  readonly parameters = new ServerParameters();
  readonly sessions = new SessionTable(this.cursors, this.parameters);
  readonly failPoints = new FailPoints();
  readonly operations = new OperationTracker();
  /** Replaced at each simulated election (replSetStepDown), so drivers see a newer primary. */
  electionId = new ObjectId();
  /** settings.replicaSetId of replSetGetConfig: the identity of this replica set's data. */
  replicaSetId = new ObjectId();
  readonly startedAt = new Date();
  /** Set by replSetStepDown: until then the member answers as a secondary. */
  steppedDownUntil = 0;
  profileLevel = 0;
  /** The address clients reach this member at (host:port), known once listening. */
  me = '';
  /** Set by index.ts: closes every client connection (replSetStepDown). */
  onDropConnections?: () => void;
  /** Set by index.ts: open and ever-accepted connections (serverStatus). */
  connectionCounts?: () => { current: number; totalCreated: number };
  /** Set by index.ts: the names the dispatcher answers to (listCommands). */
  commandNames?: () => string[];

  constructor(readonly options: SandboxOptions) {
    this.oplog = new Oplog(options.oplogSizeMb * 1024 * 1024);
    this.writer = new Writer(this.catalog, this.oplog, this.clock);
    this.users = initialUsers(options.auth);
  }

  get isWritablePrimary(): boolean {
    return Date.now() >= this.steppedDownUntil;
  }
}
