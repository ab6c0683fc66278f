// Finalize: turning every relaxed index on the target back into its original (pcsm.md §7). For each
// original spec the target's current spec is read and only what differs is changed, so the pass can
// be run again after an interruption. Unique comes back through collMod prepareUnique then unique
// (MongoDB checks the existing keys while refusing new duplicates), TTL and hidden through collMod.
// An index missing on the target (its build failed while syncing) is built from the original; an
// IndexOptionsConflict is settled by dropping the index and building it from the original. What
// cannot be restored is reported in PCSM's unsuccessfulIndexes shape; finalize goes on regardless.
import type { UnsuccessfulIndex } from '../../protocol.js';
import type { OrderedDocument } from '../bson/ordered.js';
import { classify } from '../errors.js';
import { collationOf } from './collection-options.js';
import { jsonOf, subDocument } from './documents.js';
import type { CatalogBook } from './book.js';
import { buildableOriginal, indexKey, isBuiltIn, restoreSteps } from './relaxed-index.js';
import { conflictCodes, serverCodeOf, type TargetCommands } from './target-commands.js';

export async function restoreIndexes(commands: TargetCommands, book: CatalogBook): Promise<UnsuccessfulIndex[]> {
  const unsuccessful: UnsuccessfulIndex[] = [];
  for (const namespace of book.namespaces()) {
    const dot = namespace.indexOf('.');
    const db = namespace.slice(0, dot);
    const coll = namespace.slice(dot + 1);
    const entry = await commands.collection(db, coll);
    if (!entry) continue; // dropped since: nothing to restore
    const restorer = new NamespaceRestorer(commands, db, coll, collationOf(subDocument(entry, 'options') ?? new Map()));
    for (const original of book.specs(namespace)) {
      if (isBuiltIn(original)) continue;
      const reason = await restorer.restore(original);
      if (reason !== undefined) {
        unsuccessful.push({
          namespace,
          indexName: String(original.get('name')),
          type: 'failed',
          keys: jsonOf(indexKey(original)),
          reason,
        });
      }
    }
    const ttl = book.clusteredTtl(namespace);
    if (ttl !== undefined) {
      const reason = await restorer.clusteredTtl(ttl);
      if (reason !== undefined) {
        const clustered = subDocument(subDocument(entry, 'options') ?? new Map(), 'clusteredIndex') ?? new Map();
        unsuccessful.push({
          namespace,
          indexName: String(clustered.get('name') ?? '_id_'),
          type: 'failed',
          keys: jsonOf(indexKey(clustered)),
          reason: `could not restore the collection's expireAfterSeconds: ${reason}`,
        });
      }
    }
  }
  return unsuccessful.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.indexName.localeCompare(b.indexName));
}

class NamespaceRestorer {
  private current: Map<string, OrderedDocument> | undefined;

  constructor(
    private readonly commands: TargetCommands,
    private readonly db: string,
    private readonly coll: string,
    private readonly collation: OrderedDocument | undefined,
  ) {}

  /** Restores one index; returns why it could not be restored. */
  async restore(original: OrderedDocument): Promise<string | undefined> {
    this.current ??= await this.commands.indexes(this.db, this.coll);
    if (!this.current) return undefined; // dropped meanwhile
    const current = this.current.get(String(original.get('name')));
    if (!current) return this.rebuild(original, false);
    for (const step of restoreSteps(original, current)) {
      try {
        await this.commands.collMod(this.db, this.coll, new Map([['index', step]]));
      } catch (error) {
        if (conflictCodes.has(serverCodeOf(error) ?? 0)) return this.rebuild(original, true);
        return classify(error).message;
      }
    }
    return undefined;
  }

  async clusteredTtl(ttl: unknown): Promise<string | undefined> {
    try {
      await this.commands.collMod(this.db, this.coll, new Map([['expireAfterSeconds', ttl]]));
      return undefined;
    } catch (error) {
      return classify(error).message;
    }
  }

  private async rebuild(original: OrderedDocument, dropFirst: boolean): Promise<string | undefined> {
    const name = String(original.get('name'));
    if (dropFirst) await this.commands.dropIndex(this.db, this.coll, name);
    const failures = await this.commands.createIndexes(this.db, this.coll, [
      buildableOriginal(original, this.collation),
    ]);
    return failures.get(name);
  }
}
