// The $v:2 delta between a pre-image and a post-image, computed as mongod's document_diff_calculator
// does for pipeline-style updates: fields compared in order, documents and arrays of the same type
// diffed recursively, arrays per index with a resize when they shrink. A sub-diff bigger than the value
// it describes is replaced by the value; a diff bigger than the whole post-image means the update is
// logged as a replacement instead (undefined).
import { encodeDocument } from '../../bson/encode.js';
import { compareStrings } from '../../bson/compare.js';
import type { BsonDoc, BsonValue } from '../../bson/values.js';
import { ArrayDiff, DocumentDiff } from './diff.js';
import { identicalValues } from './elements.js';

/** Room for the {$v: 2, diff: ...} wrapper around the delta. */
const DELTA_ENTRY_METADATA_SIZE = 15;

export function computeDiff(pre: BsonDoc, post: BsonDoc): BsonDoc | undefined {
  return documentDiff(pre, post, DELTA_ENTRY_METADATA_SIZE)?.serialize();
}

function documentDiff(pre: BsonDoc, post: BsonDoc, padding = 0): DocumentDiff | undefined {
  const node = new DocumentDiff(padding);
  const postSize = encodeDocument(post).length;
  const before = [...pre];
  const after = [...post];
  const deletes = new Set<string>();
  let i = 0;
  let j = 0;
  while (i < before.length && j < after.length) {
    if (postSize < node.size) return undefined;
    const [name, preValue] = before[i];
    const [postName, postValue] = after[j];
    if (name !== postName) {
      // Dropped here; if the name comes later in the post-image it becomes an insert instead.
      deletes.add(name);
      i++;
      continue;
    }
    if (!identicalValues(preValue, postValue)) addChange(node, name, preValue, postValue);
    i++;
    j++;
  }
  for (; i < before.length; i++) node.add(before[i][0], { kind: 'delete' });
  for (; j < after.length; j++) {
    const [name, value] = after[j];
    node.add(name, { kind: 'insert', value });
    deletes.delete(name);
  }
  for (const name of [...deletes].sort(compareStrings)) node.add(name, { kind: 'delete' });
  return postSize > node.size ? node : undefined;
}

function arrayDiff(pre: BsonValue[], post: BsonValue[]): ArrayDiff | undefined {
  const node = new ArrayDiff();
  const postSize = encodeDocument(post).length;
  const common = Math.min(pre.length, post.length);
  for (let i = 0; i < common; i++) {
    if (postSize < node.size) return undefined;
    if (!identicalValues(pre[i], post[i])) addChange(node, String(i), pre[i], post[i]);
  }
  for (let i = common; i < post.length; i++) node.add(String(i), { kind: 'update', value: post[i] });
  if (pre.length > post.length) node.setResize(post.length);
  return postSize > node.size ? node : undefined;
}

function addChange(parent: DocumentDiff | ArrayDiff, name: string, preValue: BsonValue, postValue: BsonValue): void {
  let sub: DocumentDiff | ArrayDiff | undefined;
  if (preValue instanceof Map && postValue instanceof Map) sub = documentDiff(preValue, postValue);
  else if (Array.isArray(preValue) && Array.isArray(postValue)) sub = arrayDiff(preValue, postValue);
  parent.add(name, sub ?? { kind: 'update', value: postValue });
}
