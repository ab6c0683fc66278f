// Databases and their collections (views included). A database exists while it holds a collection.
import { CommandError } from '../errors.js';
import type { BsonDoc } from '../bson/values.js';
import { Collection } from './collection.js';
import { idIndexSpec } from './indexes.js';

export function splitNamespace(ns: string): { db: string; coll: string } {
  const dot = ns.indexOf('.');
  if (dot < 0) return { db: ns, coll: '' };
  return { db: ns.slice(0, dot), coll: ns.slice(dot + 1) };
}

export function validateCollectionName(db: string, name: string): void {
  if (!db || /[/\\. "$\0]/.test(db)) throw new CommandError('InvalidNamespace', `Invalid database name: '${db}'`);
  if (!name || name.includes('\0') || name.startsWith('.') || (name.includes('$') && !name.startsWith('$cmd')))
    throw new CommandError('InvalidNamespace', `Invalid collection name: ${name}`);
}

export class Catalog {
  readonly databases = new Map<string, Map<string, Collection>>();

  get(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /**
   * Creates the collection with its _id index (`idIndex`, when given, replaces the default spec: a
   * collection with a collation gives its _id index that collation); the caller checked that it does
   * not exist.
   */
  create(db: string, name: string, options: BsonDoc, uuid?: Collection['uuid'], idIndex?: BsonDoc): Collection {
    validateCollectionName(db, name);
    const collection = new Collection(db, name, options, uuid);
    if (!collection.isView && !options.has('clusteredIndex')) collection.indexes.create(idIndex ?? idIndexSpec(), []);
    let collections = this.databases.get(db);
    if (!collections) this.databases.set(db, (collections = new Map()));
    collections.set(name, collection);
    return collection;
  }

  drop(db: string, name: string): Collection | undefined {
    const collections = this.databases.get(db);
    const collection = collections?.get(name);
    if (!collections || !collection) return undefined;
    collections.delete(name);
    if (collections.size === 0) this.databases.delete(db);
    return collection;
  }

  /** Moves a collection to a new namespace, keeping its UUID, documents and indexes. */
  rename(collection: Collection, db: string, name: string): void {
    this.drop(collection.db, collection.name);
    validateCollectionName(db, name);
    collection.db = db;
    collection.name = name;
    let collections = this.databases.get(db);
    if (!collections) this.databases.set(db, (collections = new Map()));
    collections.set(name, collection);
  }

  collections(db: string): Collection[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }

  all(): Collection[] {
    return [...this.databases.values()].flatMap((collections) => [...collections.values()]);
  }
}
