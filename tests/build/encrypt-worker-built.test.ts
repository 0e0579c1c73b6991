// The client core's encrypt worker (electron/core/outgoing/encrypt-worker.ts) exists as its own file in both
// builds, where the pool looks for it: dist/cli/encrypt-worker.mjs for the compiled CLI (build/cli/compile.mjs)
// and out/main/encrypt-worker.js beside the Electron main bundle (electron.vite.config.ts); each one, started
// as a real worker thread in plain Node, encrypts a real job that the peer decrypts.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { after, test } from 'node:test';
import { compile, OUT_DIR, staleReason } from '../../build/cli/compile.mjs';
import type { FromWorker, TargetResult, ToWorker } from '../../electron/core/outgoing/encrypt-job.ts';
import { makeDevice } from '../crypto/memory-state.ts';
import { root } from './helpers.ts';

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

/** Starts `file` as a worker, sends one job (alice → bob, X3DH), and checks bob decrypts what comes back. */
async function roundTrip(file: string): Promise<void> {
  const alice = await makeDevice('u_aliceaaaaaaaaaaaaaaaaaa');
  const bob = await makeDevice('u_bobbbbbbbbbbbbbbbbbbbbbb');
  const b = bob.bundle();
  const msg: ToWorker = {
    id: 1,
    job: {
      identity: alice.state.identity, payloads: [new TextEncoder().encode('from the built worker')],
      targets: [{
        ...bob.address, payload: 0,
        bundle: {
          deviceId: 1, registrationId: b.registrationId, identityKey: b64(b.identityKey),
          signedPreKey: { keyId: 1, publicKey: b64(b.signedPreKey.publicKey), signature: b64(b.signedPreKey.signature) },
          preKey: { keyId: b.preKey!.keyId, publicKey: b64(b.preKey!.publicKey) },
        },
      }],
    },
  };
  const worker = new Worker(pathToFileURL(file));
  try {
    const results = await new Promise<TargetResult[]>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', (m: FromWorker) => {
        if ('ready' in m) worker.postMessage(msg);
        else if ('results' in m) resolve(m.results);
        else reject(new Error(m.failed));
      });
    });
    const ct = results[0]!.ciphertext!;
    assert.equal(new TextDecoder().decode(await bob.party.decrypt(alice.address, ct.type, ct.body)), 'from the built worker');
  } finally {
    await worker.terminate();
  }
}

test('compiled CLI: dist/cli/encrypt-worker.mjs runs a job; the pool in the bundle points at it', { timeout: 120_000 }, async () => {
  if (staleReason()) await compile();
  const file = join(OUT_DIR, 'encrypt-worker.mjs');
  assert.ok(existsSync(file), 'dist/cli/encrypt-worker.mjs');
  const outputs = (JSON.parse(readFileSync(join(OUT_DIR, 'manifest.json'), 'utf8')) as { outputs: string[] }).outputs;
  const pool = outputs.map((f) => readFileSync(join(OUT_DIR, f), 'utf8'))
    .filter((t) => t.includes('function workerEntry'));
  assert.ok(pool.length > 0 && pool.every((t) => t.includes('"../../../dist/cli/encrypt-worker.mjs"')), 'workerEntry names the compiled worker');
  await roundTrip(file);
});

test('Electron main bundle: out/main/encrypt-worker.js beside the module that starts it, and it runs a job', { timeout: 180_000 }, async () => {
  // Its own output directory: other build tests run `electron-vite build` into out/ at the same time, and a
  // build empties its output directory first. Under node_modules/.cache (ignored by git), so the bundle's
  // external packages still resolve from the project's node_modules.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  const outDir = mkdtempSync(join(root, 'node_modules', '.cache', 'parley-worker-build-'));
  after(() => rmSync(outDir, { recursive: true, force: true }));
  execFileSync('npx', ['electron-vite', 'build', '--outDir', outDir], { cwd: root, stdio: 'ignore', timeout: 170_000 });
  const dir = join(outDir, 'main');
  const file = join(dir, 'encrypt-worker.js');
  assert.ok(existsSync(file), 'out/main/encrypt-worker.js');
  // The module holding workerEntry resolves './encrypt-worker.js' beside itself: it must sit in out/main/.
  const holders = [...readdirSync(dir, { recursive: true }) as string[]].filter((f) => f.endsWith('.js'))
    .filter((f) => readFileSync(join(dir, f), 'utf8').includes('"./encrypt-worker.js"'));
  assert.deepEqual(holders, ['main.js']);
  await roundTrip(file);
});
