// The $v:2 oplog diff of an update, rebuilt from the change-stream updateDescription the writer keeps
// (query/update/describe.ts reads a diff into that description; this is the way back). A path
// component below the top level that looks like a number is an array index unless
// disambiguatedPaths lists the path, as the description's rules guarantee.
import { Int32, type BsonDoc, type BsonValue } from '../bson/values.js';
import { numberOption } from '../storage/writer.js';

type Component = { field: string } | { index: number };

class DiffNode {
  isArray = false;
  newSize?: number;
  readonly deletes: string[] = [];
  readonly updates = new Map<string, BsonValue>();
  readonly children = new Map<string, DiffNode>();

  child(key: string): DiffNode {
    let node = this.children.get(key);
    if (!node) this.children.set(key, (node = new DiffNode()));
    return node;
  }

  toDiff(): BsonDoc {
    const diff: BsonDoc = new Map();
    if (this.isArray) {
      diff.set('a', true);
      if (this.newSize !== undefined) diff.set('l', new Int32(this.newSize));
      for (const [key, value] of this.updates) diff.set(`u${key}`, value);
    } else {
      if (this.deletes.length) diff.set('d', new Map(this.deletes.map((name) => [name, false])));
      if (this.updates.size) diff.set('u', new Map(this.updates));
    }
    for (const [key, node] of this.children) diff.set(`s${key}`, node.toDiff());
    return diff;
  }
}

function componentsOf(path: string, disambiguated: BsonDoc | undefined): Component[] {
  const listed = disambiguated?.get(path);
  if (Array.isArray(listed))
    return listed.map((part) => (typeof part === 'string' ? { field: part } : { index: numberOption(part) ?? 0 }));
  return path
    .split('.')
    .map((part, position) =>
      position > 0 && /^(0|[1-9][0-9]*)$/.test(part) ? { index: Number(part) } : { field: part },
    );
}

function keyOf(component: Component): string {
  return 'field' in component ? component.field : String(component.index);
}

/** The node for the container holding the last component, marking arrays on the way down. */
function parentNode(root: DiffNode, components: Component[]): DiffNode {
  let node = root;
  for (let position = 0; position < components.length - 1; position++) {
    node = node.child(keyOf(components[position]));
    node.isArray = 'index' in components[position + 1];
  }
  return node;
}

export function updateDiffOf(description: BsonDoc): BsonDoc {
  const root = new DiffNode();
  const disambiguated = description.get('disambiguatedPaths');
  const paths = disambiguated instanceof Map ? disambiguated : undefined;
  const updated = description.get('updatedFields');
  if (updated instanceof Map)
    for (const [path, value] of updated) {
      const components = componentsOf(path, paths);
      parentNode(root, components).updates.set(keyOf(components[components.length - 1]), value);
    }
  const removed = description.get('removedFields');
  if (Array.isArray(removed))
    for (const path of removed) {
      if (typeof path !== 'string') continue;
      const components = componentsOf(path, paths);
      parentNode(root, components).deletes.push(keyOf(components[components.length - 1]));
    }
  const truncated = description.get('truncatedArrays');
  if (Array.isArray(truncated))
    for (const entry of truncated) {
      const field = entry instanceof Map ? entry.get('field') : undefined;
      if (!(entry instanceof Map) || typeof field !== 'string') continue;
      const components = componentsOf(field, paths);
      const node = parentNode(root, components).child(keyOf(components[components.length - 1]));
      node.isArray = true;
      node.newSize = numberOption(entry.get('newSize'));
    }
  return root.toDiff();
}
