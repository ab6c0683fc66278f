// Entry point of `npm run test:conformance`: runs the MongoDB drivers' unified CRUD and change
// stream tests through the official Node driver against FERRY_TEST_SOURCE_URI or an in-process
// sandbox, prints a report and exits non-zero on unexpected results (see README.md).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { fileSelected, parseCli, USAGE, type CliOptions } from './cli.js';
import { captureCrashes, crashesOutsideTests } from './crashes.js';
import { limitationKeys } from './driver-limitations.js';
import { RunnerError } from './errors.js';
import { killAllSessions, runTest, type ExecutorConfig, type TestResult } from './executor.js';
import { testKey, loadKnownFailures, saveKnownFailures } from './known.js';
import { loadAll, type BrokenFile } from './load.js';
import { buildReport, fileLine, judge, updatedKnownFailures } from './report.js';
import { detectServerFacts, unmetRequirements } from './requirements.js';
import { startServerUnderTest } from './server.js';
import type { TestFile } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const conformanceRoot = path.resolve(repoRoot, '../shared/conformance');
const knownFailuresFile = path.join(here, 'known-failures.json');

/** A file that failed validation still shows up: each of its tests fails with the load error. */
function brokenResults(broken: BrokenFile): TestResult[] {
  const file: TestFile = {
    relPath: broken.relPath,
    basename: broken.basename,
    dir: broken.dir,
    description: broken.relPath,
    schemaVersion: '',
    createEntities: [],
    tests: [],
  };
  const descriptions = broken.testDescriptions.length > 0 ? broken.testDescriptions : ['(file)'];
  return descriptions.map((description) => ({
    file,
    description,
    status: 'failed',
    reason: `load: ${broken.error}`,
    durationMs: 0,
    eventsSkipped: { blocks: 0, events: 0 },
  }));
}

async function runFile(file: TestFile, options: CliOptions, config: ExecutorConfig): Promise<TestResult[]> {
  const tests = file.tests.filter(
    (t) => !options.grep || t.description.toLowerCase().includes(options.grep.toLowerCase()),
  );
  const unmet = await unmetRequirements(file.runOnRequirements, config.facts);
  const results: TestResult[] = [];
  for (const test of tests) {
    if (unmet) {
      results.push({
        file,
        description: test.description,
        status: 'skipped',
        reason: unmet,
        durationMs: 0,
        eventsSkipped: { blocks: 0, events: 0 },
      });
      continue;
    }
    const result = await runTest(file, test, config);
    if (options.verbose) {
      const reason = result.reason ? `: ${result.reason}` : '';
      console.log(`  ${result.status.toUpperCase()} ${test.description} (${result.durationMs} ms)${reason}`);
    }
    results.push(result);
  }
  return results;
}

async function main(): Promise<number> {
  const options = parseCli(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const { files, broken } = loadAll(conformanceRoot);
  const basenames = new Set<string>();
  for (const f of [...files, ...broken]) {
    // File names are the first half of known-failure keys, so they must not repeat across directories.
    if (basenames.has(f.basename)) throw new RunnerError(`two test files are named ${f.basename}`);
    basenames.add(f.basename);
  }
  const allKeys = new Set<string>();
  for (const f of files) for (const t of f.tests) allKeys.add(testKey(f.basename, t.description));
  for (const b of broken) for (const d of b.testDescriptions) allKeys.add(testKey(b.basename, d));
  for (const key of limitationKeys()) {
    // A renamed upstream test would otherwise silently stop being skipped.
    if (!allKeys.has(key)) throw new RunnerError(`driver-limitations.ts names a test that does not exist: ${key}`);
  }
  const known = loadKnownFailures(knownFailuresFile);

  const selected = files.filter((f) => fileSelected(f.basename, options.files));
  const selectedBroken = broken.filter((b) => fileSelected(b.basename, options.files));
  if (selected.length + selectedBroken.length === 0)
    throw new RunnerError(`no test file matches ${options.files.join(', ')}`);

  captureCrashes();
  const server = await startServerUnderTest();
  const internal = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await internal.connect();
    const facts = await detectServerFacts(internal, server.uri);
    console.log(`Conformance run against ${server.origin} ${server.uri}`);
    console.log(
      `Server ${facts.versionString}, topology ${facts.topology}, auth ${facts.auth ? 'on' : 'off'}; ${selected.length + selectedBroken.length} file(s) from ${conformanceRoot}`,
    );
    await killAllSessions(internal);
    const config: ExecutorConfig = {
      uri: server.uri,
      internal,
      facts,
      timeoutMs: options.timeoutMs,
      checkEvents: options.events,
    };

    const judged = [];
    for (const b of selectedBroken) {
      const j = judge(brokenResults(b), known);
      console.log(fileLine(b.relPath, j));
      judged.push(...j);
    }
    for (const file of selected) {
      if (options.verbose) console.log(file.relPath);
      const j = judge(await runFile(file, options, config), known);
      console.log(fileLine(file.relPath, j));
      judged.push(...j);
    }

    const report = buildReport({
      judged,
      known,
      allKeys,
      eventsChecked: options.events,
      crashes: crashesOutsideTests(),
    });
    for (const line of report.lines) console.log(line);
    if (options.updateKnown) {
      saveKnownFailures(knownFailuresFile, updatedKnownFailures(judged, known, allKeys));
      console.log(`(rewrote ${path.relative(repoRoot, knownFailuresFile)})`);
    }
    return report.exitCode;
  } finally {
    await internal.close().catch(() => undefined);
    await server.stop().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof RunnerError ? `conformance runner: ${error.message}` : error);
    process.exit(2);
  },
);
