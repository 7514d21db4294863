// Start-up for the `conformance` command: `node --import ./src/boot.js src/cli.ts`.
// vitest (and vite, rolldown under it: hundreds of modules) is imported natively first, then tsx is
// registered for our TypeScript. Under `--import tsx` every one of those modules went through
// tsx's loader hooks: a run took 1.8 s and 410 MB peak RSS instead of 1.2 s and 250 MB (2 cores,
// BENCHMARKS.md). The vitest workers do not need tsx: vitest transforms the suites itself.
await import('vitest/node');
const { register } = await import('tsx/esm/api');
register();
