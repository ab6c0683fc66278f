// The catalog: what exists on the source, creating it on the target, replaying DDL, and the index
// bookkeeping that lets finalize restore relaxed indexes (pcsm.md §3-§5, §7). The parts live in
// catalog/: source-listing (what to copy), prepare-target (create with options, relaxed indexes),
// apply-ddl (change events), restore-indexes (finalize), index-book (the state it persists).
import type { Document } from 'mongodb';
import type { UnsuccessfulIndex } from '../protocol.js';
import { applyDdl } from './catalog/apply-ddl.js';
import { toOrdered } from './catalog/documents.js';
import { CatalogBook } from './catalog/book.js';
import { prepareTarget } from './catalog/prepare-target.js';
import { restoreIndexes } from './catalog/restore-indexes.js';
import { listSource } from './catalog/source-listing.js';
import { TargetCommands } from './catalog/target-commands.js';
import type { Catalog, CatalogState, EngineContext, SourceCollection } from './parts.js';

export function createCatalog(ctx: EngineContext): Catalog {
  return new TargetCatalog(ctx);
}

class TargetCatalog implements Catalog {
  private readonly book = new CatalogBook();
  private readonly commands: TargetCommands;

  constructor(private readonly ctx: EngineContext) {
    this.commands = new TargetCommands(ctx);
  }

  listSource(): Promise<SourceCollection[]> {
    return listSource(this.ctx);
  }

  prepareTarget(collection: SourceCollection, options: { dropExisting: boolean }): Promise<void> {
    return prepareTarget(this.commands, this.book, collection, options);
  }

  /** Accepts the event decoded either way: OrderedDocument (decodeOrdered) or the driver's objects. */
  applyDdl(event: Document): Promise<void> {
    return applyDdl({ ctx: this.ctx, commands: this.commands, book: this.book }, toOrdered(event));
  }

  restoreIndexes(): Promise<UnsuccessfulIndex[]> {
    return restoreIndexes(this.commands, this.book);
  }

  state(): CatalogState {
    return this.book.state();
  }

  load(state: CatalogState): void {
    this.book.load(state);
  }
}
