// The one owner of what finalize needs to know: every selected collection's original (unrelaxed) index
// specs, kept verbatim, and the original TTL of clustered collections. Prepare, DDL replay and restore
// all go through it, and state()/load() carry it through a checkpoint. (PCSM kept its catalog in
// structs copied by value and lost updates to them; here there is one Map per namespace, changed in
// place.)
import type { OrderedDocument } from '../bson/ordered.js';
import type { CatalogState } from '../parts.js';
import { stringOf, toOrdered } from './documents.js';

export class IndexBook {
  /** namespace → index name → original spec. */
  private readonly indexes = new Map<string, Map<string, OrderedDocument>>();
  /** namespace → the original expireAfterSeconds of a clustered collection. */
  private readonly clusteredTtls = new Map<string, unknown>();

  /** Starts a namespace afresh (created by the clone or by a create event). */
  setCollection(namespace: string, specs: readonly OrderedDocument[], clusteredTtl?: unknown): void {
    this.indexes.set(namespace, new Map());
    for (const spec of specs) this.record(namespace, spec);
    if (clusteredTtl === undefined) this.clusteredTtls.delete(namespace);
    else this.clusteredTtls.set(namespace, clusteredTtl);
  }

  /** Records an index (a createIndexes event replaces an earlier spec of the same name). */
  record(namespace: string, spec: OrderedDocument): void {
    const name = stringOf(spec, 'name');
    if (name === undefined) return;
    let byName = this.indexes.get(namespace);
    if (!byName) this.indexes.set(namespace, (byName = new Map()));
    byName.set(name, spec);
  }

  original(namespace: string, name: string): OrderedDocument | undefined {
    return this.indexes.get(namespace)?.get(name);
  }

  /**
   * Applies a collMod index change (`{name, hidden | expireAfterSeconds | prepareUnique | unique}`) to the
   * original spec, as the source server changed its own. Returns false when the index is unknown.
   */
  modify(namespace: string, change: OrderedDocument): boolean {
    const name = stringOf(change, 'name');
    const spec = name === undefined ? undefined : this.original(namespace, name);
    if (!spec) return false;
    for (const [option, value] of change) {
      switch (option) {
        case 'hidden':
        case 'prepareUnique':
          // listIndexes shows these options only while they are true.
          if (value === true) spec.set(option, true);
          else spec.delete(option);
          break;
        case 'unique':
          if (value === true) {
            spec.set('unique', true);
            spec.delete('prepareUnique');
          }
          break;
        case 'expireAfterSeconds':
          spec.set(option, value);
          break;
      }
    }
    return true;
  }

  dropIndex(namespace: string, name: string): void {
    this.indexes.get(namespace)?.delete(name);
  }

  dropCollection(namespace: string): void {
    this.indexes.delete(namespace);
    this.clusteredTtls.delete(namespace);
  }

  dropDatabase(db: string): void {
    for (const namespace of this.namespaces()) if (namespace.startsWith(`${db}.`)) this.dropCollection(namespace);
  }

  rename(from: string, to: string): void {
    const specs = this.indexes.get(from);
    const ttl = this.clusteredTtls.get(from);
    this.dropCollection(to);
    this.dropCollection(from);
    if (specs) this.indexes.set(to, specs);
    if (ttl !== undefined) this.clusteredTtls.set(to, ttl);
  }

  setClusteredTtl(namespace: string, value: unknown): void {
    this.clusteredTtls.set(namespace, value);
  }

  clusteredTtl(namespace: string): unknown {
    return this.clusteredTtls.get(namespace);
  }

  namespaces(): string[] {
    return [...new Set([...this.indexes.keys(), ...this.clusteredTtls.keys()])].sort();
  }

  specs(namespace: string): OrderedDocument[] {
    return [...(this.indexes.get(namespace)?.values() ?? [])];
  }

  state(): CatalogState {
    const originalIndexes: CatalogState['originalIndexes'] = {};
    for (const [namespace, byName] of this.indexes) originalIndexes[namespace] = [...byName.values()];
    return { originalIndexes, clusteredTtl: Object.fromEntries(this.clusteredTtls) };
  }

  load(state: CatalogState): void {
    this.indexes.clear();
    this.clusteredTtls.clear();
    for (const [namespace, specs] of Object.entries(state.originalIndexes)) {
      this.setCollection(namespace, specs.map(toOrdered));
    }
    for (const [namespace, ttl] of Object.entries(state.clusteredTtl ?? {})) this.clusteredTtls.set(namespace, ttl);
  }
}
