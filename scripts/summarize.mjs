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
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
} else {
  failed += 1;
  console.log('vitest wrote no report');
}
const conformance = join(dir, 'conformance.json');
if (existsSync(conformance)) {
  const report = JSON.parse(readFileSync(conformance, 'utf8'));
  passed += report.passed;
  failed += report.failed;
  skipped += report.skipped;
} else {
  failed += 1;
  console.log('the conformance runner wrote no report');
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
