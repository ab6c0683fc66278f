// Shapes of the unified test format (spec/unified-test-format.md) after load.ts has validated
// them. Values stay `unknown` wherever the format allows arbitrary Extended JSON, so every
// consumer has to narrow before use.

export type Doc = Record<string, unknown>;

export interface RunOnRequirement {
  minServerVersion?: string;
  maxServerVersion?: string;
  topologies?: string[];
  serverless?: 'require' | 'forbid' | 'allow';
  serverParameters?: Doc;
  auth?: boolean;
  authMechanism?: string;
  csfle?: boolean | Doc;
}

/** One entry of createEntities: exactly one key naming the entity type. */
export interface EntityDescription {
  type: string;
  id: string;
  spec: Doc;
}

export interface CollectionData {
  collectionName: string;
  databaseName: string;
  createOptions?: Doc;
  documents: Doc[];
}

export interface ExpectedError {
  isError?: boolean;
  isClientError?: boolean;
  isTimeoutError?: boolean;
  errorContains?: string;
  errorCode?: number;
  errorCodeName?: string;
  errorLabelsContain?: string[];
  errorLabelsOmit?: string[];
  writeErrors?: Doc;
  writeConcernErrors?: Doc[];
  errorResponse?: Doc;
  /** Present only when the test declares it; `undefined` is a legal expected value elsewhere. */
  hasExpectResult: boolean;
  expectResult?: unknown;
}

export interface Operation {
  name: string;
  object: string;
  arguments: Doc;
  ignoreResultAndError: boolean;
  expectError?: ExpectedError;
  hasExpectResult: boolean;
  expectResult?: unknown;
  saveResultAsEntity?: string;
}

export interface TestCase {
  description: string;
  runOnRequirements?: RunOnRequirement[];
  skipReason?: string;
  operations: Operation[];
  expectEvents?: Doc[];
  outcome?: CollectionData[];
}

export interface TestFile {
  /** Path relative to the conformance root, e.g. "crud/find.json". */
  relPath: string;
  /** File name, e.g. "find.json"; the first half of a known-failure key. */
  basename: string;
  /** First path segment: "crud" or "change-streams". */
  dir: string;
  description: string;
  schemaVersion: string;
  runOnRequirements?: RunOnRequirement[];
  createEntities: EntityDescription[];
  initialData?: CollectionData[];
  tests: TestCase[];
}
