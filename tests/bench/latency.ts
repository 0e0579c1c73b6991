// Section 2: send → decrypted latency over loopback, with the real server in-process, the real dev IdP
// and two real client devices (electron/messenger.ts) on SQLCipher profiles in temp dirs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginNewDevice, type Messenger, type ReceivedMessage } from '../../electron/core/messenger.ts';
import { startServer, type RunningServer } from '../../server/app.ts';
import { ms, now, summarize, type SectionResult, type Summary, type Table } from './stats.ts';

const WARMUP = 30;
const N = 1_000;
const RECEIVE_TIMEOUT_MS = 120_000;
const FILLER = 'the quarterly numbers are in the shared folder, please review them before the Friday call';

const text = (tag: string, seq: number) => `bench ${tag} #${seq} ${FILLER}`;
const parse = (t: string): { tag: string; seq: number } | undefined => {
  const m = /^bench (\w+) #(\d+) /.exec(t);
  return m ? { tag: m[1]!, seq: Number(m[2]) } : undefined;
};

export async function runLatency(log: (line: string) => void = () => {}): Promise<SectionResult> {
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-latency-'));
  let server: RunningServer | undefined;
  let alice: Messenger | undefined;
  let bob: Messenger | undefined;
  const ac = new AbortController();
  let receiving: Promise<unknown> | undefined;
  try {
    server = await startServer({ dataDir: join(root, 'server'), port: 0, host: '127.0.0.1', devIdp: true, logger: false });
    const tLogin = now();
    alice = await loginNewDevice(join(root, 'alice'), server.url, { kind: 'dev-user', username: 'alice' });
    const loginMs = now() - tLogin;
    bob = await loginNewDevice(join(root, 'bob'), server.url, { kind: 'dev-user', username: 'bob' });
    log(`latency: server at ${server.url}, alice and bob signed in`);

    const starts = new Map<number, number>();
    const latencies: number[] = [];
    const counts = { warmup: 0, timed: 0 };
    let lastArrival = 0;
    let waiter: { tag: keyof typeof counts; n: number; resolve: () => void } | undefined;
    const onMessage = (m: ReceivedMessage) => {
      const t = now();
      const p = parse(m.text);
      if (!p || (p.tag !== 'warmup' && p.tag !== 'timed')) return;
      counts[p.tag]++;
      if (p.tag === 'timed') {
        const start = starts.get(p.seq);
        if (start === undefined) throw new Error(`unexpected message #${p.seq}`);
        latencies.push(t - start);
        lastArrival = t;
      }
      if (waiter && counts[waiter.tag] >= waiter.n) { waiter.resolve(); waiter = undefined; }
    };
    const receiveFailure = new Promise<never>((_, reject) => {
      receiving = bob!.receive({ onMessage, stopAfterDrainMs: Infinity, signal: ac.signal })
        .then(() => { if (!ac.signal.aborted) reject(new Error('bob stopped receiving early')); })
        .catch(reject);
    });
    receiveFailure.catch(() => undefined);
    const allArrived = (tag: keyof typeof counts, n: number) => Promise.race([
      receiveFailure,
      new Promise<void>((resolve, reject) => {
        if (counts[tag] >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`only ${counts[tag]} of ${n} ${tag} messages arrived in ${RECEIVE_TIMEOUT_MS} ms`)), RECEIVE_TIMEOUT_MS);
        waiter = { tag, n, resolve: () => { clearTimeout(timer); resolve(); } };
      }),
    ]);

    // Warm-up: establishes the session (first message is a PreKeyWhisper), the socket and the JIT.
    const tFirst = now();
    await alice.sendText('bob@acme.test', text('warmup', 0));
    const firstSendMs = now() - tFirst;
    for (let i = 1; i < WARMUP; i++) await alice.sendText('bob@acme.test', text('warmup', i));
    await allArrived('warmup', WARMUP);
    log(`latency: ${WARMUP} warm-up messages delivered; sending ${N}`);

    const sendMs: number[] = [];
    const t0 = now();
    for (let i = 0; i < N; i++) {
      const s = now();
      starts.set(i, s);
      await alice.sendText('bob@acme.test', text('timed', i));
      sendMs.push(now() - s);
    }
    const sendLoopMs = now() - t0;
    await allArrived('timed', N);
    const endToEndMs = lastArrival - t0;
    log(`latency: all ${N} delivered`);

    const L = summarize(latencies);
    const S = summarize(sendMs);
    const row = (label: string, s: Summary) => [label, String(s.n), ms(s.mean), ms(s.p50), ms(s.p99), ms(s.max)];
    const table: Table = {
      title: `Send → decrypted at the recipient, loopback, ${N.toLocaleString('en-US')} sequential messages`,
      columns: ['', 'n', 'mean ms', 'p50 ms', 'p99 ms', 'max ms'],
      rows: [
        row('**start of sendText → bob\'s onMessage (decrypted, stored)**', L),
        row('sendText call (resolves after the server accepted it)', S),
      ],
    };
    const throughput: Table = {
      title: 'Throughput and one-off costs',
      columns: ['', 'value'],
      rows: [
        ['**send throughput, sequential sendText**', `${(N / sendLoopMs * 1000).toFixed(0)} messages/s (${N} in ${(sendLoopMs / 1000).toFixed(2)} s)`],
        ['delivered throughput (first send → last decrypted)', `${(N / endToEndMs * 1000).toFixed(0)} messages/s`],
        ['first sendText to a new contact (directory, prekey bundle, X3DH)', `${ms(firstSendMs)} ms`],
        ['loginNewDevice with the dev IdP (OIDC, registration, 100 prekeys)', `${ms(loginMs)} ms`],
      ],
    };
    return {
      tables: [table, throughput],
      goals: [{
        goal: 'Send → decrypted p50 < 5 ms and p99 < 25 ms',
        measured: `p50 ${ms(L.p50)} ms, p99 ${ms(L.p99)} ms (${N.toLocaleString('en-US')} sequential messages, loopback)`,
        met: L.p50 < 5 && L.p99 < 25,
      }],
      anchors: [],
      method: [
        `Latency: server (server/app.ts, dev IdP, SQLite data dir in a temp dir) and both clients run in this one Node process on 127.0.0.1, so they share one event loop and the figures include that contention. Alice and bob sign in with loginNewDevice (real OIDC flow against the dev IdP); bob runs receive() (delivery WebSocket) for the whole test. ${WARMUP} warm-up messages (session setup included) are sent and awaited; then alice sends ${N} messages one after the other (await sendText each). The text carries a sequence number; latency is performance.now() at bob's onMessage (after decrypt and store commit) minus performance.now() just before that sendText call. Send throughput = ${N} / time of the send loop.`,
      ],
    };
  } finally {
    ac.abort();
    await receiving?.catch(() => undefined);
    alice?.close();
    bob?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  }
}
