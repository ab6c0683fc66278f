// DDL commands on the target, in one place: each runs with the target's write concern (db.command()
// does not inherit it), is retried while the error is transient, and fails as a FerryError naming
// what it was doing. Errors a caller expects (a collection already gone while the stream catches up)
// are tolerated by code and reported as `undefined`.
import type { Db, Document } from 'mongodb';
import type { OrderedDocument } from '../bson/ordered.js';
import { classify, FerryError, retry } from '../errors.js';
import type { EngineContext } from '../parts.js';
import { command } from './documents.js';
import { listCollections, listIndexes } from './raw-reads.js';

export const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;
/** What a DDL replay meets while catching up (the collection or index is already gone), as PCSM tolerates. */
export const GONE: readonly number[] = [NAMESPACE_NOT_FOUND, INDEX_NOT_FOUND];
/** IndexOptionsConflict, IndexKeySpecsConflict: an index of that name exists with other options. */
export const conflictCodes: ReadonlySet<number> = new Set([85, 86]);

export class TargetCommands {
  constructor(private readonly ctx: EngineContext) {}

  /** Runs a command; `undefined` when it failed with one of the tolerated server codes. */
  async run(db: string, cmd: Document, what: string, tolerate: readonly number[] = []): Promise<Document | undefined> {
    const target = this.ctx.target.db(db);
    const concern = writeConcernOf(target);
    try {
      return await retry(() => target.command(concern ? { ...cmd, writeConcern: concern } : cmd), {
        attempts: 5,
        initialDelayMs: 500,
        maxDelayMs: 10_000,
        onRetry: ({ attempt, error }) => this.ctx.log.warn(`retrying: ${what}`, { attempt, error: error.message }),
      });
    } catch (error) {
      const info = classify(error);
      if (tolerate.includes(serverCodeOf(error) ?? 0)) {
        this.ctx.log.debug(`skipped: ${what}`, { reason: info.message });
        return undefined;
      }
      throw new FerryError({ ...info, message: `${what} on the target failed: ${info.message}` }, { cause: error });
    }
  }

  async dropCollection(db: string, name: string): Promise<void> {
    await this.run(db, { drop: name }, `drop ${db}.${name}`, GONE);
  }

  /**
   * Builds indexes, all in one command when they all build (the usual case, and cheap on an empty
   * collection), else one at a time so one bad spec does not stop the others. An index of the same
   * name but other options (a replay after a restart) is dropped and built again. Returns why each
   * failed index failed instead of throwing: the clone goes on, and finalize tries again.
   */
  async createIndexes(db: string, collection: string, specs: readonly OrderedDocument[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    if (specs.length === 0) return failures;
    const namespace = `${db}.${collection}`;
    try {
      await this.run(db, { createIndexes: collection, indexes: specs }, `create indexes on ${namespace}`);
      return failures;
    } catch {
      // Retried one by one below, where each failure is attributed to its index.
    }
    for (const spec of specs) {
      const name = String(spec.get('name'));
      const what = `create index ${name} on ${namespace}`;
      const create = () => this.run(db, { createIndexes: collection, indexes: [spec] }, what);
      try {
        await create().catch(async (error: unknown) => {
          if (!conflictCodes.has(serverCodeOf(error) ?? 0)) throw error;
          await this.dropIndex(db, collection, name);
          await create();
        });
      } catch (error) {
        const reason = classify(error).message;
        this.ctx.log.warn('index build failed', { namespace, index: name, reason });
        failures.set(name, reason);
      }
    }
    return failures;
  }

  async dropIndex(db: string, collection: string, name: string): Promise<void> {
    await this.run(db, { dropIndexes: collection, index: name }, `drop index ${name} on ${db}.${collection}`, GONE);
  }

  /** collMod with the given fields; `undefined` if the collection is gone. */
  collMod(
    db: string,
    collection: string,
    fields: OrderedDocument,
    tolerate: readonly number[] = GONE,
  ): Promise<Document | undefined> {
    return this.run(db, command('collMod', collection, fields), `collMod ${db}.${collection}`, tolerate);
  }

  /** The target's current index specs by name; undefined if the collection is gone. */
  async indexes(db: string, collection: string): Promise<Map<string, OrderedDocument> | undefined> {
    try {
      const specs = await listIndexes(this.ctx.target.db(db), collection);
      return new Map(specs.map((spec) => [String(spec.get('name')), spec]));
    } catch (error) {
      if (serverCodeOf(error) === NAMESPACE_NOT_FOUND) return undefined;
      throw FerryError.from(error);
    }
  }

  /** The target collection's listCollections entry; undefined if it does not exist. */
  async collection(db: string, name: string): Promise<OrderedDocument | undefined> {
    const [entry] = await listCollections(this.ctx.target.db(db), { name });
    return entry;
  }
}

/** The server's error code, looking through FerryError causes. */
export function serverCodeOf(error: unknown): number | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'number') return code;
    current = cause;
  }
  return undefined;
}

/** The write concern the target client was configured with, as a command field. */
function writeConcernOf(db: Db): Document | undefined {
  const concern = db.writeConcern;
  if (!concern) return undefined;
  const fields: Document = {};
  if (concern.w !== undefined) fields.w = concern.w;
  if (concern.journal !== undefined) fields.j = concern.journal;
  if (concern.wtimeoutMS !== undefined) fields.wtimeout = concern.wtimeoutMS;
  return Object.keys(fields).length > 0 ? fields : undefined;
}
