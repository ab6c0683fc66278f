// Query filters: evaluated by mingo over the match view of each document (bson/match-view.ts), with
// string comparisons by the operation's collation when it has one (query/mingo-context.ts).
import { Query } from 'mingo/query';
import type { Collation } from '../bson/collation.js';
import { toMatchDocument } from '../bson/match-view.js';
import type { BsonDoc } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { jsonSchemaValidator, rememberTypedDocument, usesJsonSchema } from './json-schema-filter.js';
import { mingoContext } from './mingo-context.js';

export type Predicate = (doc: BsonDoc) => boolean;

export const matchAll: Predicate = () => true;

/** `variables` are the command's evaluated `let` values, readable in $expr as $$name. */
export function compileFilter(filter: BsonDoc | undefined, variables?: BsonDoc, collation?: Collation): Predicate {
  if (!filter || filter.size === 0) return matchAll;
  const typed = usesJsonSchema(filter);
  let query: Query;
  try {
    query = new Query(toMatchDocument(filter), {
      context: mingoContext(collation),
      variables: variables ? toMatchDocument(variables) : undefined,
      jsonSchemaValidator,
    });
  } catch (error) {
    // A $jsonSchema is parsed while mingo compiles: its errors already carry mongod's codes.
    if (error instanceof CommandError) throw error;
    throw new CommandError('BadValue', error instanceof Error ? error.message : String(error));
  }
  return (doc) => {
    const view = toMatchDocument(doc);
    if (typed) rememberTypedDocument(view, doc);
    try {
      return query.test(view);
    } catch (error) {
      throw undefinedVariableError(error) ?? error;
    }
  };
}

const UNDEFINED_VARIABLE = /^Use of undefined variable: /;

/** mingo finds an unknown $$name only while evaluating; mongod reports it as 17276. */
function undefinedVariableError(error: unknown): CommandError | undefined {
  if (error instanceof Error && UNDEFINED_VARIABLE.test(error.message)) return new CommandError(17276, error.message);
  return undefined;
}
