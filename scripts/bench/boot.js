// Start-up of the benchmark's TypeScript children (the floor, the pool variants): `node --import
// ./scripts/bench/boot.js FILE.ts`. It was the command's start-up before the command shipped built
// JavaScript (dist/, issue 14); the floor keeps it so its figures compare with the earlier ones.
// vitest (and vite, rolldown under it: hundreds of modules) is imported natively first, then tsx is
// registered for our TypeScript. Under `--import tsx` every one of those modules went through
// tsx's loader hooks: a run took 3.12 s and 389 MB peak RSS instead of 2.07 s and 235 MB (medians
// on a busy 2-core machine, BENCHMARKS.md). vitest's workers need no tsx: vitest transforms the suites.
await import('vitest/node');
const { register } = await import('tsx/esm/api');
register();
