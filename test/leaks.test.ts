// Issue 13: nothing a run writes carries the key in any encoding, and what a target sends is made
// safe where it is shown. Real runs of the CLI against the bundled mock and loopback targets.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeEscapes } from '../src/secrets.js';
import { cleanEnv, runCli } from './helpers.js';

/** Every file under a directory, with its content. */
function filesUnder(dir: string): Array<[string, string]> {
  return readdirSync(dir).flatMap((name): Array<[string, string]> => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [[path, readFileSync(path, 'utf8')]];
  });
}

/** The 12-character windows of a string, in lower case: any of them in an output is a trace of it. */
const windows = (s: string) => Array.from({ length: s.length - 11 }, (_, i) => s.slice(i, i + 12).toLowerCase());

describe('the key leaves no trace in any file of the report directory', () => {
  // A token with a `+` or `/` at least every 11 characters: its percent-encoded form once escaped redaction whole.
  const KEY = 'Basic UUokwMs+OI8kF1t/wTKhzEp+9L0lIm1/i3sbyx4+1y3=';
  const TOKEN = KEY.slice('Basic '.length);

  test('a +/= key through the bundled mock (issue 13, case 2)', async () => {
    const run = await runCli([], cleanEnv({ FFMPEG_API_KEY: KEY }));
    expect(run.code, run.stderr).toBe(0);
    const files = filesUnder(run.dir);
    expect(files.map(([p]) => p.slice(run.dir.length))).toEqual(expect.arrayContaining(['/report.json', '/report.md', '/report.html']));
    const traces = [...windows(TOKEN), ...windows(encodeURIComponent(TOKEN))];
    const outputs: Array<[string, string]> = [...files, ['stdout', run.stdout], ['stderr', run.stderr]];
    for (const [path, content] of outputs) {
      const plain = decodeEscapes(decodeEscapes(content)).toLowerCase();
      const lower = content.toLowerCase();
      expect(traces.filter((t) => plain.includes(t) || lower.includes(t)), path).toEqual([]);
    }
    // the placement probes did send it percent-encoded: redaction, not absence, keeps it out
    expect(readFileSync(join(run.dir, 'report.json'), 'utf8')).toContain('[REDACTED:FFMPEG_API_KEY]');
  });
});
