// known-failures.json: { "<file basename>::<test description>": "<one-line reason>" }. Tests on
// the list may fail without failing the run; a listed test that passes, or a key naming no test,
// fails the run so the list cannot silently rot.
import { readFileSync, writeFileSync } from 'node:fs';
import { RunnerError } from './errors.js';
import { isDocument } from './values.js';

export type KnownFailures = Map<string, string>;

export function testKey(basename: string, description: string): string {
  return `${basename}::${description}`;
}

export function loadKnownFailures(file: string): KnownFailures {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return new Map();
    throw new RunnerError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isDocument(raw)) throw new RunnerError(`${file}: expected a JSON object`);
  const known: KnownFailures = new Map();
  for (const [key, reason] of Object.entries(raw)) {
    if (typeof reason !== 'string' || !key.includes('::'))
      throw new RunnerError(`${file}: entries must be "<file>::<test>": "<reason>" (bad entry ${JSON.stringify(key)})`);
    known.set(key, reason);
  }
  return known;
}

/** Write the list with sorted keys so diffs stay reviewable. */
export function saveKnownFailures(file: string, known: KnownFailures): void {
  const sorted = Object.fromEntries([...known.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
}
