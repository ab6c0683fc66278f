// The shape a parsed $jsonSchema takes: a list of rules, one per keyword (or pair of keywords), each
// judging one present value and, when it fails, saying why in the form mongod's document validation
// errors use (errInfo.details).
import { typeOf, type BsonDoc, type BsonValue } from '../bson/values.js';

export interface SchemaRule {
  /** Whether `value` (a value that is present) satisfies the rule. */
  matches(value: BsonValue): boolean;
  /** The error details for a `value` that failed the rule. */
  explain(value: BsonValue): BsonDoc[];
}

/** title and description, which mongod copies into the errors of the schema they annotate. */
export type Annotations = ReadonlyArray<readonly [string, string]>;

export class JsonSchema {
  constructor(
    private readonly rules: readonly SchemaRule[],
    readonly annotations: Annotations,
  ) {}

  matches(value: BsonValue): boolean {
    return this.rules.every((rule) => rule.matches(value));
  }

  /** The error details of every rule `value` fails, in the order mongod reports them. */
  failures(value: BsonValue): BsonDoc[] {
    return this.rules.filter((rule) => !rule.matches(value)).flatMap((rule) => rule.explain(value));
  }
}

/** Parses a nested schema (properties, items, allOf, ...); handed to the keyword groups to avoid cycles. */
export type SubschemaParser = (schema: BsonDoc) => JsonSchema;

/** An error-details document; fields left undefined are skipped. */
export function details(fields: Record<string, BsonValue | undefined>): BsonDoc {
  const doc: BsonDoc = new Map();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) doc.set(name, value);
  return doc;
}

/** `{operatorName, specifiedAs: {keyword: argument}}`, how most keyword errors start. */
export function keywordDetails(
  keyword: string,
  argument: BsonValue,
  more: Record<string, BsonValue | undefined> = {},
): BsonDoc {
  return details({ operatorName: keyword, specifiedAs: new Map([[keyword, argument]]), ...more });
}

/** Error details about a nested schema: `leading`, the schema's annotations, `trailing`, then its failures. */
export function subschemaDetails(
  leading: Record<string, BsonValue>,
  schema: JsonSchema,
  failures: BsonDoc[],
  trailing: Record<string, BsonValue> = {},
): BsonDoc {
  const doc = details(leading);
  for (const [name, text] of schema.annotations) doc.set(name, text);
  for (const [name, value] of Object.entries(trailing)) doc.set(name, value);
  doc.set('details', failures);
  return doc;
}

/**
 * A rule that only constrains values of `types` (JSON Schema's restriction keywords ignore other
 * types, as mongod's makeRestriction arranges).
 */
export function restrictedRule(
  types: readonly number[],
  test: (value: BsonValue) => boolean,
  explain: (value: BsonValue) => BsonDoc[],
): SchemaRule {
  return {
    matches: (value) => !types.includes(typeOf(value)) || test(value),
    explain,
  };
}
