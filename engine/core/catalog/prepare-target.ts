// Creating one source collection (or view) on the target before any of its documents are copied:
// the collection with all its source options, then its indexes in relaxed form (relaxed-index.ts).
// Building indexes first costs some insert speed, but spares a second pass over the data and lets
// the change stream's updates find their documents by index while the clone is still running.
import type { OrderedDocument } from '../bson/ordered.js';
import { FerryError } from '../errors.js';
import type { SourceCollection } from '../parts.js';
import { clusteredTtlOf, collationOf, createCommand, timeseriesUnsupported } from './collection-options.js';
import { toOrdered } from './documents.js';
import type { CatalogBook } from './book.js';
import { isBuiltIn, relaxIndex } from './relaxed-index.js';
import { serverCodeOf, type TargetCommands } from './target-commands.js';

const NAMESPACE_EXISTS = 48;

export async function prepareTarget(
  commands: TargetCommands,
  book: CatalogBook,
  collection: SourceCollection,
  { dropExisting }: { dropExisting: boolean },
): Promise<void> {
  const { db, name } = collection;
  const namespace = `${db}.${name}`;
  if (collection.kind === 'timeseries') throw timeseriesUnsupported(namespace);
  const options = toOrdered(collection.options);
  if (dropExisting) await commands.dropCollection(db, name);
  // Checked, not left to create: since MongoDB 7.0 creating an existing collection with the same
  // options succeeds, which would mix Ferry's copy into whatever the target already holds.
  else if (await commands.collection(db, name)) throw targetExists(namespace);
  await commands.run(db, createCommand(namespace, name, options), `create ${namespace}`).catch((error: unknown) => {
    throw serverCodeOf(error) === NAMESPACE_EXISTS ? targetExists(namespace, error) : error;
  });
  if (collection.kind === 'view') return;
  const specs = collection.indexes.map(toOrdered).filter((spec) => !isBuiltIn(spec));
  book.setCollection(namespace, specs, { clusteredTtl: clusteredTtlOf(options), sourceUuid: collection.uuid });
  await buildRelaxed(commands, db, name, specs, collationOf(options));
}

/** Builds the relaxed form of the given original specs (failures are logged; finalize retries them). */
export async function buildRelaxed(
  commands: TargetCommands,
  db: string,
  collection: string,
  originals: readonly OrderedDocument[],
  collectionCollation: OrderedDocument | undefined,
): Promise<void> {
  const relaxed = originals.filter((spec) => !isBuiltIn(spec)).map((spec) => relaxIndex(spec, collectionCollation));
  await commands.createIndexes(db, collection, relaxed);
}

function targetExists(namespace: string, cause?: unknown): FerryError {
  return new FerryError(
    {
      code: 'TARGET_NAMESPACE_EXISTS',
      message: `${namespace} already exists on the target`,
      remedy: 'Drop it on the target, exclude it, or allow Ferry to drop and recreate existing target namespaces.',
    },
    { cause },
  );
}
