// .github/workflows/release.yml cannot run here (it needs the internet); this parses it (js-yaml, from
// electron-builder's dependencies) and checks the release pipeline's structure and secret handling.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
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
