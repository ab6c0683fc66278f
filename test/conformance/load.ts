// Reads the unified test files (never copied into the project) and checks the parts of
// schema-latest.json the runner relies on. Files are parsed as canonical Extended JSON so that
// `1`, `{"$numberLong": "1"}` and `1.5` keep their BSON types on the way to the server.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BSON } from 'mongodb';
import { asNumber, isDocument } from './values.js';
import type {
  CollectionData,
  Doc,
  EntityDescription,
  ExpectedError,
  Operation,
  RunOnRequirement,
  TestCase,
  TestFile,
} from './types.js';

/** Highest schema version this runner implements (unified-test-format.md changelog). */
export const SUPPORTED_SCHEMA_VERSION = '1.28';
export const TEST_DIRECTORIES = ['crud', 'change-streams'] as const;

export class LoadError extends Error {
  override name = 'LoadError';
}

/** A file that could not be loaded; its tests (if any could be listed) are reported as failed. */
export interface BrokenFile {
  relPath: string;
  basename: string;
  dir: string;
  error: string;
  testDescriptions: string[];
}

const ENTITY_TYPES = ['client', 'clientEncryption', 'database', 'collection', 'session', 'bucket', 'thread'];

function fail(where: string, message: string): never {
  throw new LoadError(`${where}: ${message}`);
}

function doc(value: unknown, where: string): Doc {
  if (!isDocument(value)) fail(where, 'expected an object');
  return value;
}

function str(value: unknown, where: string): string {
  if (typeof value !== 'string') fail(where, 'expected a string');
  return value;
}

function optStr(value: unknown, where: string): string | undefined {
  return value === undefined ? undefined : str(value, where);
}

function bool(value: unknown, where: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(where, 'expected a boolean');
  return value;
}

function arr(value: unknown, where: string, nonEmpty = false): unknown[] {
  if (!Array.isArray(value)) fail(where, 'expected an array');
  if (nonEmpty && value.length === 0) fail(where, 'expected a non-empty array');
  return value;
}

function strings(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  return arr(value, where).map((v, i) => str(v, `${where}[${i}]`));
}

function onlyKeys(value: Doc, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) fail(where, `unknown field "${key}"`);
}

export function parseVersion(version: string): [number, number, number] {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10));
  if (parts.length === 0 || parts.length > 3 || parts.some((p) => !Number.isInteger(p) || p < 0))
    throw new LoadError(`malformed version string "${version}"`);
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
}

export function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Same major version and not newer than what the runner supports (spec "Test Runner Support"). */
export function schemaSupported(version: string): boolean {
  const wanted = parseVersion(version);
  const supported = parseVersion(SUPPORTED_SCHEMA_VERSION);
  return wanted[0] === supported[0] && compareVersions(wanted, supported) <= 0;
}

function requirements(value: unknown, where: string): RunOnRequirement[] | undefined {
  if (value === undefined) return undefined;
  return arr(value, where, true).map((item, i) => {
    const at = `${where}[${i}]`;
    const r = doc(item, at);
    onlyKeys(
      r,
      [
        'minServerVersion',
        'maxServerVersion',
        'topologies',
        'serverless',
        'serverParameters',
        'auth',
        'authMechanism',
        'csfle',
      ],
      at,
    );
    const serverless = optStr(r.serverless, `${at}.serverless`);
    if (serverless !== undefined && !['require', 'forbid', 'allow'].includes(serverless))
      fail(at, `bad serverless value "${serverless}"`);
    const minServerVersion = optStr(r.minServerVersion, `${at}.minServerVersion`);
    const maxServerVersion = optStr(r.maxServerVersion, `${at}.maxServerVersion`);
    if (minServerVersion) parseVersion(minServerVersion);
    if (maxServerVersion) parseVersion(maxServerVersion);
    const csfle = r.csfle;
    if (csfle !== undefined && typeof csfle !== 'boolean' && !isDocument(csfle))
      fail(at, 'csfle: expected a boolean or object');
    return {
      minServerVersion,
      maxServerVersion,
      topologies: strings(r.topologies, `${at}.topologies`),
      serverless: serverless as RunOnRequirement['serverless'],
      serverParameters:
        r.serverParameters === undefined ? undefined : doc(r.serverParameters, `${at}.serverParameters`),
      auth: bool(r.auth, `${at}.auth`),
      authMechanism: optStr(r.authMechanism, `${at}.authMechanism`),
      csfle,
    };
  });
}

export function parseEntity(value: unknown, where: string): EntityDescription {
  const e = doc(value, where);
  const keys = Object.keys(e);
  if (keys.length !== 1) fail(where, 'an entity must have exactly one key');
  const type = keys[0];
  if (!ENTITY_TYPES.includes(type)) fail(where, `unknown entity type "${type}"`);
  const spec = doc(e[type], `${where}.${type}`);
  return { type, id: str(spec.id, `${where}.${type}.id`), spec };
}

function collectionData(value: unknown, where: string): CollectionData {
  const c = doc(value, where);
  onlyKeys(c, ['collectionName', 'databaseName', 'createOptions', 'documents'], where);
  return {
    collectionName: str(c.collectionName, `${where}.collectionName`),
    databaseName: str(c.databaseName, `${where}.databaseName`),
    createOptions: c.createOptions === undefined ? undefined : doc(c.createOptions, `${where}.createOptions`),
    documents: arr(c.documents, `${where}.documents`).map((d, i) => doc(d, `${where}.documents[${i}]`)),
  };
}

function expectedError(value: unknown, where: string): ExpectedError {
  const e = doc(value, where);
  onlyKeys(
    e,
    [
      'isError',
      'isClientError',
      'isTimeoutError',
      'errorContains',
      'errorCode',
      'errorCodeName',
      'errorLabelsContain',
      'errorLabelsOmit',
      'writeErrors',
      'writeConcernErrors',
      'errorResponse',
      'expectResult',
    ],
    where,
  );
  if (Object.keys(e).length === 0) fail(where, 'expectError needs at least one assertion');
  if (e.isError === false) fail(where, 'isError must not be false');
  const errorCode = e.errorCode === undefined ? undefined : asNumber(e.errorCode);
  if (e.errorCode !== undefined && errorCode === undefined) fail(`${where}.errorCode`, 'expected an integer');
  return {
    isError: bool(e.isError, `${where}.isError`),
    isClientError: bool(e.isClientError, `${where}.isClientError`),
    isTimeoutError: bool(e.isTimeoutError, `${where}.isTimeoutError`),
    errorContains: optStr(e.errorContains, `${where}.errorContains`),
    errorCode,
    errorCodeName: optStr(e.errorCodeName, `${where}.errorCodeName`),
    errorLabelsContain: strings(e.errorLabelsContain, `${where}.errorLabelsContain`),
    errorLabelsOmit: strings(e.errorLabelsOmit, `${where}.errorLabelsOmit`),
    writeErrors: e.writeErrors === undefined ? undefined : doc(e.writeErrors, `${where}.writeErrors`),
    writeConcernErrors:
      e.writeConcernErrors === undefined
        ? undefined
        : arr(e.writeConcernErrors, `${where}.writeConcernErrors`).map((w, i) =>
            doc(w, `${where}.writeConcernErrors[${i}]`),
          ),
    errorResponse: e.errorResponse === undefined ? undefined : doc(e.errorResponse, `${where}.errorResponse`),
    hasExpectResult: 'expectResult' in e,
    expectResult: e.expectResult,
  };
}

export function parseOperation(value: unknown, where: string): Operation {
  const o = doc(value, where);
  onlyKeys(
    o,
    ['name', 'object', 'arguments', 'ignoreResultAndError', 'expectError', 'expectResult', 'saveResultAsEntity'],
    where,
  );
  const ignoreResultAndError = bool(o.ignoreResultAndError, `${where}.ignoreResultAndError`) ?? false;
  if (o.expectError !== undefined && 'expectResult' in o) fail(where, 'expectError and expectResult are exclusive');
  if (
    ignoreResultAndError &&
    (o.expectError !== undefined || 'expectResult' in o || o.saveResultAsEntity !== undefined)
  )
    fail(where, 'ignoreResultAndError excludes expectError, expectResult and saveResultAsEntity');
  return {
    name: str(o.name, `${where}.name`),
    object: str(o.object, `${where}.object`),
    arguments: o.arguments === undefined ? {} : doc(o.arguments, `${where}.arguments`),
    ignoreResultAndError,
    expectError: o.expectError === undefined ? undefined : expectedError(o.expectError, `${where}.expectError`),
    hasExpectResult: 'expectResult' in o,
    expectResult: o.expectResult,
    saveResultAsEntity: optStr(o.saveResultAsEntity, `${where}.saveResultAsEntity`),
  };
}

function testCase(value: unknown, where: string): TestCase {
  const t = doc(value, where);
  onlyKeys(
    t,
    [
      'description',
      'runOnRequirements',
      'skipReason',
      'operations',
      'expectEvents',
      'expectLogMessages',
      'expectTracingMessages',
      'outcome',
    ],
    where,
  );
  const description = str(t.description, `${where}.description`);
  const at = `${where} "${description}"`;
  return {
    description,
    runOnRequirements: requirements(t.runOnRequirements, `${at}.runOnRequirements`),
    skipReason: optStr(t.skipReason, `${at}.skipReason`),
    operations: arr(t.operations, `${at}.operations`).map((o, i) => parseOperation(o, `${at}.operations[${i}]`)),
    expectEvents:
      t.expectEvents === undefined
        ? undefined
        : arr(t.expectEvents, `${at}.expectEvents`, true).map((e, i) => doc(e, `${at}.expectEvents[${i}]`)),
    outcome:
      t.outcome === undefined
        ? undefined
        : arr(t.outcome, `${at}.outcome`, true).map((c, i) => collectionData(c, `${at}.outcome[${i}]`)),
  };
}

/** Parse and validate one file's text. Throws LoadError on anything the runner cannot honour. */
export function parseTestFile(text: string, relPath: string): TestFile {
  let raw: unknown;
  try {
    raw = BSON.EJSON.parse(text, { relaxed: false });
  } catch (error) {
    throw new LoadError(
      `${relPath}: not valid Extended JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const f = doc(raw, relPath);
  onlyKeys(
    f,
    ['description', 'schemaVersion', 'runOnRequirements', 'createEntities', 'initialData', 'tests', '_yamlAnchors'],
    relPath,
  );
  const schemaVersion = str(f.schemaVersion, `${relPath}.schemaVersion`);
  if (!schemaSupported(schemaVersion))
    fail(relPath, `schemaVersion ${schemaVersion} is not supported (runner implements ${SUPPORTED_SCHEMA_VERSION})`);
  const entities =
    f.createEntities === undefined
      ? []
      : arr(f.createEntities, `${relPath}.createEntities`, true).map((e, i) =>
          parseEntity(e, `${relPath}.createEntities[${i}]`),
        );
  const ids = new Set<string>();
  for (const e of entities) {
    if (ids.has(e.id)) fail(relPath, `duplicate entity id "${e.id}"`);
    ids.add(e.id);
  }
  const tests = arr(f.tests, `${relPath}.tests`, true).map((t, i) => testCase(t, `${relPath}.tests[${i}]`));
  const seen = new Set<string>();
  for (const t of tests) {
    // Descriptions are the key of the known-failure list, so they must be unique per file.
    if (seen.has(t.description)) fail(relPath, `duplicate test description "${t.description}"`);
    seen.add(t.description);
  }
  return {
    relPath,
    basename: path.basename(relPath),
    dir: relPath.split('/')[0],
    description: str(f.description, `${relPath}.description`),
    schemaVersion,
    runOnRequirements: requirements(f.runOnRequirements, `${relPath}.runOnRequirements`),
    createEntities: entities,
    initialData:
      f.initialData === undefined
        ? undefined
        : arr(f.initialData, `${relPath}.initialData`, true).map((c, i) =>
            collectionData(c, `${relPath}.initialData[${i}]`),
          ),
    tests,
  };
}

/** Best-effort list of test descriptions from a file that failed validation. */
function guessDescriptions(text: string): string[] {
  try {
    const raw: unknown = JSON.parse(text);
    const tests = isDocument(raw) ? raw.tests : undefined;
    if (!Array.isArray(tests)) return [];
    return tests.map((t) => (isDocument(t) && typeof t.description === 'string' ? t.description : '')).filter(Boolean);
  } catch {
    return [];
  }
}

/** Load every *.json test file below the conformance root, in a stable order. */
export function loadAll(root: string): { files: TestFile[]; broken: BrokenFile[] } {
  const files: TestFile[] = [];
  const broken: BrokenFile[] = [];
  for (const dir of TEST_DIRECTORIES) {
    const names = readdirSync(path.join(root, dir))
      .filter((n) => n.endsWith('.json'))
      .sort();
    for (const name of names) {
      const relPath = `${dir}/${name}`;
      const text = readFileSync(path.join(root, relPath), 'utf8');
      try {
        files.push(parseTestFile(text, relPath));
      } catch (error) {
        if (!(error instanceof LoadError)) throw error;
        broken.push({ relPath, basename: name, dir, error: error.message, testDescriptions: guessDescriptions(text) });
      }
    }
  }
  return { files, broken };
}
