// The run's verdicts and printed report. Known failures count neither as passed nor as failed;
// the exit status is decided here: unexpected failures, stale known failures and known-failure
// keys that name no test all fail the run.
import type { TestResult } from './executor.js';
import type { EventTally } from './events.js';
import { testKey, type KnownFailures } from './known.js';

export type Verdict = 'passed' | 'failed' | 'known' | 'stale' | 'skipped';

export interface Judged {
  result: TestResult;
  key: string;
  verdict: Verdict;
}

export function judge(results: TestResult[], known: KnownFailures): Judged[] {
  return results.map((result) => {
    const key = testKey(result.file.basename, result.description);
    const listed = known.has(key);
    let verdict: Verdict = result.status;
    if (result.status === 'passed' && listed) verdict = 'stale';
    if (result.status === 'failed' && listed) verdict = 'known';
    return { result, key, verdict };
  });
}

interface Counts {
  total: number;
  passed: number;
  failed: number;
  known: number;
  skipped: number;
}

function count(judged: Judged[]): Counts {
  const counts: Counts = { total: judged.length, passed: 0, failed: 0, known: 0, skipped: 0 };
  for (const { verdict } of judged) {
    if (verdict === 'passed' || verdict === 'stale') counts.passed += 1;
    else if (verdict === 'failed') counts.failed += 1;
    else if (verdict === 'known') counts.known += 1;
    else counts.skipped += 1;
  }
  return counts;
}

const percent = (part: number, whole: number): string =>
  whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`;

/** One progress line per file, printed as soon as the file is done. */
export function fileLine(relPath: string, judged: Judged[]): string {
  const c = count(judged);
  const known = c.known > 0 ? `, ${c.known} known` : '';
  return `${relPath}: ${c.passed} passed, ${c.failed} failed${known}, ${c.skipped} skipped`;
}

function countsLine(label: string, c: Counts): string {
  const applicable = c.passed + c.failed + c.known;
  return (
    `  ${label.padEnd(16)} total ${c.total}, applicable ${applicable}, passed ${c.passed}, failed ${c.failed}, ` +
    `known ${c.known}, skipped ${c.skipped}, pass rate ${percent(c.passed, applicable)}`
  );
}

export interface ReportInput {
  judged: Judged[];
  known: KnownFailures;
  /** Keys of every test in every loaded file, to find list entries that name no test. */
  allKeys: Set<string>;
  eventsChecked: boolean;
  /** Uncaught exceptions/rejections that happened outside any test. */
  crashes: string[];
}

export interface ReportOutput {
  lines: string[];
  exitCode: 0 | 1;
}

export function buildReport({ judged, known, allKeys, eventsChecked, crashes }: ReportInput): ReportOutput {
  const lines: string[] = ['', 'Summary'];
  const dirs = [...new Set(judged.map((j) => j.result.file.dir))];
  for (const dir of dirs) lines.push(countsLine(dir, count(judged.filter((j) => j.result.file.dir === dir))));
  const all = count(judged);
  if (dirs.length > 1) lines.push(countsLine('all', all));
  const applicable = all.passed + all.failed + all.known;
  lines.push(
    `Applicable tests: ${applicable}; pass rate ${percent(all.passed, applicable)} (known failures count as not passed)`,
  );

  const skipReasons = new Map<string, number>();
  for (const { verdict, result } of judged) {
    if (verdict === 'skipped')
      skipReasons.set(result.reason ?? 'unknown', (skipReasons.get(result.reason ?? 'unknown') ?? 0) + 1);
  }
  lines.push(`Skipped: ${all.skipped}`);
  for (const [reason, n] of [...skipReasons.entries()].sort((a, b) => b[1] - a[1]))
    lines.push(`  ${String(n).padStart(5)}  ${reason}`);

  const events: EventTally = { blocks: 0, events: 0 };
  let testsWithEvents = 0;
  for (const { result } of judged) {
    if (result.eventsSkipped.blocks > 0) testsWithEvents += 1;
    events.blocks += result.eventsSkipped.blocks;
    events.events += result.eventsSkipped.events;
  }
  lines.push(
    eventsChecked
      ? `expectEvents assertions not checked: ${events.blocks} (${events.events} expected events in ${testsWithEvents} ` +
          'tests: CMAP/SDAM expectations, or the test failed before reaching them)'
      : `expectEvents assertions skipped: ${events.blocks} (${events.events} expected events in ${testsWithEvents} ` +
          'applicable tests: they describe what the driver sends; --events checks them)',
  );

  lines.push('');
  for (const crash of crashes) lines.push(`CRASH outside any test: ${crash}`);
  for (const { verdict, result, key } of judged) {
    if (verdict === 'failed') lines.push(`FAIL ${key}: ${result.reason ?? ''}`);
  }
  for (const { verdict, result, key } of judged) {
    if (verdict !== 'known') continue;
    const listed = known.get(key) ?? '';
    // Show the listed reason too when it differs: the failure may have changed its nature.
    const note = listed && listed !== listedReason(result) ? ` (listed: ${listed})` : '';
    lines.push(`KNOWN ${key}: ${result.reason ?? ''}${note}`);
  }
  const stale = judged.filter((j) => j.verdict === 'stale');
  for (const { key } of stale) lines.push(`STALE ${key}: stale known failure: remove it`);
  const missing = [...known.keys()].filter((key) => !allKeys.has(key));
  for (const key of missing) lines.push(`UNKNOWN ${key}: known-failures.json names a test that does not exist`);

  lines.push(`${all.known} known failures (not counted as passed or failed)`);
  lines.push(`${all.passed} passed, ${all.failed} failed, ${all.skipped} skipped`);
  const exitCode = all.failed > 0 || stale.length > 0 || missing.length > 0 ? 1 : 0;
  return { lines, exitCode };
}

/** The one-line reason --update-known records for a failure. */
function listedReason(result: TestResult): string {
  return (result.reason ?? 'failed').slice(0, 300);
}

/** The known-failure list after this run: current failures, plus entries for tests not run. */
export function updatedKnownFailures(judged: Judged[], known: KnownFailures, allKeys: Set<string>): KnownFailures {
  const ran = new Set(judged.filter((j) => j.verdict !== 'skipped').map((j) => j.key));
  const next: KnownFailures = new Map();
  for (const [key, reason] of known) if (!ran.has(key) && allKeys.has(key)) next.set(key, reason);
  for (const { verdict, key, result } of judged) {
    if (verdict === 'failed' || verdict === 'known') next.set(key, listedReason(result));
  }
  return next;
}
