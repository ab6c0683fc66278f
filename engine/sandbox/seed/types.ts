// What a demo generator produces: collections (or views) with their options, documents and indexes.
import type { CreateCollectionOptions, Document, IndexDescription } from 'mongodb';

export interface DemoCollection {
  readonly name: string;
  readonly options?: CreateCollectionOptions;
  readonly documents?: readonly Document[];
  readonly indexes?: readonly IndexDescription[];
}

export interface DemoDatabase {
  readonly name: string;
  readonly collections: readonly DemoCollection[];
}
