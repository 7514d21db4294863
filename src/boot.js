// Start-up for the `conformance` command: `node --import ./src/boot.js src/cli.ts`.
// vitest (and vite, rolldown under it: hundreds of modules) is imported natively first, then tsx is
// registered for our TypeScript. Under `--import tsx` every one of those modules went through
// tsx's loader hooks: a run took 3.12 s and 389 MB peak RSS instead of 2.07 s and 235 MB (medians
// on a busy 2-core machine, BENCHMARKS.md). vitest's workers need no tsx: vitest transforms the suites.
await import('vitest/node');
const { register } = await import('tsx/esm/api');
register();
