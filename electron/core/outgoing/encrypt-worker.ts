// Entry of an encrypt worker thread (outgoing/encrypt-pool.ts starts it): runs the jobs it is sent, one after
// another, with the same protocol code as the client core (encrypt-job.ts). Built as its own entry for the
// compiled CLI (build/cli/compile.mjs) and the Electron main bundle (electron.vite.config.ts).
import { parentPort } from 'node:worker_threads';
import { EncryptJobRunner, type FromWorker, type ToWorker } from './encrypt-job.ts';

const port = parentPort;
if (!port) throw new Error('encrypt-worker.ts runs only as a worker thread (outgoing/encrypt-pool.ts)');
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
port.postMessage({ ready: true } satisfies FromWorker);
