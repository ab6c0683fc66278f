// Which applier gets an event. Events with the same key go to the same applier, which writes them in
// stream order; that per-document order is what lets idempotent deltas converge (translate.ts).
// Capped collections go by namespace alone: their documents must be inserted in stream order, since
// the target evicts by insertion order, not by _id.

// FNV-1a, 32 bits: fast, good spread over short keys, no dependencies. Routing only needs the same
// key to reach the same applier within one process (nothing is persisted), so the namespace is
// hashed as its UTF-16 code units rather than encoded first.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The applier (0 … workers-1) for an event on `namespace` with the raw BSON bytes of its documentKey. */
export function routeKey(namespace: string, documentKey: Uint8Array, workers: number, capped = false): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < namespace.length; i++) {
    const unit = namespace.charCodeAt(i);
    hash = Math.imul(hash ^ (unit & 0xff), FNV_PRIME);
    hash = Math.imul(hash ^ (unit >>> 8), FNV_PRIME);
  }
  if (!capped) {
    for (let i = 0; i < documentKey.length; i++) hash = Math.imul(hash ^ documentKey[i], FNV_PRIME);
  }
  return (hash >>> 0) % workers;
}
