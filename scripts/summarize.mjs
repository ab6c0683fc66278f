// Sums the suites' results into the plain line CI reads: "N passed, N failed, N skipped".
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
const vitest = join(dir, 'vitest.json');
if (existsSync(vitest)) {
  const report = JSON.parse(readFileSync(vitest, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A test file that fails to load runs no test; count it as one failure so the line tells the truth.
  failed += report.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0).length;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
} else {
  failed += 1;
  console.log('vitest wrote no report');
}
// The conformance runner ends its output with its own "N passed, N failed, N skipped" line.
const conformance = join(dir, 'conformance.txt');
const summary = existsSync(conformance)
  ? [...readFileSync(conformance, 'utf8').matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped$/gm)].at(-1)
  : undefined;
if (summary) {
  passed += Number(summary[1]);
  failed += Number(summary[2]);
  skipped += Number(summary[3]);
} else {
  failed += 1;
  console.log('the conformance runner printed no summary line');
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
