// The one owner of what the catalog must remember across DDL replay, finalize and restarts: every
// selected collection's original (unrelaxed) index specs, kept verbatim; the original TTL of
// clustered collections; and which source collection (by UUID) each target namespace was copied
// from, which tells a rename replay whether the clone already saw the new name. Prepare, DDL replay
// and restore all go through it, and state()/load() carry it through a checkpoint. (PCSM kept its
// catalog in structs copied by value and lost updates to them; here there is one Map per concern,
// changed in place.)
import type { OrderedDocument } from '../bson/ordered.js';
import type { CatalogState } from '../parts.js';
import { sameBson, stringOf, toOrdered } from './documents.js';

export class CatalogBook {
  /** namespace → index name → original spec. */
  private readonly indexes = new Map<string, Map<string, OrderedDocument>>();
  /** namespace → the original expireAfterSeconds of a clustered collection. */
  private readonly clusteredTtls = new Map<string, unknown>();
  /** namespace → the UUID of the source collection copied into it. */
  private readonly sourceUuids = new Map<string, unknown>();

  /** Starts a namespace afresh (created by the clone or by a create event). */
  setCollection(
    namespace: string,
    specs: readonly OrderedDocument[],
    { clusteredTtl, sourceUuid }: { clusteredTtl?: unknown; sourceUuid?: unknown } = {},
  ): void {
    this.indexes.set(namespace, new Map());
    for (const spec of specs) this.record(namespace, spec);
    setOrDelete(this.clusteredTtls, namespace, clusteredTtl);
    setOrDelete(this.sourceUuids, namespace, sourceUuid);
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
    const spec = this.find(namespace, change);
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

  /** The spec a collMod `index` argument addresses: by name, or by key pattern. */
  private find(namespace: string, change: OrderedDocument): OrderedDocument | undefined {
    const name = stringOf(change, 'name');
    if (name !== undefined) return this.original(namespace, name);
    const keyPattern = change.get('keyPattern');
    return this.specs(namespace).find((spec) => sameBson(spec.get('key'), keyPattern));
  }

  dropIndex(namespace: string, name: string): void {
    this.indexes.get(namespace)?.delete(name);
  }

  dropCollection(namespace: string): void {
    this.indexes.delete(namespace);
    this.clusteredTtls.delete(namespace);
    this.sourceUuids.delete(namespace);
  }

  dropDatabase(db: string): void {
    for (const namespace of this.namespaces()) if (namespace.startsWith(`${db}.`)) this.dropCollection(namespace);
  }

  rename(from: string, to: string): void {
    const specs = this.indexes.get(from);
    const clusteredTtl = this.clusteredTtls.get(from);
    const sourceUuid = this.sourceUuids.get(from);
    this.dropCollection(to);
    this.dropCollection(from);
    if (specs) this.indexes.set(to, specs);
    setOrDelete(this.clusteredTtls, to, clusteredTtl);
    setOrDelete(this.sourceUuids, to, sourceUuid);
  }

  /** Whether the target namespace holds a copy of the source collection with this UUID. */
  copiedFrom(namespace: string, uuid: unknown): boolean {
    const known = this.sourceUuids.get(namespace);
    return known !== undefined && uuid !== undefined && sameBson(known, uuid);
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
    return {
      originalIndexes,
      clusteredTtl: Object.fromEntries(this.clusteredTtls),
      sourceUuids: Object.fromEntries(this.sourceUuids),
    };
  }

  load(state: CatalogState): void {
    this.indexes.clear();
    this.clusteredTtls.clear();
    this.sourceUuids.clear();
    for (const [namespace, specs] of Object.entries(state.originalIndexes)) {
      this.setCollection(namespace, specs.map(toOrdered));
    }
    for (const [namespace, ttl] of Object.entries(state.clusteredTtl ?? {})) this.clusteredTtls.set(namespace, ttl);
    for (const [namespace, uuid] of Object.entries(state.sourceUuids ?? {})) this.sourceUuids.set(namespace, uuid);
  }
}

function setOrDelete(map: Map<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}
