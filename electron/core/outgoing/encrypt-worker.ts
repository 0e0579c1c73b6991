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
 * throwaway keys — X3DH with a few made-up devices, then some ratchet steps — on a runner of its own. After
 * that it goes on warming while it has nothing to do (IDLE_ROUNDS more rounds, one at a time, never while a job
 * waits): with only the first 24 rounds, the first steady sends to a 1,000-member group cost twice the CPU of
 * later ones (V8 still optimizing the encrypt path); waiting for all of them would delay "ready" by ~0.5 s.
 */
const READY_ROUNDS = 24;
const IDLE_ROUNDS = 72;

class WarmUp {
  private readonly runner = new EncryptJobRunner();
  private readonly payloads = [new Uint8Array(64)];
  private us: Awaited<ReturnType<typeof createIdentity>> | undefined;
  private targets: JobTarget[] = [];

  async start(): Promise<void> {
    this.us = await createIdentity();
    const them = await createIdentity();
    const spk = await createSignedPreKey(them.keyPair, 1);
    const [pk] = await createPreKeys(1, 1);
    const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
    const bundle = {
      deviceId: 1, registrationId: them.registrationId, identityKey: b64(them.keyPair.publicKey),
      signedPreKey: { keyId: 1, publicKey: b64(spk.keyPair.publicKey), signature: b64(spk.signature) },
      preKey: { keyId: pk!.keyId, publicKey: b64(pk!.keyPair.publicKey) },
    };
    this.targets = Array.from({ length: 32 }, (_, i) => ({ userId: `u_warmup${i}`, deviceId: 1, payload: 0, bundle }));
  }

  async round(): Promise<void> {
    const results = await this.runner.run({ identity: this.us!, payloads: this.payloads, targets: this.targets });
    this.targets = this.targets.map((t, i) => ({ userId: t.userId, deviceId: 1, payload: 0, record: results[i]!.record ?? t.record! }));
  }
}

const runner = new EncryptJobRunner();
let tail = Promise.resolve();
let waiting = 0; // jobs received and not yet answered
port.on('message', (msg: ToWorker) => {
  waiting++;
  tail = tail.then(async () => {
    let reply: FromWorker;
    try {
      reply = { id: msg.id, results: await runner.run(msg.job) };
    } catch (err) {
      reply = { id: msg.id, failed: err instanceof Error ? err.message : String(err) };
    }
    waiting--;
    port.postMessage(reply);
  });
});

const warm = new WarmUp();
try {
  await warm.start();
  for (let round = 0; round < READY_ROUNDS; round++) await warm.round();
} catch {
  // only ever slower without it, never wrong
}
port.postMessage({ ready: true } satisfies FromWorker);

/** One more round after whatever is queued, unless a job is waiting; then the next, after a turn for messages. */
function warmWhileIdle(left: number): void {
  if (left === 0) return;
  tail = tail.then(async () => { if (waiting === 0) await warm.round(); }).catch(() => { left = 1; }); // a failed round: stop warming
  void tail.then(() => setImmediate(() => warmWhileIdle(left - 1)));
}
warmWhileIdle(IDLE_ROUNDS);
