// GitHub annotations (reporters/annotations.ts): one line each, escaped as GitHub's runner reads
// workflow commands (% CR LF in the message; also : and , in a property), so a target's answer can
// neither end the command early nor start another.
import { describe, expect, test } from 'vitest';
import { annotationLines, escapeData, escapeProperty } from '../reporters/annotations.js';
import { buildReport } from '../reporters/model.js';
import { check, hostileReport } from './fixtures.js';

/** What the runner makes of an escaped value (the toolkit's unescape, in reverse order). */
const unescape = (s: string) => s.replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');

describe('annotations', () => {
  test('escaping: % first, then CR and LF; properties also : and ,', () => {
    expect(escapeData('100%0A done\r\n::error::x')).toBe('100%250A done%0D%0A::error::x');
    expect(escapeProperty('a: b, c%')).toBe('a%3A b%2C c%25');
    for (const s of ['%0A', 'a\nb', 'x%25y:z,w\r']) {
      expect(unescape(escapeData(s))).toBe(s);
      expect(unescape(escapeProperty(s))).toBe(s);
    }
  });

  test('a hostile report: one line per broken clause, no raw line break, the message reads back whole', () => {
    const base = hostileReport();
    const report = buildReport(base, [
      ...base.checks,
      check('hdr.x.one', 'fail', { clause: 'auth.x, y: z', message: 'line one\r::error::injected 100%', level: 'SHOULD' }),
    ]);
    const lines = annotationLines(report);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line).toMatch(/^::(error|warning) title=[^:,\r\n]*::[^\r\n]*$/);
    }
    const injected = lines.find((l) => l.includes('auth.x'))!;
    // a SHOULD failure without --strict does not fail the run: a warning
    expect(injected.startsWith('::warning title=FFmpeg API conformance%3A auth.x%2C y%3A z (SHOULD) fail::')).toBe(true);
    expect(unescape(injected.slice(injected.indexOf('::', 2) + 2))).toContain('line one\r::error::injected 100%');
  });

  test('a clean report has none', () => {
    expect(annotationLines(buildReport(hostileReport(), [check('a.b', 'pass')]))).toEqual([]);
  });
});
