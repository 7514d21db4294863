// The spec lint (test/spec-lint.ts) on spec/openapi.yaml, and on copies that break one rule each,
// to show that each rule can fail.
import { describe, expect, test } from 'vitest';
import { DEFAULT_SPEC } from '../core/spec.js';
import { lintSpec, specCopy } from './spec-lint.js';

/** Removes the first occurrence of `line` (a whole line) from the text. */
const dropLine = (line: string) => (text: string) => text.replace(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`, 'm'), '');


describe('spec lint', () => {
  test('spec/openapi.yaml keeps every rule', async () => {
    expect(await lintSpec(DEFAULT_SPEC)).toEqual([]);
  });

  test('a copy whose first operation drops its 400 fails: every request requires the header', async () => {
    const copy = specCopy(dropLine("        '400': { $ref: '#/components/responses/MissingAuthorization' }"));
    // (the catalog cannot be built either: the deployment checks use that request)
    expect(await lintSpec(copy)).toContain('GET /directory documents no 400 answer for credential none');
  });

  test('a copy whose path parameter drops its example fails', async () => {
    const copy = specCopy((t) => t.replace(/ {10}examples:\n {12}dir: \{ value: dir_123 \}\n/, ''));
    expect(await lintSpec(copy)).toEqual(['GET /directory/{dirId}: path parameter dirId has no example']);
  });

  test('a copy whose request body drops its example fails', async () => {
    const copy = specCopy((t) => t.replace(/ {12}examples:\n {14}guide:\n {16}value: \{ file_name: video.mp4 \}\n/, ''));
    expect(await lintSpec(copy)).toEqual(['POST /file: request body has no example']);
  });

  test('a copy that declares the product itself x-writes: false fails: an unsafe method writes', async () => {
    const copy = specCopy((t) => t.replace('    post:\n      operationId: processTask\n', '    post:\n      operationId: processTask\n      x-writes: false\n'));
    expect(await lintSpec(copy)).toEqual(['POST /ffmpeg/process is unsafe and declared x-writes: false']);
  });

  test('a copy with a clause no check cites, and one whose quote is not in the guide, fails', async () => {
    const copy = specCopy((t) =>
      t
        .replace('x-clauses:\n', 'x-clauses:\n  - id: auth.unused\n    level: SHOULD\n    title: cited by nothing\n    source: authentication-guide.txt:2-3\n    quote: "Every request requires an Authorization header with your unique API key."\n')
        .replace('quote: "- Format: Must start with “Basic ” (note the space)"', 'quote: "- Format: Must start with “Bearer ”"'),
    );
    expect(await lintSpec(copy)).toEqual(['clause auth.unused is checked by no check', 'clause auth.prefix: "- Format: Must start with “Bearer ”" is not at authentication-guide.txt:42']);
  });
});
