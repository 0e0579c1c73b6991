// .github/workflows/release.yml cannot run here (it needs the internet); this parses it (js-yaml, from
// electron-builder's dependencies) and checks the release pipeline's structure and secret handling.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TRUSTS_DEVELOPMENT_KEY } from '../../electron/core/update/pinned-keys.ts';
import { root } from './helpers.ts';

interface Step { name?: string; run?: string; uses?: string; if?: string; env?: Record<string, string> }
interface Job { 'runs-on': string; steps: Step[]; needs?: string; permissions?: Record<string, string>; strategy?: { matrix: { include: { os: string; platform: string }[] } } }
interface Workflow { on: { push: { tags: string[] } }; permissions: Record<string, string>; jobs: Record<string, Job> }

const text = readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8');
const yaml = createRequire(import.meta.url)('js-yaml') as { load(s: string): unknown };
const wf = yaml.load(text) as Workflow;

test('release.yml: valid YAML; tag-triggered; read-only by default', () => {
  assert.deepEqual(wf.on.push.tags, ['v*']);
  assert.deepEqual(wf.permissions, { contents: 'read' });
  assert.deepEqual(Object.keys(wf.jobs).sort(), ['build', 'publish']);
  assert.deepEqual(wf.jobs.publish!.permissions, { contents: 'write' });
  assert.equal(wf.jobs.publish!.needs, 'build');
});

test('release.yml: every platform tests the e2e build before the signed production build', () => {
  const build = wf.jobs.build!;
  assert.deepEqual(build.strategy!.matrix.include.map((m) => m.platform).sort(), ['linux', 'mac', 'win']);
  const runs = build.steps.map((s) => `${s.run ?? ''} ${s.uses ?? ''} ${JSON.stringify(s.env ?? {})}`);
  const at = (re: RegExp) => { const i = runs.findIndex((r) => re.test(r)); assert.ok(i >= 0, `a step matching ${re}`); return i; };
  const order = [
    at(/npm ci/), at(/npm run build:desktop/), at(/PARLEY_E2E_BUILD/), at(/verify-fuses\.ts "\$exe" --e2e/),
    at(/xvfb-run -a npx playwright test --project electron/), at(/check-signing-env\.sh/), at(/PARLEY_RELEASE/),
    at(/verify-fuses\.ts "\$exe"\s*$/m), at(/parley-release sign --key - "\$f" --version "\$PARLEY_VERSION" --channel/),
    at(/sign-linux-packages\.sh dist/), at(/make-repos\.sh dist/), at(/actions\/upload-artifact/),
  ];
  assert.deepEqual(order, [...order].sort((a, b) => a - b), 'steps in release order');
  const upload = build.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
  const paths = JSON.stringify(upload);
  for (const p of ['*.sig', '*.asc', 'latest*.yml', '*.deb', '*.rpm', '*.AppImage', '*.exe', '*.dmg']) assert.ok(paths.includes(p), `uploads ${p}`);
});

test('release.yml: secrets only through ${{ secrets.* }} into step env, never inline', () => {
  assert.doesNotMatch(text, /-----BEGIN/);
  const lines = text.split('\n').filter((l) => /\$\{\{\s*secrets\./.test(l));
  assert.ok(lines.length > 0);
  for (const l of lines) assert.match(l, /^\s+[A-Z_0-9]+: \$\{\{ secrets\.[A-Z_0-9]+ \}\}$/, `secret used outside a step env: ${l.trim()}`);
  const signStep = wf.jobs.build!.steps.find((s) => (s.run ?? '').includes('parley-release sign'));
  assert.equal(signStep?.env?.PARLEY_UPDATE_PRIVATE_KEY, '${{ secrets.PARLEY_UPDATE_PRIVATE_KEY }}');
});

test('release.yml: fails while a development update key is pinned (TRUSTS_DEVELOPMENT_KEY), before anything is built', (t) => {
  const steps = wf.jobs.build!.steps;
  const i = steps.findIndex((s) => (s.run ?? '').includes('build/scripts/check-update-keys.ts'));
  assert.ok(i >= 0, 'a step runs build/scripts/check-update-keys.ts');
  const gate = steps[i]!;
  assert.equal(gate.if, undefined, 'on every platform, unconditionally');
  assert.equal((gate as { 'continue-on-error'?: unknown })['continue-on-error'], undefined, 'its failure fails the job');
  assert.ok(i > steps.findIndex((s) => /npm ci/.test(s.run ?? '')), 'after npm ci');
  assert.ok(i < steps.findIndex((s) => /npm run build:desktop/.test(s.run ?? '')), 'before the build');

  // The step's own command, run as the workflow would: it fails on the committed development key …
  const run = spawnSync('bash', ['-euo', 'pipefail', '-c', gate.run!], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(TRUSTS_DEVELOPMENT_KEY, true, 'the committed keys are development keys (docs/release.md)');
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /^::error::.*DEVELOPMENT update key [0-9a-f]{16}/m);

  // … and passes a file of release keys only (what a production checkout pins).
  const dir = mkdtempSync(join(tmpdir(), 'parley-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const release = join(dir, 'release.json');
  const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  writeFileSync(release, JSON.stringify({ keys: [{ label: 'release key', publicKey }] }));
  const script = (file: string) => spawnSync(process.execPath, ['--import', 'tsx', 'build/scripts/check-update-keys.ts', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const ok = script(release);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /no development key/);
  writeFileSync(release, JSON.stringify({ keys: [{ label: 'release key', publicKey }, { label: 'old dev', publicKey, development: true }] }));
  assert.equal(script(release).status, 1, 'one development key among release keys still fails');
  writeFileSync(release, '{"keys": []}');
  const bad = script(release);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /lists no key/);
});
