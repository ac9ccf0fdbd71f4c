// Prints one plain closing line from a vitest JSON report:
//   vitest: <passed> passed, <failed> failed, <skipped> skipped
// Usage: tsx scripts/vitest-summary.ts <report.json>   (exit code 0 unless the report is unreadable)
import { readFileSync } from 'node:fs';

interface JsonReport {
  numTotalTests?: number;
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  numFailedTestSuites?: number;
  success?: boolean;
  testResults?: { name: string; status: string; message?: string }[];
}

const file = process.argv[2];
if (!file) {
  console.error('usage: vitest-summary.ts <vitest-json-report>');
  process.exit(2);
}

let report: JsonReport;
try {
  report = JSON.parse(readFileSync(file, 'utf8')) as JsonReport;
} catch (err) {
  console.error(`vitest-summary: no readable JSON report at ${file} (${err instanceof Error ? err.message : String(err)})`);
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// Files that failed before running any test (import errors, failing beforeAll) count as failures too.
const brokenFiles = (report.testResults ?? []).filter((r) => r.status === 'failed');
if (brokenFiles.length > 0) {
  console.log(`vitest: failed test files: ${brokenFiles.map((r) => r.name.replace(`${process.cwd()}/`, '')).join(', ')}`);
}
if (report.success === false && failed === 0 && brokenFiles.length === 0) {
  console.log('vitest: the run failed outside of any test (unhandled error or crashed test worker; see above)');
}
console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
