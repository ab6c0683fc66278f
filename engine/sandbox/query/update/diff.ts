// The $v:2 delta that an update writes to the oplog, built as a tree while the update runs (mongod's
// diff_tree and V2LogBuilder) and serialized in mongod's section order: d, u, i, then one s<field>
// per sub-diff in the order they were added; arrays as {a: true, l: <newSize>, u<i>/s<i>...} in index
// order. Change-stream update descriptions are derived from this serialized form (describe.ts).
import { Int32, type BsonDoc, type BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import { cloneValue, valueSize } from './elements.js';
import type { RuntimePath } from './paths.js';

type Leaf = { kind: 'update'; value: BsonValue } | { kind: 'insert'; value: BsonValue } | { kind: 'delete' };

export type DiffNode = Leaf | DocumentDiff | ArrayDiff | InsertedDocument;

type InternalNode = DocumentDiff | ArrayDiff | InsertedDocument;

// The approximate encoded sizes mongod tracks to decide whether a computed diff is worth logging.
const EMPTY_DOCUMENT_DIFF_SIZE = 5;
const EMPTY_ARRAY_DIFF_SIZE = 9;
const SECTION_WRAPPING_SIZE = 8;
const RESIZE_ENTRY_SIZE = 7;

function entrySize(nameBytes: number, node: DiffNode): number {
  const base = nameBytes + 2;
  switch (node.kind) {
    case 'update':
    case 'insert':
      return base + valueSize(node.value);
    case 'delete':
      return base + 1;
    default:
      return base + node.size;
  }
}

/** Changes inside a document that existed before the update. */
export class DocumentDiff {
  readonly kind = 'document';
  size: number;
  private readonly children = new Map<string, DiffNode>();
  private readonly deletes: string[] = [];
  private readonly updates: string[] = [];
  private readonly inserts: string[] = [];
  private readonly subDiffs: string[] = [];

  constructor(padding = 0) {
    this.size = padding + EMPTY_DOCUMENT_DIFF_SIZE;
  }

  child(name: string): DiffNode | undefined {
    return this.children.get(name);
  }

  get isEmpty(): boolean {
    return this.children.size === 0;
  }

  add(name: string, node: DiffNode): void {
    if (this.children.has(name)) throw new CommandError(7693400, `Document already has a field named '${name}'`);
    this.children.set(name, node);
    this.size += entrySize(Buffer.byteLength(name), node);
    const section = this.sectionOf(node);
    if (section === this.subDiffs) this.size += 1;
    else if (section.length === 0) this.size += SECTION_WRAPPING_SIZE;
    section.push(name);
  }

  serialize(): BsonDoc {
    const out: BsonDoc = new Map();
    if (this.deletes.length) out.set('d', new Map(this.deletes.map((name) => [name, false])));
    if (this.updates.length) out.set('u', this.serializeSection(this.updates));
    if (this.inserts.length) out.set('i', this.serializeSection(this.inserts));
    for (const name of this.subDiffs) out.set(`s${name}`, serializeNode(this.children.get(name) as DiffNode));
    return out;
  }

  private sectionOf(node: DiffNode): string[] {
    switch (node.kind) {
      case 'delete':
        return this.deletes;
      case 'update':
        return this.updates;
      case 'insert':
      case 'inserted':
        return this.inserts;
      default:
        return this.subDiffs;
    }
  }

  private serializeSection(names: string[]): BsonDoc {
    return new Map(names.map((name) => [name, serializeNode(this.children.get(name) as DiffNode)]));
  }
}

/** Changes inside an array that existed before the update. */
export class ArrayDiff {
  readonly kind = 'array';
  size = EMPTY_ARRAY_DIFF_SIZE;
  resize?: number;
  private readonly children = new Map<number, DiffNode>();

  child(name: string): DiffNode | undefined {
    return this.children.get(Number(name));
  }

  add(name: string, node: DiffNode): void {
    const index = Number(name);
    if (this.children.has(index)) throw new CommandError(7693400, `Array already has an entry at index ${index}`);
    this.children.set(index, node);
    this.size += entrySize(1 + String(index).length, node);
  }

  setResize(newSize: number): void {
    this.resize = newSize;
    this.size += RESIZE_ENTRY_SIZE;
  }

  serialize(): BsonDoc {
    const out: BsonDoc = new Map<string, BsonValue>([['a', true]]);
    if (this.resize !== undefined) out.set('l', new Int32(this.resize));
    for (const index of [...this.children.keys()].sort((x, y) => x - y)) {
      const node = this.children.get(index) as DiffNode;
      const section = node.kind === 'document' || node.kind === 'array' ? 's' : 'u';
      out.set(`${section}${index}`, serializeNode(node));
    }
    return out;
  }
}

/** A document the update created along a path: it is logged whole, as one insert. */
class InsertedDocument {
  readonly kind = 'inserted';
  readonly size = 0;
  private readonly children = new Map<string, DiffNode>();

  child(name: string): DiffNode | undefined {
    return this.children.get(name);
  }

  add(name: string, node: DiffNode): void {
    if (node.kind !== 'insert' && node.kind !== 'inserted')
      throw new CommandError('InternalError', `cannot log a ${node.kind} inside a created document`);
    this.children.set(name, node);
  }

  serialize(): BsonDoc {
    return new Map([...this.children].map(([name, node]) => [name, serializeNode(node)]));
  }
}

function serializeNode(node: DiffNode): BsonValue {
  switch (node.kind) {
    case 'update':
    case 'insert':
      return cloneValue(node.value);
    case 'delete':
      return false;
    default:
      return node.serialize();
  }
}

/** Records what an operator-style update changed, the way mongod's V2LogBuilder does. */
export class DiffLog {
  readonly root = new DocumentDiff();

  get isEmpty(): boolean {
    return this.root.isEmpty;
  }

  logUpdated(path: RuntimePath, value: BsonValue): void {
    this.addAt(path, { kind: 'update', value });
  }

  /** `firstNew` is the index of the first path component the update created. */
  logCreated(path: RuntimePath, firstNew: number, value: BsonValue): void {
    this.addAt(path, { kind: 'insert', value }, firstNew);
  }

  logDeleted(path: RuntimePath): void {
    this.addAt(path, { kind: 'delete' });
  }

  serialize(): BsonDoc {
    return this.root.serialize();
  }

  private addAt(path: RuntimePath, leaf: Leaf, firstNew?: number): void {
    let node: InternalNode = this.root;
    for (let i = 0; i < path.length - 1; i++) {
      const name = path[i].name;
      const existing: DiffNode | undefined = node.child(name);
      if (existing === undefined) {
        const created = internalNodeFor(path, i, firstNew !== undefined && i >= firstNew);
        node.add(name, created);
        node = created;
      } else if (existing.kind === 'document' || existing.kind === 'array' || existing.kind === 'inserted') {
        node = existing;
      } else {
        throw new CommandError('InternalError', `update logged twice at '${name}'`);
      }
    }
    node.add(path[path.length - 1].name, leaf);
  }
}

function internalNodeFor(path: RuntimePath, index: number, isNew: boolean): InternalNode {
  if (path[index + 1].isIndex) return new ArrayDiff();
  return isNew ? new InsertedDocument() : new DocumentDiff();
}
