// An update event's updateDescription into update operators:
//   updatedFields   -> $set
//   removedFields   -> $unset
//   truncatedArrays -> $push: {<field>: {$each: [], $slice: newSize}}
//
// MongoDB refuses one update whose paths conflict: two equal paths, or one a prefix of the other
// ('a' and 'a.b'), as happens when an element of a truncated array is also updated
// (truncatedArrays 'arr' with updatedFields 'arr.1.b'). Entries that conflict with earlier ones go
// into follow-up updates applied after the main one, in order; each follow-up is kept small (at most
// 100 fields and about 512 KiB) so no update grows past the server's limits (PCSM-294/305).
//
// Field names that a dotted path cannot address. An update path is split at every dot, and a
// component starting with '$' is refused by $set and $unset (MongoDB 5.0+ stores such names, but only
// $setField and $unsetField in a pipeline update can reach them). So a field named "a.b", "$price" or
// "" cannot be written by $set at all: `{$set: {'a.b': 1}}` writes field b inside field a. The
// change event's key is ambiguous the same way; since 6.1 disambiguatedPaths gives the real components
// (strings for field names, integers for array indexes). A pipeline of nested $setField/$getField
// could reach such fields in documents, but not inside arrays without rebuilding them with $map; a
// 'refetch' (read the document from the source, replace it on the target) is correct in every case
// and these names are rare, so any such path turns the whole event into one refetch.
//
// Numeric names need no special handling: 'a.0' means index 0 if a is an array and field "0" if a
// is a document, on the target as on the source, because both hold the same shape at that point of
// the stream. disambiguatedPaths only matters here for the names with dots it reveals.
//
// Sources before 6.1 send no disambiguatedPaths, so a dotted field name is indistinguishable from a
// path there; preflight must warn about it.
import { BSON, Int32 } from 'mongodb';
import type { OrderedDocument } from '../bson/ordered.js';
import { arrayField, malformedEvent } from './event-fields.js';
import type { WriteOp } from './translate.js';

export const FOLLOW_UP_MAX_FIELDS = 100;
export const FOLLOW_UP_MAX_BYTES = 512 * 1024;

type Operator = '$push' | '$set' | '$unset';

interface Entry {
  operator: Operator;
  components: string[];
  value: unknown;
}

export function translateUpdate(documentKey: OrderedDocument, description: OrderedDocument): WriteOp[] {
  const entries = readEntries(description);
  if (entries === 'refetch') return [{ kind: 'refetch', documentKey }];
  return splitConflicts(entries).map((group) => ({ kind: 'updateOne', filter: documentKey, update: updateOf(group) }));
}

/** The description's entries, truncations first (they go in the main update), or 'refetch'. */
function readEntries(description: OrderedDocument): Entry[] | 'refetch' {
  const disambiguated = description.get('disambiguatedPaths');
  const resolve = (key: unknown): string[] | undefined => {
    if (typeof key !== 'string') throw malformedEvent('an update path is not a string');
    return addressable(key, disambiguated instanceof Map ? disambiguated.get(key) : undefined);
  };
  const entries: Entry[] = [];
  for (const truncation of arrayField(description, 'truncatedArrays')) {
    if (!(truncation instanceof Map)) throw malformedEvent('a truncatedArrays entry is not a document');
    const components = resolve(truncation.get('field'));
    const newSize = Number(truncation.get('newSize'));
    if (!components) return 'refetch';
    if (!Number.isInteger(newSize) || newSize < 0) throw malformedEvent('truncatedArrays.newSize is not a size');
    const value = new Map<string, unknown>([
      ['$each', []],
      ['$slice', new Int32(newSize)],
    ]);
    entries.push({ operator: '$push', components, value });
  }
  const updated = description.get('updatedFields') ?? new Map();
  if (!(updated instanceof Map)) throw malformedEvent('updatedFields is not a document');
  for (const [key, value] of updated) {
    const components = resolve(key);
    if (!components) return 'refetch';
    entries.push({ operator: '$set', components, value });
  }
  for (const key of arrayField(description, 'removedFields')) {
    const components = resolve(key);
    if (!components) return 'refetch';
    entries.push({ operator: '$unset', components, value: '' });
  }
  return entries;
}

/** The path's components when a dotted path can address it, else undefined. */
function addressable(key: string, disambiguated: unknown): string[] | undefined {
  let components: string[];
  if (disambiguated === undefined) components = key.split('.');
  else if (Array.isArray(disambiguated)) {
    components = disambiguated.map((component) => {
      if (typeof component === 'string') return component;
      if (component instanceof Int32 || typeof component === 'number') return String(Number(component));
      throw malformedEvent(`disambiguatedPaths for ${key} holds a ${typeof component}`);
    });
    if (components.some((component) => component.includes('.'))) return undefined;
  } else throw malformedEvent(`disambiguatedPaths for ${key} is not an array`);
  if (components.some((component) => component === '' || component.startsWith('$'))) return undefined;
  return components;
}

interface PathNode {
  children: Map<string, PathNode>;
  /** Latest group holding an entry whose path ends here; -1 when none. */
  endsHere: number;
  /** Latest group holding an entry whose path ends here or below. */
  atOrBelow: number;
}

interface Group {
  entries: Entry[];
  bytes: number;
}

/**
 * Places each entry in the earliest update after every update holding a conflicting earlier entry,
 * so conflicting entries keep their order. Group 0 is the main update and has no size limit (it is
 * bounded by the event's own size); follow-ups have. Paths are kept in a tree of components, so the
 * search costs the length of the paths rather than comparing every pair of the (maybe thousands of)
 * fields of one update.
 */
function splitConflicts(entries: Entry[]): Entry[][] {
  const root = pathNode();
  const groups: Group[] = [];
  for (const item of entries) {
    let node = root;
    let earliest = 0;
    const visited: PathNode[] = [];
    for (const component of item.components) {
      let child = node.children.get(component);
      if (!child) node.children.set(component, (child = pathNode()));
      node = child;
      visited.push(node);
      earliest = Math.max(earliest, node.endsHere + 1);
    }
    earliest = Math.max(earliest, node.atOrBelow + 1);
    const placed = place(groups, item, earliest);
    node.endsHere = Math.max(node.endsHere, placed);
    for (const ancestor of visited) ancestor.atOrBelow = Math.max(ancestor.atOrBelow, placed);
  }
  return groups.map((group) => group.entries);
}

function place(groups: Group[], item: Entry, earliest: number): number {
  if (groups.length === 0) groups.push({ entries: [], bytes: 0 });
  if (earliest === 0) {
    groups[0].entries.push(item);
    return 0;
  }
  // The entry's share of an update document: its path, its value and their framing.
  const bytes = BSON.calculateObjectSize(new Map([[item.components.join('.'), item.value]]));
  for (let index = earliest; ; index++) {
    if (index === groups.length) groups.push({ entries: [], bytes: 0 });
    const group = groups[index];
    const fits =
      group.entries.length === 0 ||
      (group.entries.length < FOLLOW_UP_MAX_FIELDS && group.bytes + bytes <= FOLLOW_UP_MAX_BYTES);
    if (fits) {
      group.entries.push(item);
      group.bytes += bytes;
      return index;
    }
  }
}

function pathNode(): PathNode {
  return { children: new Map(), endsHere: -1, atOrBelow: -1 };
}

function updateOf(entries: Entry[]): OrderedDocument {
  const update: OrderedDocument = new Map();
  for (const { operator, components, value } of entries) {
    let fields = update.get(operator) as OrderedDocument | undefined;
    if (!fields) update.set(operator, (fields = new Map()));
    fields.set(components.join('.'), value);
  }
  return update;
}
