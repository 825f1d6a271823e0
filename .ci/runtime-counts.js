// Prints passed / skipped / failed per test file of vitest JSON reports, and each distinct
// skip reason with its count (the suite names the reason in the skipped block's title).
// Usage: node .ci/runtime-counts.js <report.json>...
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

for (const path of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  console.log(
    `${path}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`,
  );
  const reasons = new Map();
  for (const file of report.testResults) {
    const count = (status) => file.assertionResults.filter((t) => t.status === status).length;
    const name = relative(process.cwd(), file.name);
    console.log(
      `  ${name}: ${count('passed')} passed, ${count('skipped') + count('pending')} skipped, ${count('failed')} failed`,
    );
    for (const test of file.assertionResults) {
      if (test.status !== 'skipped' && test.status !== 'pending') continue;
      const reason =
        test.ancestorTitles.find((title) => title.includes(' — skipped on ')) ?? 'no reason given';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  for (const [reason, n] of reasons) console.log(`  skipped ×${n}: ${reason}`);
}
