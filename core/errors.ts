// Errors that end a run before any verdict: each is printed as one line and exits with `code`.
export const EXIT = { conformant: 0, notConformant: 1, couldNotRun: 2, inconclusive: 3, interrupted: 130 } as const;

/** Bad input to the tool (flag, URL, key, spec, .env, report directory) or an unreachable target. */
export class UsageError extends Error {
  readonly code: number = EXIT.couldNotRun;
}
