// Entry of an encrypt worker thread (outgoing/encrypt-pool.ts starts it): runs the jobs it is sent, one after
// another, with the same protocol code as the client core (encrypt-job.ts). Built as its own entry for the
// compiled CLI (build/cli/compile.mjs) and the Electron main bundle (electron.vite.config.ts).
import { parentPort } from 'node:worker_threads';
import { createIdentity, createPreKeys, createSignedPreKey } from '../../../crypto/signal.ts';
import { EncryptJobRunner, type FromWorker, type JobTarget, type ToWorker } from './encrypt-job.ts';

const port = parentPort;
if (!port) throw new Error('encrypt-worker.ts runs only as a worker thread (outgoing/encrypt-pool.ts)');

/**
 * A fresh thread runs the protocol code cold (unoptimized by V8), about twice as slow per device as the warm
 * main thread: before it says it is ready (while the send still fetches key bundles), it runs the same code on
 * throwaway keys — X3DH with a few made-up devices, then some ratchet steps — on a runner of its own.
 */
async function warmUp(): Promise<void> {
  const us = await createIdentity();
  const them = await createIdentity();
  const spk = await createSignedPreKey(them.keyPair, 1);
  const [pk] = await createPreKeys(1, 1);
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
  const bundle = {
    deviceId: 1, registrationId: them.registrationId, identityKey: b64(them.keyPair.publicKey),
    signedPreKey: { keyId: 1, publicKey: b64(spk.keyPair.publicKey), signature: b64(spk.signature) },
    preKey: { keyId: pk!.keyId, publicKey: b64(pk!.keyPair.publicKey) },
  };
  const runner = new EncryptJobRunner();
  const payloads = [new Uint8Array(64)];
  let targets: JobTarget[] = Array.from({ length: 32 }, (_, i) => ({ userId: `u_warmup${i}`, deviceId: 1, payload: 0, bundle }));
  // 24 rounds: with 8, the first big sends on the pool still ran ~1.5x slower per device than later ones.
  for (let round = 0; round < 24; round++) {
    const results = await runner.run({ identity: us, payloads, targets });
    targets = targets.map((t, i) => ({ userId: t.userId, deviceId: 1, payload: 0, record: results[i]!.record ?? t.record! }));
  }
}

const runner = new EncryptJobRunner();
let tail = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  tail = tail.then(async () => {
    let reply: FromWorker;
    try {
      reply = { id: msg.id, results: await runner.run(msg.job) };
    } catch (err) {
      reply = { id: msg.id, failed: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
});
await warmUp().catch(() => undefined); // only ever slower without it, never wrong
port.postMessage({ ready: true } satisfies FromWorker);
