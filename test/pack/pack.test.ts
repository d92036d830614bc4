/**
 * The npm package as a user gets it: `npm pack`, then installed from the tarball (globally under a
 * temporary prefix, and as a devDependency of a fresh project) in folders outside this repository,
 * where `stallscope run -- node server.js` and `require('stallscope/testing')` must work with only
 * what the tarball and its dependencies bring.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, ensureBuilt } from '../cli/cliHarness';

// A server that answers one request whose handler blocks the loop 300 ms on line @block, then exits
// (well over the threshold: this layer tests the package, the probe layer tests the edges).
const SERVER = `const http = require('node:http');
function block(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end); // @block
}
const server = http.createServer((req, res) => {
  block(300);
  res.end('done');
  server.close();
});
server.listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/slow?x=1' }, (res) => res.resume());
});
`;
const BLOCK_LINE = SERVER.split('\n').findIndex((l) => l.includes('// @block')) + 1;

// The registry is reachable but slow to ask: the cache (filled by this repository's own install) comes first.
const NPM_ENV: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_prefer_offline: 'true' };
delete NPM_ENV.NODE_OPTIONS; // the test runner's own (tsx) must not leak into the programs under test

function sh(cmd: string, args: string[], o: SpawnSyncOptions = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: NPM_ENV, timeout: 240_000, ...o });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

describe('the npm package', () => {
  let tarball = '';
  let files: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-pack-'));

  before(() => {
    ensureBuilt();
    const r = sh('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT });
    assert.equal(r.status, 0, r.stderr);
    const [info] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(tmp, info.filename);
    files = info.files.map((f) => f.path);
    assert.ok(fs.existsSync(tarball), tarball);
  });

  it('ships the bundles and nothing of the sources, tests or tooling', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/cli.js', 'dist/probe.js', 'dist/checkWorker.js', 'dist/testing.js', 'dist/webview.js', 'dist/timeline.css']) {
      assert.ok(files.includes(f), `${f} is in the package: ${files.join(', ')}`);
    }
    const stray = files.filter((f) => !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/[^/]+\.(js|css)|dist\/python\/.+)$/.test(f));
    assert.deepEqual(stray, []);
    assert.deepEqual(files.filter((f) => /__pycache__|\.pyc$|\.map$/.test(f)), [], 'no bytecode caches or source maps');
    // The Python probe ships whole beside the Node one (its bundle step copies it into dist/python).
    const python = path.join(ROOT, 'dist', 'python');
    const pyFiles = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === '__pycache__' ? [] : pyFiles(path.join(dir, e.name))) : e.name.endsWith('.py') ? [path.join(dir, e.name)] : []));
    if (fs.existsSync(python)) {
      const missing = pyFiles(python).map((f) => path.relative(ROOT, f).split(path.sep).join('/')).filter((f) => !files.includes(f));
      assert.deepEqual(missing, [], 'every file of the Python probe is in the package');
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(pkg.private, undefined, 'publishable');
    assert.deepEqual(pkg.bin, { stallscope: './dist/cli.js' });
  });

  it('npm i -g: `stallscope run -- node server.js` works outside this repository', () => {
    const prefix = path.join(tmp, 'global');
    const inst = sh('npm', ['install', '--global', '--prefix', prefix, tarball], { cwd: tmp });
    assert.equal(inst.status, 0, inst.stderr);
    const bin = path.join(prefix, 'bin', 'stallscope');
    assert.ok(fs.existsSync(bin), 'the bin is linked');
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-app-'));
    fs.writeFileSync(path.join(app, 'server.js'), SERVER);
    const version = sh(bin, ['--version'], { cwd: app });
    assert.equal(version.stdout.trim(), (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const out = path.join(app, 'report.json');
    const r = sh(bin, ['run', '--out', out, '--', 'node', 'server.js'], { cwd: app, env: { ...NPM_ENV, NO_COLOR: '1' } });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { stalls: Array<{ durationMs: number; culprit: { file: string; line: number } | null; handler: { label: string } | null }> };
    const stall = report.stalls.find((s) => s.culprit?.file === path.join(app, 'server.js'));
    assert.ok(stall, `a stall in server.js: ${JSON.stringify(report.stalls)}; stderr: ${r.stderr}`);
    assert.equal(stall.culprit?.line, BLOCK_LINE);
    assert.match(stall.handler?.label ?? '', /^GET \/slow/);
    assert.match(r.stderr, new RegExp(`server\\.js:${BLOCK_LINE}`), 'the summary names the line');
  });

  it("npm i -D in a project: require('stallscope/testing') measures a real stall", () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-project-'));
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-stallscope', version: '1.0.0', private: true }));
    const inst = sh('npm', ['install', '--save-dev', tarball], { cwd: project });
    assert.equal(inst.status, 0, inst.stderr);
    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    assert.ok(manifest.devDependencies?.stallscope, 'saved as a devDependency');
    const script = `
      const { measureStalls } = require('stallscope/testing');
      measureStalls(() => { const end = Date.now() + 150; while (Date.now() < end); }, { thresholdMs: 50 })
        .then((stalls) => console.log(JSON.stringify(stalls.map((s) => ({ ms: s.durationMs, line: s.culprit && s.culprit.line })))));
    `;
    fs.writeFileSync(path.join(project, 'measure.js'), script);
    const r = sh(process.execPath, ['measure.js'], { cwd: project });
    assert.equal(r.status, 0, r.stderr);
    const stalls = JSON.parse(r.stdout.trim()) as Array<{ ms: number; line: number | null }>;
    assert.equal(stalls.length, 1, r.stdout);
    assert.ok(stalls[0].ms >= 140 && stalls[0].ms < 400, `~150 ms: ${stalls[0].ms}`);
    assert.equal(stalls[0].line, 3, 'the blocking line of measure.js');
    // The package's other entry points stay closed: only ./testing and ./package.json are exported.
    const deep = sh(process.execPath, ['-e', "require('stallscope/dist/cli.js')"], { cwd: project });
    assert.notEqual(deep.status, 0);
    assert.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
