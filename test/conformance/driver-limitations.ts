// Tests the official Node driver cannot pass against any server, because the driver itself
// deviates from the spec (the driver's own unified runner skips them for the same tickets). They
// are skipped with the ticket as the reason, so they are not mistaken for server failures.
// 'events' entries only matter when --events checks command monitoring expectations.

interface Limitation {
  reason: string;
  scope: 'always' | 'events';
}

const NULL_ID = 'NODE-6468: the driver replaces a null _id with a generated ObjectId before sending the insert';
const PARTIAL_RESULT = 'NODE-6384: the driver sets partialResult even when no write succeeded';
const BYPASS_FALSE = 'NODE-6484: the driver omits bypassDocumentValidation: false from the command';

const LIMITATIONS: Record<string, Limitation> = {
  'create-null-ids.json::inserting _id with type null via insertOne': { reason: NULL_ID, scope: 'always' },
  'create-null-ids.json::inserting _id with type null via insertMany': { reason: NULL_ID, scope: 'always' },
  'create-null-ids.json::inserting _id with type null via bulkWrite': { reason: NULL_ID, scope: 'always' },
  'create-null-ids.json::inserting _id with type null via clientBulkWrite': { reason: NULL_ID, scope: 'always' },
  'client-bulkWrite-partialResults.json::partialResult is unset when all operations fail during an unordered bulk write':
    { reason: PARTIAL_RESULT, scope: 'always' },
  'client-bulkWrite-partialResults.json::partialResult is unset when first operation fails during an ordered bulk write (summary)':
    { reason: PARTIAL_RESULT, scope: 'always' },
  'client-bulkWrite-partialResults.json::partialResult is unset when first operation fails during an ordered bulk write (verbose)':
    { reason: PARTIAL_RESULT, scope: 'always' },
  'bypassDocumentValidation.json::InsertMany passes bypassDocumentValidation: false': {
    reason: BYPASS_FALSE,
    scope: 'events',
  },
  'bypassDocumentValidation.json::FindOneAndUpdate passes bypassDocumentValidation: false': {
    reason: BYPASS_FALSE,
    scope: 'events',
  },
  'bypassDocumentValidation.json::FindOneAndReplace passes bypassDocumentValidation: false': {
    reason: BYPASS_FALSE,
    scope: 'events',
  },
  'bypassDocumentValidation.json::BulkWrite passes bypassDocumentValidation: false': {
    reason: BYPASS_FALSE,
    scope: 'events',
  },
  'bypassDocumentValidation.json::Aggregate with $out passes bypassDocumentValidation: false': {
    reason: BYPASS_FALSE,
    scope: 'events',
  },
};

/** The skip reason for a test the driver cannot pass, or null. */
export function driverLimitation(key: string, checkingEvents: boolean): string | null {
  const limitation = LIMITATIONS[key];
  if (!limitation || (limitation.scope === 'events' && !checkingEvents)) return null;
  return `Node driver limitation ${limitation.reason}`;
}

/** Keys listed here, so run.ts can flag entries that name no test. */
export function limitationKeys(): string[] {
  return Object.keys(LIMITATIONS);
}
