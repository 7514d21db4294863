// The default suite against a running target with another vitest pool, for the benchmark's
// "Pool and isolation" table: `node --import ./scripts/bench/boot.js scripts/bench/variant.ts URL POOL ISOLATE`.
// Prints the report's summary as JSON; keys come from the environment as for the CLI.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optionsFromFlags, parseCli, resolveConfig } from '../../core/config.js';
import { runSuites } from '../../app/run.js';
import { out } from '../../core/secrets.js';
import { loadContract } from '../../core/spec.js';
import { buildCatalog } from '../../suites/catalog.js';

const [url = '', pool, isolate] = process.argv.slice(2);
if (pool !== 'threads' && pool !== 'forks') throw new Error(`pool must be threads or forks, got ${pool}`);
const config = resolveConfig(optionsFromFlags(parseCli(['--target', url, '--report-dir', mkdtempSync(join(tmpdir(), 'bench-'))])));
const contract = await loadContract(config.specPath);
const report = await runSuites(config, contract, buildCatalog(contract), {}, { pool, isolate: isolate === 'true' });
out(JSON.stringify(report.summary));
process.exitCode = report.summary.exitCode;
