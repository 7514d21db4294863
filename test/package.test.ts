// The package as a user installs it: `npm pack`, installed into an empty project offline (the
// dependencies' tarballs from the local npm cache, pinned by this repository's lockfile: no
// registry at test time), then the bin through npx and the API from a script.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_KEYS } from '../mock/server.js';
import { swallowedByNpm } from '../core/config.js';
import { ROOT, readReport, tempDir } from './helpers.js';

const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });

describe('flags written before the -- of npm run', () => {
  test('npm keeps them (npm_config_*): refused in one line that says to put them after --', () => {
    const env = { npm_lifecycle_event: 'conformance', npm_config_strict: 'true', npm_config_report_dir: '/tmp/x' };
    expect(swallowedByNpm(env)).toBe('--report-dir --strict went to npm, not to the command (npm only warns "Unknown cli config"): put them after "--", as in npm run conformance -- --report-dir --strict');
    // npm's own configs (and any outside npm run) are none of the command's business
    expect(swallowedByNpm({ npm_lifecycle_event: 'conformance', npm_config_cafile: '/etc/ssl/x.pem' })).toBeUndefined();
    expect(swallowedByNpm({ npm_config_strict: 'true' })).toBeUndefined();
  });

  test('npm run conformance --strict: exit 2 and the line, no run', () => {
    const r = npm(['run', '--silent', 'conformance', '--strict'], ROOT);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: --strict went to npm, not to the command.*npm run conformance -- --strict$/m);
    expect(r.stdout).toBe('');
  });
});

describe('the Node versions the README states: the engines field and every package of the lockfile agree', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  // The oldest release of each line the README names (20.19+, 22, 24): no install warns EBADENGINE on them.
  const oldest = engines.split('||').map((range) => semver.minVersion(range.trim())!.version);
  test('the engines field names 20.19, 22 and 24 as the README does', () => {
    expect(oldest.map((v) => semver.major(v))).toEqual([20, 22, 24]);
    expect(oldest[0]).toBe('20.19.0');
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('Node.js 20.19');
  });
  test.for(['20.19.0', '22.13.0', '24.0.0'])('Node %s: accepted by every package (dev ones included: npm ci)', (version) => {
    expect(semver.satisfies(version, engines)).toBe(true);
    const refusing = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const range = !Array.isArray(entry.engines) && entry.engines?.node;
      return range && !semver.satisfies(version, range) ? [`${path} (node ${range})`] : [];
    });
    expect(refusing).toEqual([]);
  });
  test('the ranges the lockfile found were checked at the oldest of each line', () => {
    expect(oldest).toEqual(['20.19.0', '22.13.0', '24.0.0']);
  });
});

describe('the packed tarball, installed into an empty project', () => {
  const dir = tempDir();
  const app = join(dir, 'app');
  let installWarnings = '';
  beforeAll(() => {
    // dist/ is built by test/global-setup.ts; `prepack` would build it again
    const tgz = join(dir, execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim());
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown> & { dev?: boolean; link?: boolean }> };
    const self = lock.packages['']!;
    const dependencies = { 'ffmpeg-api-conformance': `file:${tgz}` };
    const packages: Record<string, unknown> = {
      '': { name: 'consumer', version: '1.0.0', dependencies },
      'node_modules/ffmpeg-api-conformance': { version: self.version, resolved: `file:${tgz}`, dependencies: self.dependencies, bin: self.bin, engines: self.engines },
    };
    for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev && !entry.link) packages[path] = entry;
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
    const install = npm(['ci', '--offline', '--no-audit', '--no-fund'], app);
    if (install.status !== 0) throw new Error(`npm ci --offline failed (is the npm cache filled by this repository's npm ci?): ${install.stderr}`);
    installWarnings = install.stderr;
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('installs without a warning and without building (no install script: dist/ is in the tarball)', () => {
    expect(installWarnings.split('\n').filter((l) => /warn|ERR/i.test(l))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/ffmpeg-api-conformance/package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(Object.keys(manifest.scripts).filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s))).toEqual([]);
  });

  test('exports the report schema (and the targets schema) for validators and editors', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const report = require('ffmpeg-api-conformance/report.schema.json');
      const targets = require('ffmpeg-api-conformance/targets.schema.json');
      console.log(JSON.stringify([typeof report.properties, typeof targets.$schema]));`;
    writeFileSync(join(app, 'schemas.mjs'), script);
    const r = spawnSync(process.execPath, ['schemas.mjs'], { cwd: app, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['object', 'string']);
  });

  test('npx ffmpeg-api-conformance mock --port N serves the reference mock', async () => {
    const child = spawn('npm', ['exec', '--offline', '--', 'ffmpeg-api-conformance', 'mock', '--port', '0'], { cwd: app, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`the mock exited (${code}) before listening: ${out}`)));
      });
      const answers = await Promise.all([[], [['authorization', DEFAULT_KEYS.valid]]].map(async (headers) => {
        const res = await request(`${url}/directory`, { headers: Object.fromEntries(headers) });
        return [res.statusCode, await res.body.json()];
      }));
      expect(answers).toEqual([
        [400, { ok: false, error: 'Missing Authorization header' }],
        [200, expect.objectContaining({ ok: true, directories: expect.any(Array) })],
      ]);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  });

  test('holds the built JavaScript and no TypeScript; neither tsx nor esbuild is installed', () => {
    const tree = npm(['ls', '--all', '--omit=dev'], app).stdout;
    expect(tree).toContain('ffmpeg-api-conformance@');
    // vite names them as optional peers: "UNMET OPTIONAL DEPENDENCY tsx@^4.8.1" is their absence
    expect(tree.split('\n').filter((l) => /\b(tsx|esbuild)@/.test(l) && !l.includes('UNMET OPTIONAL'))).toEqual([]);
    const pkg = join(app, 'node_modules/ffmpeg-api-conformance');
    expect(readdirSync(join(pkg, 'dist/suites')).filter((f) => f.endsWith('.conformance.js'))).toHaveLength(4);
    expect(readdirSync(join(pkg, 'dist/app')).some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false);
  });

  test('npx ffmpeg-api-conformance --report-dir r: exit 0, the four report files', () => {
    const r = npm(['exec', '--offline', '--', 'ffmpeg-api-conformance', '--report-dir', 'r'], app);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CONFORMANT/m);
    expect(readdirSync(join(app, 'r')).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
    expect(readReport(join(app, 'r/report.json')).summary.exitCode).toBe(0);
  });

  test('a script imports the API, starts the mock with a fault and runs against it', () => {
    const script = `
      import { DEFAULT_KEYS, runConformance, startMock } from 'ffmpeg-api-conformance';
      const mock = await startMock({ faults: ['bearer-accepted'] });
      try {
        const report = await runConformance({ target: mock.url, keys: DEFAULT_KEYS, reportDir: 'api', only: ['auth.*'] });
        const failed = report.checks.filter((c) => c.verdict === 'fail').map((c) => c.id);
        console.log(JSON.stringify({ verdict: report.summary.verdict, exitCode: report.summary.exitCode, failed, total: report.summary.total }));
      } finally {
        await mock.close();
      }`;
    writeFileSync(join(app, 'use-api.mjs'), script);
    const r = spawnSync(process.execPath, ['use-api.mjs'], { cwd: app, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { verdict: string; exitCode: number; failed: string[]; total: number };
    expect(result.exitCode).toBe(1);
    expect(result.failed.some((id) => id.includes('bearer'))).toBe(true);
    expect(readReport(join(app, 'api/report.json')).summary.total).toBe(result.total);
  });
});
