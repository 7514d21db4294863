// The history of runs (--history DIR): one line of JSON per run in DIR/history.jsonl, oldest
// first, the last N kept (--history-keep). No server, one plain file that a CI cache or artifact
// carries from night to night. Each line is taken from the report, which is redacted before it
// exists, and the file is written through core/secrets.ts (redacted again, whole or not at all).
// A missing store starts a new one; a damaged one is set aside and a new one started, with a note.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Report, RunVerdict } from './model.js';
import type { Level } from '../core/spec.js';
import { writeRedacted } from '../core/secrets.js';
import type { Verdict } from '../core/results.js';

export const HISTORY_FILE = 'history.jsonl';
const HISTORY_KEEP = 100;

/** One check in one run: its verdict, level and outcome label (status and error text). */
export interface HistoryCheck {
  v: Verdict;
  l: Level;
  /** Its clause. */
  c: string;
  o?: string;
}

/** One run, as the history keeps it. */
export interface HistoryEntry {
  /** The line's format. */
  history: 1;
  /** 1 for the first run of this history, then one more for each run (kept when older runs are dropped). */
  run: number;
  startedAt: string;
  durationMs: number;
  target: { name: string; url: string };
  tool: { name: string; version: string };
  spec: { version: string; sha256: string };
  verdict: RunVerdict;
  exitCode: number;
  strict: boolean;
  interrupted: boolean;
  selection?: { only: string[]; skip: string[] };
  counts: Record<Verdict, number>;
  /**
   * The distinct requests the report's checks were judged on (method, URL and headers of each
   * check's exchange): a run cut short by a budget or a deadline judges fewer.
   */
  requests: number;
  checks: Record<string, HistoryCheck>;
}

/** A run of the report as a line of the history. */
export function entryOf(report: Report, run: number): HistoryEntry {
  const requests = new Set(report.checks.flatMap((c) => (c.exchange ? [JSON.stringify([c.exchange.request.method, c.exchange.request.url, c.exchange.request.headers])] : [])));
  return {
    history: 1,
    run,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    target: { name: report.target.name, url: report.target.url },
    tool: { ...report.tool },
    spec: { version: report.spec.version, sha256: report.spec.sha256 },
    verdict: report.summary.verdict,
    exitCode: report.summary.exitCode,
    strict: report.options.strict,
    interrupted: report.interrupted,
    ...(report.selection && { selection: report.selection }),
    counts: { ...report.summary.verdicts },
    requests: requests.size,
    checks: Object.fromEntries(report.checks.map((c) => [c.id, { v: c.verdict, l: c.level, c: c.clause, ...(c.outcome !== undefined && { o: c.outcome }) }])),
  };
}

const VERDICT = new Set(['pass', 'fail', 'error', 'not-verified', 'observed']);

/** Why a parsed line is not a history entry, or undefined. */
function problem(x: unknown, previousRun: number): string | undefined {
  const e = x as Partial<HistoryEntry> | null;
  if (!e || typeof e !== 'object' || e.history !== 1) return 'not a history entry';
  if (!Number.isInteger(e.run) || e.run! <= previousRun) return 'run numbers out of order';
  if (typeof e.startedAt !== 'string' || typeof e.durationMs !== 'number' || typeof e.requests !== 'number' || typeof e.verdict !== 'string') return 'fields missing';
  if (!e.checks || typeof e.checks !== 'object' || Object.values(e.checks).some((c) => !c || !VERDICT.has((c as HistoryCheck).v))) return 'a check without a verdict';
  return undefined;
}

export interface History {
  entries: HistoryEntry[];
  /** One line for the console when the store was missing or damaged. */
  note?: string;
}

/** The runs stored in `dir`, oldest first; a damaged store is moved aside (`history.jsonl.damaged`) and a new one begins. */
export function readHistory(dir: string): History {
  const file = join(dir, HISTORY_FILE);
  if (!existsSync(file)) return { entries: [], note: `history: no ${file} yet, starting a new history` };
  let why: string | undefined;
  const entries: HistoryEntry[] = [];
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        why = `line ${i + 1} is not JSON`;
        break;
      }
      const p = problem(parsed, entries.at(-1)?.run ?? 0);
      if (p) {
        why = `line ${i + 1}: ${p}`;
        break;
      }
      entries.push(parsed as HistoryEntry);
    }
  } catch (e) {
    why = `unreadable (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (!why) return { entries };
  const aside = `${file}.damaged`;
  try {
    renameSync(file, aside);
  } catch {
    // the new store is written over it (writeRedacted renames into place)
  }
  return { entries: [], note: `history: ${file} is damaged (${why}): starting a new history${existsSync(aside) ? ` (the old file is kept as ${aside})` : ''}` };
}

/** One line when the run is of another target or spec than the history's last run: the trend then compares unlike runs. */
export function mixNote(dir: string, entries: readonly HistoryEntry[], report: Report): string | undefined {
  const last = entries.at(-1);
  if (!last) return undefined;
  const other = [
    last.target.name !== report.target.name && `target ${last.target.name}, not ${report.target.name}`,
    last.spec.sha256 !== report.spec.sha256 && `another spec (sha256 ${last.spec.sha256.slice(0, 12)})`,
  ].filter(Boolean);
  return other.length ? `warning: the history in ${dir} ends with a run of ${other.join(' and ')}: its trend mixes unlike runs` : undefined;
}

/** The history with this run added (the last `keep` runs), written to `dir`: the whole store is rewritten through a temporary file, then renamed over the old one. */
export function saveRun(dir: string, entries: readonly HistoryEntry[], report: Report, keep = HISTORY_KEEP): HistoryEntry[] {
  const next = [...entries, entryOf(report, (entries.at(-1)?.run ?? 0) + 1)].slice(-keep);
  writeRedacted(join(dir, HISTORY_FILE), next.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return next;
}
