// A real cluster on loopback for the scale-out tests: PostgreSQL and nats-server in temp dirs
// (tests/support/services.ts), an identity provider (a dev-IdP server in this process: the relay nodes are
// stateless and trust it as an external IdP would be trusted), and relay nodes that are real `parley-server`
// processes (the compiled bin) sharing the database, the bus and one lease-key file — so killing one is a real kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { WebSocket } from 'ws';
import type { ServerFrame } from '../../common/wire/schemas.ts';
import { CLIENT_ID, api, devLogin, keyUpload, lifecycleKeyPair, startTestServer, type TestServer } from '../server/helpers.ts';
import { startNats, startPostgres, type Nats, type Postgres } from '../support/services.ts';
import { waitForLine } from '../support/wait-for.ts';

const SERVER_BIN = fileURLToPath(new URL('../../server/cli/parley-server.js', import.meta.url));
export const SCIM_TOKEN = 'scale-test-scim-token-0123456789';

export interface RelayNode {
  name: string;
  url: string;
  proc: ChildProcess;
  /** Everything it wrote on stderr (warnings, fatal errors). */
  stderr(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: the process dies on the spot, mid-request and mid-socket. */
  kill(): Promise<void>;
}

/** Starts `parley-server` with `args` and resolves once it prints its listening line (or rejects with its stderr). */
export async function spawnNode(name: string, args: string[]): Promise<RelayNode> {
  const proc = spawn(process.execPath, [SERVER_BIN, '--port', '0', '--host', '127.0.0.1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${err.trim()}`))));
  exited.catch(() => {});
  const line = await Promise.race([waitForLine(proc.stdout!, /Parley server listening on http:\/\/127\.0\.0\.1:\d+/, { timeoutMs: 60_000 }), exited]);
  proc.stdout!.resume(); // the request log: drained, not kept
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
  const ended = () => new Promise<void>((resolve) => { if (proc.exitCode !== null || proc.signalCode !== null) resolve(); else proc.once('exit', () => resolve()); });
  return {
    name, url, proc, stderr: () => err,
    async stop() { const done = ended(); proc.kill('SIGTERM'); await done; },
    async kill() { const done = ended(); proc.kill('SIGKILL'); await done; },
  };
}

export interface Cluster {
  pg: Postgres;
  nats: Nats;
  idp: TestServer;
  databaseUrl: string;
  leaseKeyFile: string;
  nodes: RelayNode[];
  /** Another relay node of this cluster (extra args after the shared ones). */
  startNode(name: string, extra?: string[]): Promise<RelayNode>;
  close(): Promise<void>;
}

export async function startCluster(nodeNames: string[] = ['A', 'B']): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  const leaseKeyFile = join(dir, 'lease-key.pem');
  writeFileSync(leaseKeyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  const [pgServer, nats, idp] = await Promise.all([startPostgres(), startNats(), startTestServer()]);
  const admin = new pg.Client({ connectionString: pgServer.url });
  await admin.connect();
  await admin.query('CREATE DATABASE parley');
  await admin.end();
  const databaseUrl = pgServer.url.replace(/\/postgres$/, '/parley');
  const nodes: RelayNode[] = [];
  const cluster: Cluster = {
    pg: pgServer, nats, idp, databaseUrl, leaseKeyFile, nodes,
    async startNode(name, extra = []) {
      const node = await spawnNode(name, ['--database', databaseUrl, '--bus', cluster.nats.url, '--lease-key', leaseKeyFile,
        '--issuer', idp.issuer, '--client-id', CLIENT_ID, '--scim-token', SCIM_TOKEN, ...extra]);
      nodes.push(node);
      return node;
    },
    async close() {
      await Promise.all(nodes.map((n) => n.stop()));
      await Promise.all([cluster.nats.stop(), pgServer.destroy(), idp.cleanup()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // One after the other: the first applies the migrations (the others would wait on the lock anyway).
    for (const name of nodeNames) await cluster.startNode(name);
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}


// ---- devices and their sockets ----

export interface Device { name: string; userId: string; deviceId: number; registrationId: number; auth: { authorization: string } }

/**
 * Registers `username` (a dev-IdP account) at `node`: the nonce from that node, the sign-in at the IdP, the
 * registration and key upload at the node — so the device is active everywhere.
 */
export async function registerAt(cluster: Cluster, node: RelayNode, username: string): Promise<Device> {
  const nonce = (await api(node.url, 'POST', '/v1/devices/nonce')).body.nonce as string;
  const { idToken } = await devLogin(cluster.idp.url, username, { nonce });
  const registrationId = 1 + Math.floor(Math.random() * 16000);
  const res = await api(node.url, 'POST', '/v1/devices', {
    body: { idToken, registrationId, name: `${username}'s laptop`, lifecycleKey: lifecycleKeyPair().publicKey },
  });
  if (res.status !== 200) throw new Error(`register ${username} at ${node.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  const auth = { authorization: `Bearer ${res.body.credential as string}` };
  const keys = await api(node.url, 'PUT', '/v1/keys', { auth, body: keyUpload([1, 2, 3]) });
  if (keys.status !== 200) throw new Error(`keys for ${username}: HTTP ${keys.status} ${JSON.stringify(keys.body)}`);
  // A relay on a company IdP asks for consent to its messaging policy before it relays anything.
  const { version } = (await api(node.url, 'GET', '/v1/consent', { auth })).body as { version: string };
  const consent = await api(node.url, 'POST', '/v1/consent', { auth, body: { version } });
  if (consent.status !== 200) throw new Error(`consent for ${username}: HTTP ${consent.status} ${JSON.stringify(consent.body)}`);
  return { name: username, userId: res.body.userId, deviceId: res.body.deviceId, registrationId, auth };
}

/** One envelope to each device, content = the bytes of `text`. */
export const envelopesFor = (to: Device[], text: string) =>
  to.map((d) => ({ userId: d.userId, deviceId: d.deviceId, registrationId: d.registrationId, type: 1, content: Buffer.from(text).toString('base64') }));

/** POST /v1/messages from `from` to `to` through `node`; returns the HTTP status. */
export async function send1to1(node: RelayNode, from: Device, to: Device, text: string): Promise<number> {
  const res = await fetch(`${node.url}/v1/messages`, {
    method: 'POST', headers: { ...from.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ recipient: to.userId, envelopes: envelopesFor([to], text) }),
  });
  await res.body?.cancel();
  return res.status;
}

type Frame = ServerFrame & { type: string };

/** A device's delivery socket that acks every envelope it gets and lets a test wait for frames. */
export class Socket {
  readonly frames: Frame[] = [];
  /** Texts of the envelopes received, in order. */
  readonly texts: string[] = [];
  readonly closed: Promise<number>;
  #waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code) => { resolve(code); this.#wake(); }));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      if (frame.type === 'envelope') {
        const e = (frame as Extract<ServerFrame, { type: 'envelope' }>).envelope;
        this.texts.push(Buffer.from(e.content, 'base64').toString());
        ws.send(JSON.stringify({ type: 'ack', id: e.id }));
      }
      this.#wake();
    });
  }

  #wake(): void { for (const w of this.#waiters.splice(0)) w(); }

  /** Opens the socket at `node` and resolves after the server's queue-empty (the stored queue was pushed). */
  static async open(node: RelayNode, device: Device): Promise<Socket> {
    const ws = new WebSocket(`${node.url.replace(/^http/, 'ws')}/v1/ws`, { headers: device.auth });
    // Listening before 'open': a first frame that arrives with the upgrade's response is emitted in the same turn.
    const s = new Socket(ws);
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    await s.until((f) => f.some((x) => x.type === 'queue-empty'), `${device.name}: queue-empty`);
    return s;
  }

  /** Resolves when `cond(frames)` holds (checked on every frame), or fails after `timeoutMs`. */
  until(cond: (frames: Frame[]) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (frames: ${JSON.stringify(this.frames.slice(-5))})`)), timeoutMs);
      const check = () => {
        if (cond(this.frames)) { clearTimeout(timer); resolve(); return; }
        this.#waiters.push(check);
      };
      check();
    });
  }

  untilText(text: string, timeoutMs?: number): Promise<void> {
    return this.until(() => this.texts.includes(text), `the envelope "${text}"`, timeoutMs);
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closed;
  }
}
