// A flood of one kind against a Parley server, in its own thread so that the test's /healthz probe measures the
// server, not a busy test process. Runs for `ms` milliseconds, then posts { sent, answered, refused } and exits.
// Plain JavaScript (no TypeScript loader in worker threads).
import { workerData, parentPort } from 'node:worker_threads';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const { kind, url, ms, credential, target, receipt, concurrency = 16 } = workerData;
const end = Date.now() + ms;
const stats = { sent: 0, answered: 0, refused: 0 };
const statusCount = {};
const count = (s) => { statusCount[s] = (statusCount[s] ?? 0) + 1; };

async function loop(fn) {
  await Promise.all(Array.from({ length: concurrency }, async () => { while (Date.now() < end) await fn(); }));
}

async function request(method, path, body, auth) {
  stats.sent++;
  try {
    const res = await fetch(`${url}${path}`, {
      method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    stats.answered++;
    count(res.status);
  } catch {
    stats.refused++;
  }
}

/** One-byte frames as fast as the socket takes them; a new socket when the server closes one. */
async function frames() {
  while (Date.now() < end) {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${credential}` } });
    const closed = new Promise((resolve) => { ws.once('close', resolve); ws.once('error', resolve); ws.once('unexpected-response', (_q, res) => { count(res.statusCode); res.resume(); resolve(); }); });
    ws.once('open', async () => {
      count('open');
      while (ws.readyState === WebSocket.OPEN && Date.now() < end) {
        for (let i = 0; i < 2000; i++) ws.send('x');
        stats.sent += 2000;
        await new Promise((r) => setImmediate(r));
      }
      ws.terminate();
    });
    await closed;
    stats.answered++;
  }
}

/** Raw TCP connections that never send a byte, held until the end (or until the server drops them). */
async function idle() {
  const sockets = [];
  while (Date.now() < end && sockets.length < 5000) {
    await Promise.all(Array.from({ length: 100 }, () => new Promise((resolve) => {
      stats.sent++;
      const s = connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
      s.on('error', () => {});
      s.once('connect', () => { sockets.push(s); resolve(); });
      s.once('close', () => { stats.refused++; resolve(); });
    })));
  }
  stats.answered = sockets.filter((s) => !s.destroyed).length;
  await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())));
  stats.held = sockets.filter((s) => !s.destroyed).length;
  for (const s of sockets) s.destroy();
}

switch (kind) {
  case 'frames': await Promise.all(Array.from({ length: 4 }, frames)); break;
  case 'receipts': await loop(() => request('POST', '/v1/lifecycle/wipe-receipt', forgedReceipt())); break;
  case 'bundles': await loop(() => request('GET', `/v1/keys/${target}`, undefined, credential)); break;
  case 'nonces': await loop(() => request('POST', '/v1/devices/nonce')); break;
  case 'idle': await idle(); break;
  default: throw new Error(`unknown flood ${kind}`);
}
parentPort.postMessage({ ...stats, statusCount });

/** A wipe receipt for `receipt`'s device with a signature nobody made. */
function forgedReceipt() {
  return { ...receipt, wipedAt: Date.now(), steps: ['key-destroyed', 'store-deleted'], signature: randomBytes(64).toString('base64') };
}
