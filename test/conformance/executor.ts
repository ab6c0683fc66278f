// Executes one test (spec "Executing a Test"): initial data through the internal client, fresh
// entities, operations with their result/error assertions, expectEvents, outcome, and a cleanup
// that always runs (fail points off, entities closed). The whole test runs under a time limit so
// one hung iteration cannot stall the run.
import type { MongoClient } from 'mongodb';
import { checkArgumentNames, prepareArguments } from './arguments.js';
import { setAsideCrashes, takeCrashes } from './crashes.js';
import { summarizeError } from './driver-errors.js';
import { driverLimitation } from './driver-limitations.js';
import { EntityMap } from './entities.js';
import { AssertionFailure, RunnerError } from './errors.js';
import { checkEvents, countEvents, type EventTally } from './events.js';
import { testKey } from './known.js';
import { errorMismatch, matchResult, outcomeMismatch } from './matcher.js';
import { decodeRaw, type OperationContext } from './operation-types.js';
import { entityFromResult, lookupOperation } from './operations.js';
import { unmetRequirements, type ServerFacts } from './requirements.js';
import { toResultDocument } from './results.js';
import { asNumber, describe } from './values.js';
import type { CollectionData, Operation, TestCase, TestFile } from './types.js';

export interface ExecutorConfig {
  uri: string;
  internal: MongoClient;
  facts: ServerFacts;
  timeoutMs: number;
  checkEvents: boolean;
}

export type TestStatus = 'passed' | 'failed' | 'skipped';

export interface TestResult {
  file: TestFile;
  description: string;
  status: TestStatus;
  reason?: string;
  durationMs: number;
  eventsSkipped: EventTally;
}

const MAJORITY = { writeConcern: { w: 'majority' } } as const;
const NAMESPACE_NOT_FOUND = 26;

/** Thrown inside the test body; carries the one-line reason the report prints. */
class TestFailure extends Error {
  override name = 'TestFailure';
}

function codeOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? asNumber((error as { code?: unknown }).code) : undefined;
}

async function setUpCollections(internal: MongoClient, data: CollectionData[]): Promise<void> {
  for (const { databaseName, collectionName, createOptions, documents } of data) {
    const db = internal.db(databaseName);
    try {
      await db.command({ drop: collectionName, ...MAJORITY });
    } catch (error) {
      if (codeOf(error) !== NAMESPACE_NOT_FOUND) throw error;
    }
    // enxcol_ collections are only created by queryable encryption, which no test here uses.
    if (createOptions) await db.command({ create: collectionName, ...createOptions, ...MAJORITY });
    if (documents.length > 0) await db.collection(collectionName).insertMany(documents, MAJORITY);
    else if (!createOptions) await db.command({ create: collectionName, ...MAJORITY });
  }
}

async function checkOutcome(internal: MongoClient, outcome: CollectionData[]): Promise<string | null> {
  for (const { databaseName, collectionName, documents } of outcome) {
    const actual = await internal
      .db(databaseName)
      .collection(collectionName)
      .find({}, { sort: { _id: 1 }, readPreference: 'primary', readConcern: { level: 'local' }, raw: true })
      .toArray()
      .then((docs) => docs.map(decodeRaw));
    const mismatch = outcomeMismatch(documents, actual, `${databaseName}.${collectionName}`);
    if (mismatch) return mismatch;
  }
  return null;
}

/** Run one operation and evaluate its assertions (spec "Executing an Operation"). */
async function executeOperation(op: Operation, label: string, ctx: OperationContext): Promise<void> {
  const kind = op.object === 'testRunner' ? 'testRunner' : ctx.entities.get(op.object).kind;
  const def = lookupOperation(kind, op.name);
  checkArgumentNames(op.arguments, def, `${label}`);
  const args = prepareArguments(op.arguments, ctx.entities);

  let result: unknown;
  let error: unknown;
  let threw = false;
  try {
    result = await def.run({ name: op.name, object: op.object, raw: op.arguments, args }, ctx);
  } catch (caught) {
    // Runner problems and failed special assertions are never an operation's expected error.
    if (caught instanceof RunnerError || caught instanceof AssertionFailure || caught instanceof TestFailure)
      throw caught;
    threw = true;
    error = caught;
  }
  if (op.ignoreResultAndError) return;

  if (op.expectError) {
    if (!threw)
      throw new TestFailure(`${label}: expected an error, got ${describe(toResultDocument(op.name, result))}`);
    const mismatch = errorMismatch(op.expectError, error, ctx.entities);
    if (mismatch) throw new TestFailure(`${label}: expectError: ${mismatch}`);
    return;
  }
  if (threw) throw new TestFailure(`${label}: unexpected error: ${summarizeError(error)}`);

  if (op.hasExpectResult) {
    const mismatch = matchResult(op.expectResult, toResultDocument(op.name, result), def.shape ?? 'root', ctx.entities);
    if (mismatch) throw new TestFailure(`${label}: expectResult ${mismatch}`);
  }
  if (op.saveResultAsEntity) ctx.entities.add(op.saveResultAsEntity, entityFromResult(result));
}

async function runOperations(
  operations: Operation[],
  ctx: OperationContext,
  aborted: () => boolean,
  prefix = '',
): Promise<void> {
  for (const [index, op] of operations.entries()) {
    if (aborted()) return;
    await executeOperation(op, `${prefix}operation ${index} (${op.name})`, ctx);
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof TestFailure || error instanceof AssertionFailure) return error.message;
  if (error instanceof RunnerError) return `runner: ${error.message}`;
  return `unexpected: ${summarizeError(error)}`;
}

/** Resolve after `ms`, unless cancelled; used to bound the test body and its cleanup. */
function deadline(ms: number): { promise: Promise<'timeout'>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export async function runTest(file: TestFile, test: TestCase, config: ExecutorConfig): Promise<TestResult> {
  const started = Date.now();
  setAsideCrashes();
  const base = { file, description: test.description, eventsSkipped: { blocks: 0, events: 0 } };
  const finish = (status: TestStatus, reason?: string, eventsSkipped?: EventTally): TestResult => ({
    ...base,
    status,
    reason,
    durationMs: Date.now() - started,
    ...(eventsSkipped && { eventsSkipped }),
  });

  if (test.skipReason) return finish('skipped', `skipReason: ${test.skipReason}`);
  const limitation = driverLimitation(testKey(file.basename, test.description), config.checkEvents);
  if (limitation) return finish('skipped', limitation);
  const unmet = await unmetRequirements(test.runOnRequirements, config.facts);
  if (unmet) return finish('skipped', unmet);

  const entities = new EntityMap({ uri: config.uri, defaultClientOptions: { serverSelectionTimeoutMS: 5000 } });
  const failPoints = new Set<string>();
  let aborted = false;
  let eventsSkipped = countEvents(test.expectEvents);
  const ctx: OperationContext = {
    entities,
    internal: config.internal,
    recordFailPoint: (name) => failPoints.add(name),
    runNested: (operations) => runOperations(operations, ctx, () => aborted, 'callback '),
  };

  const body = async (): Promise<string | null> => {
    try {
      if (file.initialData) await setUpCollections(config.internal, file.initialData);
    } catch (error) {
      return `setup: initialData failed: ${summarizeError(error)}`;
    }
    try {
      await entities.create(file.createEntities);
    } catch (error) {
      return `setup: createEntities failed: ${error instanceof RunnerError ? error.message : summarizeError(error)}`;
    }
    await runOperations(test.operations, ctx, () => aborted);
    if (aborted) return 'timeout';
    if (config.checkEvents) {
      const checked = checkEvents(test.expectEvents, entities);
      eventsSkipped = checked.skipped;
      if (checked.mismatch) return checked.mismatch;
    }
    if (test.outcome) return checkOutcome(config.internal, test.outcome);
    return null;
  };

  let reason: string | null;
  const running = body().catch((error: unknown) => reasonOf(error));
  const limit = deadline(config.timeoutMs);
  const first = await Promise.race([running, limit.promise]);
  limit.cancel();
  if (first === 'timeout') {
    aborted = true;
    reason = `timeout (no result after ${config.timeoutMs} ms)`;
  } else {
    reason = first;
  }

  const cleanupProblem = await cleanUp(config, entities, failPoints);
  if (reason === null && cleanupProblem) reason = cleanupProblem;
  if (first === 'timeout') {
    // Closing the clients makes the hung body fail fast; let it settle before the next test's
    // setup so the two cannot interleave.
    const settle = deadline(5000);
    await Promise.race([running, settle.promise]);
    settle.cancel();
    // Anything the body configured while settling (a fail point) must not outlive the test.
    await cleanUp(config, entities, failPoints);
  }
  const crashes = takeCrashes();
  if (crashes.length > 0) reason = `${reason === null ? '' : `${reason}; `}${crashes.join('; ')}`;
  if (reason !== null) await killAllSessions(config.internal);
  return finish(reason === null ? 'passed' : 'failed', reason ?? undefined, eventsSkipped);
}

/** Switch off fail points and close entities, bounded in time; returns a problem, if any. */
async function cleanUp(config: ExecutorConfig, entities: EntityMap, failPoints: Set<string>): Promise<string | null> {
  const work = async (): Promise<string | null> => {
    let problem: string | null = null;
    for (const name of failPoints) {
      try {
        await config.internal.db('admin').command({ configureFailPoint: name, mode: 'off' });
      } catch (error) {
        problem = `cleanup: could not disable fail point ${name}: ${summarizeError(error)}`;
      }
    }
    await entities.closeAll();
    return problem;
  };
  const limit = deadline(10_000);
  const result = await Promise.race([work(), limit.promise]);
  limit.cancel();
  return result === 'timeout' ? 'cleanup: timed out closing entities' : result;
}

/** Spec "Terminating Open Transactions"; servers without the command are fine. */
export async function killAllSessions(internal: MongoClient): Promise<void> {
  try {
    await internal.db('admin').command({ killAllSessions: [] });
  } catch {
    // Interrupted/Unauthorized/CommandNotFound: nothing more the runner can do.
  }
}
