// Relaxed indexes: while the target is being synced, indexes are built in a form that cannot reject or
// delete anything the source still has, because documents arrive out of order (parallel segments,
// parallel appliers) and deletes must come from the source's own stream:
// - unique -> built non-unique (two documents may briefly share a key while their updates are in flight);
// - prepareUnique -> dropped (it refuses new duplicates, the same problem);
// - TTL -> expireAfterSeconds = 2147483647, so the target's TTL monitor deletes nothing;
// - hidden -> visible (a hidden index serves no reads, but a visible one can be checked by the verifier).
// The original spec is kept verbatim in the catalog and restored at finalize (restoreSteps).
import { Double, Int32, Long } from 'mongodb';
import type { OrderedDocument } from '../bson/ordered.js';
import { numberOf, sameBson, subDocument } from './documents.js';

/** The largest expireAfterSeconds MongoDB accepts: about 68 years. */
export const RELAXED_TTL_SECONDS = 2_147_483_647;

/** The relaxed TTL, in the numeric type of the original so the spec keeps its shape. */
export function relaxedTtl(original: unknown): unknown {
  if (original instanceof Long) return Long.fromNumber(RELAXED_TTL_SECONDS);
  if (original instanceof Double) return new Double(RELAXED_TTL_SECONDS);
  if (original instanceof Int32) return new Int32(RELAXED_TTL_SECONDS);
  return RELAXED_TTL_SECONDS;
}

/** The _id index comes with the collection; a clustered collection's index is the collection itself. */
export function isBuiltIn(spec: OrderedDocument): boolean {
  return spec.get('name') === '_id_' || spec.get('clustered') === true;
}

/**
 * The spec to build on the target. `collectionCollation` is the collection's default collation: an
 * index without a collation of its own would inherit it, but on the source it means the simple
 * collation (listIndexes shows inherited collations explicitly), so it is asked for explicitly.
 */
export function relaxIndex(original: OrderedDocument, collectionCollation?: OrderedDocument): OrderedDocument {
  return buildable(original, collectionCollation, true);
}

/** The original spec in a form createIndexes accepts (used to rebuild an index at finalize). */
export function buildableOriginal(original: OrderedDocument, collectionCollation?: OrderedDocument): OrderedDocument {
  return buildable(original, collectionCollation, false);
}

function buildable(
  original: OrderedDocument,
  collectionCollation: OrderedDocument | undefined,
  relax: boolean,
): OrderedDocument {
  const spec: OrderedDocument = new Map();
  for (const [name, value] of original) {
    // `ns` is only reported by servers before 4.4; createIndexes takes the namespace from the command.
    if (name === 'ns') continue;
    if (relax && (name === 'unique' || name === 'prepareUnique' || name === 'hidden')) continue;
    spec.set(name, relax && name === 'expireAfterSeconds' ? relaxedTtl(value) : value);
  }
  if (collectionCollation && !spec.has('collation')) spec.set('collation', new Map([['locale', 'simple']]));
  return spec;
}

/** One collMod `index` argument (`{name, <option>: value}`) that moves the target towards the original. */
export type RestoreStep = OrderedDocument;

/**
 * The collMods that turn the target's index (`current`, from listIndexes) back into the original,
 * in the order MongoDB requires: prepareUnique before unique, so new duplicates are refused while the
 * conversion checks the existing ones. Empty when nothing differs, so finalize can be run again.
 */
export function restoreSteps(original: OrderedDocument, current: OrderedDocument): RestoreStep[] {
  const name = original.get('name');
  const step = (option: string, value: unknown): RestoreStep =>
    new Map<string, unknown>([
      ['name', name],
      [option, value],
    ]);
  const steps: RestoreStep[] = [];
  const wantsUnique = original.get('unique') === true;
  if (wantsUnique && current.get('unique') !== true) {
    if (current.get('prepareUnique') !== true) steps.push(step('prepareUnique', true));
    steps.push(step('unique', true));
  } else if (!wantsUnique && original.get('prepareUnique') === true && current.get('prepareUnique') !== true) {
    steps.push(step('prepareUnique', true));
  }
  const ttl = original.get('expireAfterSeconds');
  if (ttl !== undefined && !sameNumber(ttl, current.get('expireAfterSeconds')))
    steps.push(step('expireAfterSeconds', ttl));
  const hidden = original.get('hidden');
  if (typeof hidden === 'boolean' && hidden !== (current.get('hidden') === true)) steps.push(step('hidden', hidden));
  return steps;
}

function sameNumber(a: unknown, b: unknown): boolean {
  return b !== undefined && (sameBson(a, b) || numberOf(a) === numberOf(b));
}

/** The key pattern of an index, for reports. */
export function indexKey(spec: OrderedDocument): OrderedDocument {
  return subDocument(spec, 'key') ?? new Map();
}
