// Section relay-cluster: the relay scaled out — one node on SQLite (the default), one node on PostgreSQL + NATS,
// and two nodes on PostgreSQL + NATS behind no balancer (the load generator spreads its connections and the
// receivers over the nodes, so about half the envelopes cross from one node to the other). Same load as the
// one-node relay section, with its load generator (relay-load.ts): pipelined 1:1 sends on keep-alive connections
// to receivers online on their delivery sockets that ack what they get, then a paced rate for latency.
// Bounded: fixed counts and seconds, everything on 127.0.0.1, every process stopped at the end.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { WebSocket } from 'ws';
import { formatCredential, hashSecret, newSecret } from '../../server/auth.ts';
import { RELAY_NODE_FLAGS } from '../../server/cli/node-flags.ts';
import { resolveIdentity } from '../../server/identity/link.ts';
import { PostgresStore } from '../../server/store/postgres/index.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import type { ServerStore } from '../../server/store/types.ts';
import { missing, startNats, startPostgres } from '../support/services.ts';
import { closeAll, cpuMsOf, openMany, openReceiver, PipelinedConnection, postBytes, startChild, type ServerChild } from './relay-load.ts';
import { b64, publishKeys, type Device } from './relay-load.ts';
import { ms, now, summarize, type SectionResult, type Summary, type Table } from './stats.ts';

const SENDERS = 100;
const RECEIVERS = 100;
const CONNECTIONS = 8;
const DEPTH = 16;
const WARM_S = 1;
const THROUGHPUT_S = 5;
const RATE = 200;
const LATENCY_S = 4;
const CONTENT_BYTES = 400;
const DRAIN_TIMEOUT_MS = 60_000;
const SERVER_BIN = fileURLToPath(new URL('../../server/cli/parley-server.js', import.meta.url));

type Node = ServerChild & { name: string };

/** `parley-server ARGS` on an ephemeral loopback port, its request log in a file (as under a service manager). */
async function startNode(name: string, args: string[], logFile: string): Promise<Node> {
  const child = await startChild([...RELAY_NODE_FLAGS, SERVER_BIN, '--port', '0', '--host', '127.0.0.1', ...args], logFile, name);
  return { ...child, name };
}

const stopNode = (n: Node) => n.stop();

/** Devices made as POST /v1/devices makes them after the ID-token check (identity resolution + devices.create). */
async function provision(store: ServerStore, tag: string, count: number): Promise<Device[]> {
  const lifecycleKey = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const out: Device[] = [];
  for (let i = 0; i < count; i++) {
    const email = `${tag}${String(i).padStart(5, '0')}@acme.test`;
    const r = await resolveIdentity(store, { issuer: 'https://bench.invalid', sub: `${tag}-${i}`, email, name: `${tag} ${i}`, groups: [] }, undefined, Date.now());
    if (!r.ok) throw new Error(`provisioning ${email}: ${r.reason}`);
    const secret = newSecret();
    const registrationId = 1 + (i % 16000);
    const d = await store.devices.create({ userId: r.user.userId, registrationId, name: 'bench device', credentialHash: hashSecret(secret), lifecycleKey }, Date.now());
    out.push({ userId: r.user.userId, deviceId: d.deviceId, registrationId, credential: formatCredential(r.user.userId, d.deviceId, secret) });
  }
  return out;
}

function sendBytes(node: Node, from: Device, to: Device, seq: number): Buffer {
  const content = randomBytes(CONTENT_BYTES);
  content.writeUInt32BE(seq, 0);
  return postBytes(node.host, node.port, '/v1/messages', from.credential, {
    recipient: to.userId,
    envelopes: [{ userId: to.userId, deviceId: to.deviceId, registrationId: to.registrationId, type: 1, content: b64(content) }],
  });
}

interface Run {
  label: string; nodes: number; acceptedPerS: number; deliveredPerS: number; serverCpu: number[]; latency: Summary; statuses: string;
}

/** The load against `nodes` (devices already provisioned and their keys published). */
async function measure(label: string, nodes: Node[], senders: Device[], receivers: Device[], log: (l: string) => void): Promise<Run> {
  const sockets: WebSocket[] = [];
  const conns: Array<{ c: PipelinedConnection; node: Node }> = [];
  try {
    let deliveredCount = 0;
    const arrivals: number[] = [];
    let onSeq: ((seq: number, t: number) => void) | undefined;
    let waiter: { n: number; resolve: () => void } | undefined;
    const onEnvelope = (head: Buffer) => {
      const t = now();
      deliveredCount++;
      arrivals.push(t);
      onSeq?.(head.readUInt32BE(0), t);
      if (waiter && deliveredCount >= waiter.n) { waiter.resolve(); waiter = undefined; }
    };
    const drained = (n: number, what: string) => deliveredCount >= n ? Promise.resolve() : new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label} ${what}: ${deliveredCount} of ${n} delivered in ${DRAIN_TIMEOUT_MS} ms`)), DRAIN_TIMEOUT_MS);
      waiter = { n, resolve: () => { clearTimeout(timer); resolve(); } };
    });
    // Receiver i is online at node i mod N; connection c sends through node c mod N.
    sockets.push(...await openMany(RECEIVERS, 32, (i) => openReceiver(nodes[i % nodes.length]!.url, receivers[i]!.credential, onEnvelope)));
    for (let i = 0; i < CONNECTIONS; i++) {
      const node = nodes[i % nodes.length]!;
      conns.push({ c: await PipelinedConnection.open(node.host, node.port), node });
    }
    const bodies = nodes.map((node) => senders.map((s, i) => sendBytes(node, s, receivers[(i * 7) % RECEIVERS]!, 0)));

    const statuses = new Map<number, number>();
    const accepted: number[] = [];
    const tWindow = now() + WARM_S * 1000;
    const tEnd = tWindow + THROUGHPUT_S * 1000;
    let cpu0 = nodes.map((n) => cpuMsOf(n.pid));
    const cpuTimer = setTimeout(() => { cpu0 = nodes.map((n) => cpuMsOf(n.pid)); }, WARM_S * 1000);
    let next = 0;
    await Promise.all(conns.map(({ c, node }) => Promise.all(Array.from({ length: DEPTH }, async () => {
      const mine = bodies[nodes.indexOf(node)]!;
      while (now() < tEnd) {
        const status = await c.request(mine[next++ % mine.length]!);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 200) accepted.push(now());
      }
    }))));
    clearTimeout(cpuTimer);
    const span = now() - tWindow;
    const serverCpu = nodes.map((n, i) => (cpuMsOf(n.pid) - cpu0[i]!) / span);
    const inWindow = (ts: number[]) => ts.filter((t) => t >= tWindow && t < tEnd).length;
    const acceptedPerS = inWindow(accepted) / THROUGHPUT_S;
    const deliveredPerS = inWindow(arrivals) / THROUGHPUT_S;
    await drained(accepted.length, 'throughput backlog');
    log(`relay-cluster: ${label}: ${acceptedPerS.toFixed(0)}/s accepted, ${deliveredPerS.toFixed(0)}/s delivered, server CPU ${serverCpu.map((x) => `${(x * 100).toFixed(0)}%`).join(' + ')}`);

    // Paced: RATE sends per second spread over the nodes, latency = arrival − just before the request was written.
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    onSeq = (seq, t) => { const s = sentAt.get(seq); if (s !== undefined) latencies.push(t - s); };
    const before = deliveredCount;
    const total = RATE * LATENCY_S;
    const tickMs = 10;
    const perTick = RATE * tickMs / 1000;
    let seq = 1;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let k = 0; k < perTick && seq <= total; k++, seq++) {
          const { c, node } = conns[seq % CONNECTIONS]!;
          const body = sendBytes(node, senders[seq % SENDERS]!, receivers[(seq * 7) % RECEIVERS]!, seq);
          sentAt.set(seq, now());
          void c.request(body).then((st) => statuses.set(st, (statuses.get(st) ?? 0) + 1));
        }
        if (seq > total) { clearInterval(timer); resolve(); }
      }, tickMs);
    });
    await drained(before + total, 'latency phase');
    const latency = summarize(latencies);
    log(`relay-cluster: ${label}: at ${RATE}/s p50 ${ms(latency.p50)} ms, p99 ${ms(latency.p99)} ms`);
    return { label, nodes: nodes.length, acceptedPerS, deliveredPerS, serverCpu, latency, statuses: JSON.stringify(Object.fromEntries(statuses)) };
  } finally {
    for (const { c } of conns) c.close();
    await closeAll(sockets);
  }
}

/** Fresh devices in `store`, keys published through `url`. */
async function devices(store: ServerStore, url: string): Promise<{ senders: Device[]; receivers: Device[] }> {
  const senders = await provision(store, 'sender', SENDERS);
  const receivers = await provision(store, 'receiver', RECEIVERS);
  await publishKeys(url, receivers);
  return { senders, receivers };
}

export async function runRelayCluster(log: (line: string) => void = () => {}): Promise<SectionResult> {
  const why = missing('postgres') ?? missing('nats');
  if (why) throw new Error(`relay-cluster needs PostgreSQL and nats-server: ${why}`);
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-cluster-'));
  const started: Node[] = [];
  const [pgServer, nats] = await Promise.all([startPostgres(), startNats()]);
  const leaseKey = join(root, 'lease-key.pem');
  writeFileSync(leaseKey, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  const node = async (name: string, args: string[]) => { const n = await startNode(name, args, join(root, `${name}.log`)); started.push(n); return n; };
  const runs: Run[] = [];
  try {
    // 1. One node on SQLite: the server makes its schema, stops, the devices go in directly, it starts again.
    const dataDir = join(root, 'sqlite');
    await stopNode(await node('sqlite-init', ['--data', dataDir, '--dev-idp']));
    const sqliteNode = await node('sqlite', ['--data', dataDir, '--dev-idp']);
    const sqlite = new SqliteStore(dataDir); // beside the running node: WAL lets two processes share the file
    let d: Awaited<ReturnType<typeof devices>>;
    try {
      d = await devices(sqlite, sqliteNode.url);
    } finally {
      await sqlite.close();
    }
    runs.push(await measure('one node, SQLite', [sqliteNode], d.senders, d.receivers, log));
    await stopNode(sqliteNode);

    // 2 and 3. PostgreSQL + NATS: a fresh database each, one node then two.
    for (const count of [1, 2]) {
      const db = `bench_${count}`;
      const admin = new pg.Client({ connectionString: pgServer.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${db}`);
      await admin.end();
      const url = pgServer.url.replace(/\/postgres$/, `/${db}`);
      const nodes: Node[] = [];
      for (let i = 0; i < count; i++) {
        nodes.push(await node(`pg${count}-${i}`, ['--database', url, '--bus', nats.url, '--lease-key', leaseKey, '--dev-idp']));
      }
      const store = await PostgresStore.open(url);
      try {
        const d = await devices(store, nodes[0]!.url);
        runs.push(await measure(count === 1 ? 'one node, PostgreSQL + NATS' : 'two nodes, PostgreSQL + NATS', nodes, d.senders, d.receivers, log));
      } finally {
        await store.close();
      }
      for (const n of nodes) await stopNode(n);
    }
  } finally {
    for (const n of started) await stopNode(n);
    await Promise.all([nats.stop(), pgServer.destroy()]);
    rmSync(root, { recursive: true, force: true });
  }
  const [one, pg1, pg2] = runs as [Run, Run, Run];
  const scaling = pg2.acceptedPerS / pg1.acceptedPerS;
  const table: Table = {
    title: `Relay scaled out: ${SENDERS} senders → ${RECEIVERS} online receivers, 1:1 envelopes of ${CONTENT_BYTES} bytes; with two nodes about half the envelopes cross nodes`,
    columns: ['', ...runs.map((r) => r.label)],
    rows: [
      ['**envelopes accepted per second**', ...runs.map((r) => `${r.acceptedPerS.toFixed(0)}/s`)],
      ['**envelopes delivered per second**', ...runs.map((r) => `${r.deliveredPerS.toFixed(0)}/s`)],
      [`**send → delivered at ${RATE}/s**, p50 / p99`, ...runs.map((r) => `${ms(r.latency.p50)} / ${ms(r.latency.p99)} ms`)],
      ['server CPU per node during the window (one core = 100%)', ...runs.map((r) => r.serverCpu.map((c) => `${(c * 100).toFixed(0)}%`).join(' + '))],
      ['**scaling factor** (accepted/s ÷ one PostgreSQL node)', `${(one.acceptedPerS / pg1.acceptedPerS).toFixed(2)}×`, '1.00×', `${scaling.toFixed(2)}×`],
    ],
    notes: [
      `What limits the figures here: this machine has 2 cores, shared by the relay node(s), PostgreSQL, nats-server and the load generator with its ${RECEIVERS} receivers (and whatever else runs). A second node adds a process but no core, so the scaling factor measured here says what the second node costs and whether anything serialises across nodes — not what a second machine would add. On separate machines each node brings its own cores; PostgreSQL (one insert statement per send, one delete per ack, one read per delivery batch) is then the shared part.`,
      'One node on SQLite batches the sends and acks of one event-loop turn into one transaction (group commit); on PostgreSQL every send is one statement on a pooled connection and nodes write concurrently (server/store/postgres/envelopes.ts: a device\'s sends queue on its row lock so its ids commit in order).',
      `HTTP statuses: ${runs.map((r) => `${r.label} ${r.statuses}`).join('; ')}.`,
    ],
  };
  return {
    tables: [table],
    goals: [
      { goal: 'Two relay nodes: a message sent through either node reaches a socket on the other at p99 < 100 ms (paced)', measured: `p99 ${ms(pg2.latency.p99)} ms (one node: ${ms(pg1.latency.p99)} ms)`, met: pg2.latency.p99 < 100 },
    ],
    anchors: [],
    method: [
      `Relay cluster: \`parley-server\` children on 127.0.0.1 (request log on, to a file): one with --data (SQLite), then one and two with --database (a fresh PostgreSQL 15 database each, fsync off as in the tests) --bus (one nats-server) --lease-key. ${SENDERS + RECEIVERS} devices provisioned in each store directly (resolveIdentity + devices.create, as registration does after the ID token), receivers publish real keys over PUT /v1/keys. Receiver i is online at node i mod N, connection c sends through node c mod N, sender i → receiver 7i mod ${RECEIVERS}. Throughput: ${CONNECTIONS} keep-alive connections with ${DEPTH} pipelined POST /v1/messages each (relay-load.ts), ${WARM_S} s warm-up then ${THROUGHPUT_S} s counted. Latency: ${RATE} sends/s for ${LATENCY_S} s over the same connections, from just before the request is written to the arrival at the receiver's socket.`,
    ],
  };
}
