// The change-stream updateDescription of a $v:2 delta, read the way mongod's
// change_stream_document_diff_parser reads it: each level reports its u, i and b sections as
// updatedFields, then its d section as removedFields, then descends into its sub-diffs in order;
// array diffs report l as truncatedArrays and u<i> as updatedFields "<array>.<i>". disambiguatedPaths
// lists the paths a dotted string cannot express (a numeric field name below the top level, or a
// field name containing a dot); change streams show it only with showExpandedEvents.
import { Int32, type BsonDoc, type BsonValue } from '../../bson/values.js';

const STRICT_NUMBER = /^(0|[1-9][0-9]*)$/;

interface Part {
  name: string;
  isIndex: boolean;
  ambiguous: boolean;
}

export function describeDiff(diff: BsonDoc): BsonDoc {
  const builder = new DescriptionBuilder();
  builder.document(diff);
  return builder.result();
}

class DescriptionBuilder {
  private readonly updatedFields: BsonDoc = new Map();
  private readonly removedFields: string[] = [];
  private readonly truncatedArrays: BsonDoc[] = [];
  private readonly disambiguatedPaths: BsonDoc = new Map();
  private readonly path: Part[] = [];

  result(): BsonDoc {
    return new Map<string, BsonValue>([
      ['updatedFields', this.updatedFields],
      ['removedFields', this.removedFields],
      ['truncatedArrays', this.truncatedArrays],
      ['disambiguatedPaths', this.disambiguatedPaths],
    ]);
  }

  document(diff: BsonDoc): void {
    for (const section of ['u', 'i', 'b']) {
      const entries = diff.get(section);
      if (entries instanceof Map)
        for (const [name, value] of entries) this.within(name, false, () => this.updated(value));
    }
    const deletes = diff.get('d');
    if (deletes instanceof Map) for (const name of deletes.keys()) this.within(name, false, () => this.removed());
    for (const [key, value] of diff) {
      if (!key.startsWith('s') || !(value instanceof Map)) continue;
      this.within(key.slice(1), false, () => this.subDiff(value));
    }
  }

  private array(diff: BsonDoc): void {
    const newSize = diff.get('l');
    if (newSize instanceof Int32) {
      this.truncatedArrays.push(
        new Map<string, BsonValue>([
          ['field', this.dotted()],
          ['newSize', newSize],
        ]),
      );
      this.disambiguate();
    }
    for (const [key, value] of diff) {
      if (key === 'a' || key === 'l') continue;
      const index = key.slice(1);
      if (key.startsWith('u')) this.within(index, true, () => this.updated(value));
      else if (key.startsWith('s') && value instanceof Map) this.within(index, true, () => this.subDiff(value));
    }
  }

  private subDiff(diff: BsonDoc): void {
    if (diff.get('a') === true) this.array(diff);
    else this.document(diff);
  }

  private updated(value: BsonValue): void {
    this.updatedFields.set(this.dotted(), value);
    this.disambiguate();
  }

  private removed(): void {
    this.removedFields.push(this.dotted());
    this.disambiguate();
  }

  private within(name: string, isIndex: boolean, body: () => void): void {
    const previous = this.path[this.path.length - 1];
    const numeric = !isIndex && this.path.length > 0 && STRICT_NUMBER.test(name);
    const dottedName = !isIndex && !numeric && name.includes('.');
    this.path.push({ name, isIndex, ambiguous: (previous?.ambiguous ?? false) || numeric || dottedName });
    try {
      body();
    } finally {
      this.path.pop();
    }
  }

  private dotted(): string {
    return this.path.map((part) => part.name).join('.');
  }

  private disambiguate(): void {
    if (!this.path[this.path.length - 1]?.ambiguous) return;
    this.disambiguatedPaths.set(
      this.dotted(),
      this.path.map((part) => (part.isIndex ? new Int32(Number(part.name)) : part.name)),
    );
  }
}
