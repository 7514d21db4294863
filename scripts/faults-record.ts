// `npm run faults:record [-- SUBJECT ...]`: runs the catalog against every seeded fault of the mock
// and every oracle target (test/fault-runs.ts) and writes the exact failing check ids of each to
// test/fixtures/fault-expectations.json, which test/faults.test.ts compares exactly. Review its diff:
// a check that a fault newly fails, or no longer fails, is a change of the suite's sensitivity.
import { writeFileSync } from 'node:fs';
import { EXPECTATIONS, readExpectations, runSubject, SUBJECTS, type Outcome } from '../test/fault-runs.js';

const only = process.argv.slice(2);
const unknown = only.filter((s) => !SUBJECTS.includes(s));
if (unknown.length) {
  process.stderr.write(`error: unknown subject ${unknown[0]} (one of: ${SUBJECTS.join(', ')})\n`);
  process.exit(2);
}
let table: Record<string, Outcome> = {};
try {
  table = readExpectations();
} catch {
  // none yet: record every subject
}
for (const subject of only.length ? only : SUBJECTS) {
  const outcome = await runSubject(subject);
  table[subject] = outcome;
  process.stdout.write(`${subject}: ${'couldNotRun' in outcome ? `could not run (${outcome.couldNotRun})` : `${outcome.failing.length} failing, ${outcome.errors.length} errors`}\n`);
}
const ordered = Object.fromEntries(SUBJECTS.filter((s) => table[s]).map((s) => [s, table[s]]));
writeFileSync(EXPECTATIONS, `${JSON.stringify(ordered, null, 2)}\n`);
process.stdout.write(`wrote ${EXPECTATIONS.pathname}\n`);
process.exit(0); // undici keeps idle sockets open a while
