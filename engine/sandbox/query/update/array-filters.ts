// The arrayFilters of an update: one filter per identifier, each written against the identifier as if
// it were a field holding the array element ({'i.grade': {$gte: 85}} tests element.grade).
import type { BsonDoc, BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';
import { compileFilter } from '../matcher.js';

export type ArrayFilters = ReadonlyMap<string, (value: BsonValue) => boolean>;

const IDENTIFIER = /^[a-z][a-zA-Z0-9]*$/;
const LOGICAL = new Set(['$and', '$or', '$nor']);

export function parseArrayFilters(filters: readonly BsonValue[] | undefined): ArrayFilters {
  const parsed = new Map<string, (value: BsonValue) => boolean>();
  for (const filter of filters ?? []) {
    if (!(filter instanceof Map)) throw new CommandError('TypeMismatch', 'Each array filter must be an object');
    const identifier = identifierOf(filter);
    if (identifier === undefined)
      throw new CommandError(
        'FailedToParse',
        'Cannot use an expression without a top-level field name in arrayFilters',
      );
    if (!IDENTIFIER.test(identifier))
      throw new CommandError(
        'BadValue',
        `Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '${identifier}'`,
      );
    if (parsed.has(identifier))
      throw new CommandError(
        'FailedToParse',
        `Found multiple array filters with the same top-level field name ${identifier}`,
      );
    const predicate = compileFilter(filter);
    parsed.set(identifier, (value) => predicate(new Map([[identifier, value]])));
  }
  return parsed;
}

/** The single top-level field name the filter's paths start with. */
function identifierOf(filter: BsonDoc): string | undefined {
  let found: string | undefined;
  const visit = (clause: BsonDoc): void => {
    for (const [key, value] of clause) {
      if (key.startsWith('$')) {
        if (LOGICAL.has(key) && Array.isArray(value))
          for (const nested of value) if (nested instanceof Map) visit(nested);
        continue;
      }
      const top = key.split('.')[0];
      if (found !== undefined && found !== top)
        throw new CommandError(
          'FailedToParse',
          `Error parsing array filter :: caused by :: Expected a single top-level field name, found '${found}' and '${top}'`,
        );
      found = top;
    }
  };
  visit(filter);
  return found;
}
