// The per-test entity map (spec "Entity Map"): driver objects created from createEntities plus
// results saved with saveResultAsEntity. Names are unique and look-ups are typed, so a test that
// refers to the wrong kind of entity fails with a runner error rather than a confusing driver one.
import { GridFSBucket, MongoClient } from 'mongodb';
import type {
  AbstractCursor,
  ChangeStream,
  ClientSession,
  ClientSessionOptions,
  Collection,
  Db,
  Document,
} from 'mongodb';
import {
  clientOptionsFrom,
  namespaceOptionsFrom,
  readConcernFrom,
  readPreferenceFrom,
  writeConcernFrom,
} from './driver-options.js';
import { RunnerError } from './errors.js';
import type { MatchEntities } from './matcher.js';
import { isDocument, toNative } from './values.js';
import type { Doc, EntityDescription } from './types.js';

/** A command monitoring event as the format describes it (for lsid assertions and --events). */
export interface RecordedEvent {
  type: 'commandStartedEvent' | 'commandSucceededEvent' | 'commandFailedEvent';
  commandName: string;
  databaseName?: string;
  command?: Doc;
  reply?: Doc;
}

export interface ClientEntity {
  kind: 'client';
  client: MongoClient;
  observeEvents: string[];
  events: RecordedEvent[];
}

export type Entity =
  | ClientEntity
  | { kind: 'database'; db: Db; client: MongoClient }
  | { kind: 'collection'; collection: Collection<Document>; client: MongoClient }
  | { kind: 'session'; session: ClientSession; lsid: unknown; clientId: string }
  | { kind: 'bucket'; bucket: GridFSBucket }
  | { kind: 'changeStream'; stream: ChangeStream }
  | { kind: 'cursor'; cursor: AbstractCursor }
  | { kind: 'value'; value: unknown };

type KindOf<K extends Entity['kind']> = Extract<Entity, { kind: K }>;

// Commands whose events the spec says to ignore unless observeSensitiveCommands is set.
const SENSITIVE_COMMANDS = new Set([
  'authenticate',
  'saslstart',
  'saslcontinue',
  'getnonce',
  'createuser',
  'updateuser',
  'copydbgetnonce',
  'copydbsaslstart',
  'copydb',
]);

export interface EntityEnvironment {
  uri: string;
  /** Applied before uriOptions so a test can still override it. */
  defaultClientOptions: Record<string, unknown>;
}

export class EntityMap implements MatchEntities {
  private readonly entities = new Map<string, Entity>();
  private closed = false;

  constructor(private readonly env: EntityEnvironment) {}

  has(id: string): boolean {
    return this.entities.has(id);
  }

  add(id: string, entity: Entity): void {
    if (this.closed) {
      // A timed-out test body can still be creating entities after cleanup; do not leak them.
      if (entity.kind === 'client') void entity.client.close(true).catch(() => undefined);
      if (entity.kind === 'changeStream') void entity.stream.close().catch(() => undefined);
      throw new RunnerError('the test was already cleaned up');
    }
    if (this.entities.has(id)) throw new RunnerError(`entity "${id}" already exists`);
    this.entities.set(id, entity);
  }

  get(id: string): Entity {
    const entity = this.entities.get(id);
    if (!entity) throw new RunnerError(`no entity named "${id}"`);
    return entity;
  }

  getAs<K extends Entity['kind']>(id: string, ...kinds: K[]): KindOf<K> {
    const entity = this.get(id);
    if (!(kinds as string[]).includes(entity.kind))
      throw new RunnerError(`entity "${id}" is a ${entity.kind}, expected ${kinds.join(' or ')}`);
    return entity as KindOf<K>;
  }

  client(id: string): ClientEntity {
    return this.getAs(id, 'client');
  }

  session(id: string): ClientSession {
    return this.getAs(id, 'session').session;
  }

  /** MatchEntities: $$matchesEntity only accepts saved BSON values. */
  value(name: string): unknown {
    return this.getAs(name, 'value').value;
  }

  /** MatchEntities: the lsid captured when the session was created (it survives endSession). */
  sessionLsid(name: string): unknown {
    return this.getAs(name, 'session').lsid;
  }

  clients(): ClientEntity[] {
    return [...this.entities.values()].filter((e): e is ClientEntity => e.kind === 'client');
  }

  async create(descriptions: EntityDescription[]): Promise<void> {
    for (const description of descriptions) await this.createOne(description);
  }

  private async createOne({ type, id, spec }: EntityDescription): Promise<void> {
    switch (type) {
      case 'client':
        return this.add(id, await this.createClient(spec));
      case 'database': {
        const { client } = this.client(String(spec.client));
        const db = client.db(String(spec.databaseName), namespaceOptionsFrom(spec.databaseOptions));
        return this.add(id, { kind: 'database', db, client });
      }
      case 'collection': {
        const { db, client } = this.getAs(String(spec.database), 'database');
        const collection = db.collection(String(spec.collectionName), namespaceOptionsFrom(spec.collectionOptions));
        return this.add(id, { kind: 'collection', collection, client });
      }
      case 'session': {
        const clientId = String(spec.client);
        const { client } = this.client(clientId);
        const session = client.startSession(sessionOptionsFrom(spec.sessionOptions));
        return this.add(id, { kind: 'session', session, lsid: session.id, clientId });
      }
      case 'bucket': {
        const { db } = this.getAs(String(spec.database), 'database');
        const options = isDocument(spec.bucketOptions) ? toNative(spec.bucketOptions) : {};
        return this.add(id, { kind: 'bucket', bucket: new GridFSBucket(db, isDocument(options) ? options : {}) });
      }
      default:
        throw new RunnerError(`entity type "${type}" is not supported by this runner`);
    }
  }

  private async createClient(spec: Doc): Promise<ClientEntity> {
    for (const key of ['autoEncryptOpts', 'storeEventsAsEntities', 'awaitMinPoolSizeMS']) {
      if (spec[key] !== undefined) throw new RunnerError(`client option "${key}" is not supported by this runner`);
    }
    const observeEvents = Array.isArray(spec.observeEvents) ? spec.observeEvents.map(String) : [];
    const ignored = new Set(
      (Array.isArray(spec.ignoreCommandMonitoringEvents) ? spec.ignoreCommandMonitoringEvents : []).map(String),
    );
    const observeSensitive = spec.observeSensitiveCommands === true;
    const serverApi = isDocument(spec.serverApi) ? toNative(spec.serverApi) : undefined;
    // useMultipleMongoses needs no handling: the runner is given one URI and never a sharded
    // cluster with several mongoses, so every client talks to the same server.
    const client = new MongoClient(this.env.uri, {
      ...this.env.defaultClientOptions,
      ...clientOptionsFrom(spec.uriOptions),
      ...(isDocument(serverApi) && { serverApi: serverApi as { version: '1' } }),
      monitorCommands: observeEvents.some((e) => e.startsWith('command')),
    });
    const entity: ClientEntity = { kind: 'client', client, observeEvents, events: [] };
    const keep = (commandName: string): boolean =>
      commandName !== 'configureFailPoint' &&
      !ignored.has(commandName) &&
      (observeSensitive || !SENSITIVE_COMMANDS.has(commandName.toLowerCase()));
    if (observeEvents.includes('commandStartedEvent')) {
      client.on('commandStarted', (e) => {
        if (keep(e.commandName))
          entity.events.push({
            type: 'commandStartedEvent',
            commandName: e.commandName,
            databaseName: e.databaseName,
            command: e.command,
          });
      });
    }
    if (observeEvents.includes('commandSucceededEvent')) {
      client.on('commandSucceeded', (e) => {
        if (keep(e.commandName))
          entity.events.push({
            type: 'commandSucceededEvent',
            commandName: e.commandName,
            databaseName: e.databaseName,
            reply: isDocument(e.reply) ? e.reply : undefined,
          });
      });
    }
    if (observeEvents.includes('commandFailedEvent')) {
      client.on('commandFailed', (e) => {
        if (keep(e.commandName))
          entity.events.push({ type: 'commandFailedEvent', commandName: e.commandName, databaseName: e.databaseName });
      });
    }
    await client.connect();
    return entity;
  }

  /** End sessions, close cursors and change streams, then clients; never throws. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.entities.values()];
    const quietly = async (work: () => Promise<unknown>): Promise<void> => {
      try {
        await work();
      } catch {
        // Cleanup errors must not mask the test result (spec: suppress errors closing cursors).
      }
    };
    for (const e of all) {
      if (e.kind === 'changeStream') await quietly(() => e.stream.close());
      if (e.kind === 'cursor') await quietly(() => e.cursor.close());
    }
    for (const e of all) if (e.kind === 'session') await quietly(() => e.session.endSession());
    await Promise.all(all.map((e) => (e.kind === 'client' ? quietly(() => e.client.close(true)) : undefined)));
    this.entities.clear();
  }
}

/** sessionOptions → ClientSessionOptions; defaultTransactionOptions stays nested (spec). */
export function sessionOptionsFrom(value: unknown): ClientSessionOptions {
  if (value === undefined) return {};
  if (!isDocument(value)) throw new RunnerError('sessionOptions: expected an object');
  const out: ClientSessionOptions = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'defaultTransactionOptions') out.defaultTransactionOptions = transactionOptionsFrom(v);
    else if (key === 'causalConsistency' || key === 'snapshot') out[key] = v === true;
    else if (key === 'defaultTimeoutMS') out.defaultTimeoutMS = Number(toNative(v));
    else throw new RunnerError(`unsupported session option "${key}"`);
  }
  return out;
}

export function transactionOptionsFrom(value: unknown): NonNullable<ClientSessionOptions['defaultTransactionOptions']> {
  if (value === undefined) return {};
  if (!isDocument(value)) throw new RunnerError('transaction options: expected an object');
  const out: NonNullable<ClientSessionOptions['defaultTransactionOptions']> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'readConcern') out.readConcern = readConcernFrom(v);
    else if (key === 'writeConcern') out.writeConcern = writeConcernFrom(v);
    else if (key === 'readPreference') out.readPreference = readPreferenceFrom(v);
    else if (key === 'maxCommitTimeMS') out.maxCommitTimeMS = Number(toNative(v));
    else throw new RunnerError(`unsupported transaction option "${key}"`);
  }
  return out;
}
