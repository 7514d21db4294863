// The layers (README "Architecture"), checked by `npm run layers` in `npm test`:
//
//   app/                  the command (cli, command) over the API (index, api) and the run: run, plan, preflight
//   suites/  reporters/   the checks and the views of their results (neither imports the other)
//   core/    mock/        spec, http, secrets, config, targets, errors, results; the reference mock
//
// An import may only point down (or sideways inside its own folder); the mock is imported by app/
// only; no cycle, type-only imports included (a type cycle is a design cycle too).
const UP = (name, from, to, comment) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a cycle of imports (type-only imports included)', from: {}, to: { circular: true } },
    UP('core-is-the-bottom', '^core/', '^(app|mock|suites|reporters)/', 'core/ imports only core/ and packages'),
    UP('mock-beside-core', '^mock/', '^(app|suites|reporters)/', 'the mock imports only core/'),
    UP('mock-from-app-only', '^(core|suites|reporters)/', '^mock/', 'only app/ starts the mock'),
    UP('suites-below-app', '^suites/', '^(app|reporters)/', 'suites/ imports core/ only (the result types are core/results.ts)'),
    UP('reporters-below-app', '^reporters/', '^(app|suites)/', 'reporters/ imports core/ only (the result types are core/results.ts)'),
    // The command calls the API, not the other way round: the API (app/index.ts, the run in app/api.ts)
    // takes typed options and never loads the command (app/cli.ts, app/command.ts, which map flags to them).
    UP('api-below-command', '^app/(index|api)\\.ts$', '^app/(cli|command|proxy-command)\\.ts$', 'the API does not call the command'),
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.json'] },
    reporterOptions: {
      archi: { collapsePattern: '^(app|core|mock|suites|reporters)/' },
    },
  },
};
