// The dispatcher: takes the reader's batches in stream order and sends each event where it belongs.
// - Events outside the selection (and anything in the metadata database) are dropped; they still
//   move time on.
// - Data changes (insert, update, replace, delete) are translated into idempotent writes and routed
//   by namespace and documentKey (route.ts), so each document's events reach one applier in order.
// - Everything else is DDL and a barrier: every applier writes what it holds, then the catalog
//   applies the event, then dispatching goes on. Writes before a DDL event are on the target before
//   it, and writes after it see its effect.
//
// `readThrough` is the dispatcher's part of the resume point: every event at or before it has been
// handed to an applier, dropped or applied. After an event at time T that is T's predecessor (the
// rest of a transaction at T may be in the next batch); after a batch whose postBatchResumeToken
// lies past its last event, that token's time (the stream has shown everything up to it).
import { BSON, Timestamp } from 'mongodb';
import { decodeOrdered, type LossyValue, type OrderedDocument } from '../bson/ordered.js';
import { FerryError, retry } from '../errors.js';
import { selectsEvent, type EventNamespace } from '../namespaces.js';
import type { Catalog, EngineContext } from '../parts.js';
import type { Applier } from './applier.js';
import type { BoundedQueue } from './bounded-queue.js';
import type { CappedNamespaces } from './capped-namespaces.js';
import { asDocument } from './driver-documents.js';
import { documentField, malformedEvent } from './event-fields.js';
import type { StreamBatch } from './reader.js';
import { routeKey } from './route.js';
import { compareTimes, justBefore, laterOf } from './times.js';
import { isDataChange, translateEvent } from './translate.js';

export interface DispatcherHooks {
  /** Events dropped or applied as DDL (data events count when their applier commits them). */
  applied(events: number): void;
  /** readThrough moved. */
  progressed(): void;
}

export class Dispatcher {
  readThrough: Timestamp | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly catalog: Catalog,
    private readonly queue: BoundedQueue<StreamBatch>,
    private readonly appliers: readonly Applier[],
    private readonly capped: CappedNamespaces,
    private readonly hooks: DispatcherHooks,
    private readonly signal: AbortSignal,
  ) {}

  /** Dispatches until the queue is closed and empty; rejects on the first fatal error. */
  async run(): Promise<void> {
    for (let batch = await this.queue.take(); batch; batch = await this.queue.take()) {
      let last: Timestamp | undefined;
      for (const raw of batch.events) {
        this.signal.throwIfAborted();
        last = await this.dispatch(raw);
      }
      if (!last || compareTimes(batch.resumeTime, last) > 0) this.advance(batch.resumeTime);
    }
  }

  /** Dispatches one event; returns its cluster time. */
  private async dispatch(raw: Uint8Array): Promise<Timestamp> {
    const lossy: LossyValue[] = [];
    const event = decodeOrdered(raw, (kind) => lossy.push(kind));
    const time = event.get('clusterTime');
    if (!(time instanceof Timestamp)) throw malformedEvent('clusterTime is missing or not a timestamp');
    const namespace = eventNamespace(event);
    if (!this.selects(namespace)) {
      this.hooks.applied(1);
    } else if (lossy.length > 0) {
      throw unsupportedValues(namespace, lossy);
    } else if (isDataChange(event)) {
      await this.route(event, time);
    } else {
      await this.barrier(event);
      this.hooks.applied(1);
    }
    this.advance(justBefore(time));
    return time;
  }

  private selects(namespace: EventNamespace): boolean {
    if (namespace.ns?.db === this.ctx.metadataDb) return false;
    return selectsEvent(this.ctx.filter, namespace);
  }

  private async route(event: OrderedDocument, time: Timestamp): Promise<void> {
    const { db, coll, ops } = translateEvent(event);
    const documentKey = BSON.serialize(asDocument(documentField(event, 'documentKey')));
    const capped = await this.capped.isCapped(db, coll);
    const applier = this.appliers[routeKey(`${db}.${coll}`, documentKey, this.appliers.length, capped)];
    await applier.add(db, coll, ops, time);
  }

  private async barrier(event: OrderedDocument): Promise<void> {
    await Promise.all(this.appliers.map((applier) => applier.drain()));
    const operationType = String(event.get('operationType'));
    await retry(() => this.catalog.applyDdl(asDocument(event)), {
      attempts: Infinity,
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      signal: this.signal,
      onRetry: ({ attempt, delayMs, error }) =>
        this.ctx.log.warn(`retrying change event ${operationType}`, {
          attempt,
          retryInMs: delayMs,
          error: error.message,
        }),
    });
    this.capped.forget();
  }

  private advance(time: Timestamp): void {
    this.readThrough = laterOf(this.readThrough, time);
    this.hooks.progressed();
  }
}

function eventNamespace(event: OrderedDocument): EventNamespace {
  return {
    operationType: String(event.get('operationType')),
    ns: namespaceField(event.get('ns')),
    to: renameTarget(event.get('to')),
  };
}

function renameTarget(value: unknown): EventNamespace['to'] {
  const namespace = namespaceField(value);
  return namespace?.coll === undefined ? undefined : { db: namespace.db, coll: namespace.coll };
}

function namespaceField(value: unknown): { db: string; coll?: string } | undefined {
  if (!(value instanceof Map)) return undefined;
  const db = value.get('db');
  const coll = value.get('coll');
  if (typeof db !== 'string') return undefined;
  return typeof coll === 'string' ? { db, coll } : { db };
}

function unsupportedValues(namespace: EventNamespace, kinds: LossyValue[]): FerryError {
  const where = namespace.ns ? `${namespace.ns.db}.${namespace.ns.coll ?? '*'}` : 'an unknown namespace';
  return new FerryError({
    code: 'UNSUPPORTED_BSON_VALUE',
    message: `a ${namespace.operationType} event on ${where} holds values the driver cannot write back unchanged (${[...new Set(kinds)].join(', ')})`,
    remedy:
      'Rewrite such values on the source (for example undefined as null), or exclude the collection; ' +
      'Ferry does not change data silently.',
  });
}
