// Load tools for the relay section: the real server binary as a child process (so its CPU and RSS are its
// own), an HTTP/1.1 pipelining client that costs the load generator almost nothing per request, and
// delivery-socket receivers that ack what they get. Everything targets 127.0.0.1 only.
import { createIdentity, createPreKeys, createSignedPreKey } from '../../crypto/signal.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, watch } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { RELAY_NODE_FLAGS } from '../../server/cli/node-flags.ts';
import { stopChild } from '../support/child.ts';

const SERVER_BIN = fileURLToPath(new URL('../../server/cli/parley-server.js', import.meta.url));
const ANCHOR_SERVER = fileURLToPath(new URL('./relay-anchor-server.ts', import.meta.url));

export interface ServerChild { url: string; host: string; port: number; pid: number; child: ChildProcess; stop(): Promise<void> }

/**
 * `parley-server --dev-idp` on an ephemeral loopback port, started the way an operator starts it (with the
 * node flags of the systemd unit and the container: server/cli/node-flags.ts). Its stdout
 * (the request log) goes to a file, as under a service manager: a pipe that this busy process drains late
 * would make the server's synchronous log writes wait.
 */
export function startServerChild(dataDir: string, logFile: string, extraNodeArgs: string[] = []): Promise<ServerChild> {
  return startChild([...RELAY_NODE_FLAGS, ...extraNodeArgs, SERVER_BIN, '--data', dataDir, '--port', '0', '--host', '127.0.0.1', '--dev-idp'], logFile, 'parley-server');
}

/** The bench's bare WebSocket relay (relay-anchor-server.ts), started like the server. */
export function startAnchorChild(logFile: string): Promise<ServerChild> {
  return startChild(['--import', 'tsx', ANCHOR_SERVER], logFile, 'the relay anchor');
}

/**
 * `node ARGS` with stdout to `logFile`, ready once it logs "listening on http://127.0.0.1:PORT" (parley-server,
 * the relay anchor); `what` names it in the error if it exits first.
 */
export async function startChild(args: string[], logFile: string, what: string): Promise<ServerChild> {
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const watcher = watch(logFile);
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const look = () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(readFileSync(logFile, 'utf8'));
        if (m) resolve(m[1]!);
      };
      watcher.on('change', look);
      look();
      child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before listening: ${err.trim()}`)));
    });
  } finally {
    watcher.close();
  }
  const { hostname, port } = new URL(url);
  return {
    url, host: hostname, port: Number(port), pid: child.pid!, child,
    stop: () => stopChild(child),
  };
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** CPU time (user + system) of a process so far, in ms (Linux /proc; clock ticks of 100 Hz). */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A keep-alive HTTP/1.1 connection with pipelining: requests are pre-encoded bytes, answers are status codes. */
export class PipelinedConnection implements Requester {
  readonly #socket: Socket;
  readonly #waiting: ((status: number) => void)[] = [];
  #buf: Buffer = Buffer.alloc(0);
  #failed: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => { this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d; this.#parse(); });
    socket.on('error', (e) => this.#fail(e));
    socket.on('close', () => this.#fail(new Error('connection closed by the server')));
  }

  static open(host: string, port: number): Promise<PipelinedConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => { s.off('error', reject); resolve(new PipelinedConnection(s)); });
      s.once('error', reject);
    });
  }

  get inFlight(): number { return this.#waiting.length; }

  request(bytes: Buffer): Promise<number> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#socket.write(bytes);
    });
  }

  close(): void { this.#socket.destroy(); }

  #fail(e: Error): void {
    if (this.#failed) return;
    this.#failed = e;
    for (const w of this.#waiting.splice(0)) w(0);
  }

  #parse(): void {
    for (;;) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.#buf.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const len = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!len) throw new Error(`response without content-length: ${head.slice(0, 200)}`);
      const total = end + 4 + Number(len[1]);
      if (this.#buf.length < total) return;
      this.#buf = this.#buf.subarray(total);
      this.#waiting.shift()?.(status);
    }
  }
}

/** Anything the closed loop can keep requests in flight on: answers are status codes (0 = connection lost). */
export interface Requester { request(bytes: Buffer): Promise<number> }

const RESULT_STATUS = /^\{"type":"send-result","req":"[A-Za-z0-9_-]*","status":(\d{3}),/;

/**
 * A sender's delivery socket used for `send` frames (common/wire/socket-send.ts): frames are prebuilt bytes, each
 * `send-result` answers the oldest outstanding one (the bench only counts statuses, so pairing by req is not needed).
 */
export class SocketSender implements Requester {
  readonly #waiting: ((status: number) => void)[] = [];
  #failed: Error | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = RESULT_STATUS.exec(data.toString('latin1', 0, 80));
      if (m) this.#waiting.shift()?.(Number(m[1]));
    });
    ws.on('close', () => this.#fail(new Error('delivery socket closed')));
  }

  /** Opens the device's delivery socket and waits for queue-empty. */
  static open(url: string, credential: string): Promise<SocketSender> {
    return openReceiver(url, credential).then((ws) => new SocketSender(ws));
  }

  request(bytes: Buffer): Promise<number> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.ws.send(bytes, { binary: false });
    });
  }

  #fail(e: Error): void {
    if (this.#failed) return;
    this.#failed = e;
    for (const w of this.#waiting.splice(0)) w(0);
  }
}

/** Where a request's sendId goes in a prebuilt request (sendIdSlot), as long as a client's (electron/core/outgoing/fanout.ts sendIdFor). */
export const SEND_ID_SLOT = 'S'.repeat(43);

/**
 * Requests that each carry a sendId of their own, as the client's sends do (the server records every one and
 * checks every retry against it): `templates[i]` holds SEND_ID_SLOT once; request n is template n mod length with
 * a sendId unique to this call (a random tag and n), so no request is taken for a retry of another.
 */
export function withSendIds(templates: Buffer[]): (n: number) => Buffer {
  const tag = randomBytes(6).toString('base64url');
  const parts = templates.map((t) => {
    const at = t.indexOf(SEND_ID_SLOT);
    if (at < 0 || t.indexOf(SEND_ID_SLOT, at + 1) >= 0) throw new Error('a template needs exactly one sendId slot');
    return [t.subarray(0, at), t.subarray(at + SEND_ID_SLOT.length)] as const;
  });
  return (n) => {
    const [head, tail] = parts[n % parts.length]!;
    return Buffer.concat([head, Buffer.from(`${tag}-${n.toString(36).padStart(SEND_ID_SLOT.length - tag.length - 1, '0')}`, 'latin1'), tail]);
  };
}

/** The bytes of one `send` frame. */
export function sendFrameBytes(body: unknown): Buffer {
  return Buffer.from(JSON.stringify({ type: 'send', req: 'b', send: body }));
}

/** The bytes of one authenticated JSON POST. */
export function postBytes(host: string, port: number, path: string, credential: string, body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body));
  return Buffer.concat([Buffer.from(
    `POST ${path} HTTP/1.1\r\nhost: ${host}:${port}\r\nauthorization: Bearer ${credential}\r\ncontent-type: application/json\r\ncontent-length: ${json.length}\r\n\r\n`,
    'latin1'), json]);
}

const ENVELOPE = /"id":"(\d+)"[^]*?"content":"([A-Za-z0-9+/]{0,12})/;

/**
 * An online device: its delivery socket, acking every envelope. `onEnvelope` gets the first 9 bytes of the
 * content (the bench puts a sequence number there). Resolves once the server said the queue is empty.
 */
export function openReceiver(url: string, credential: string, onEnvelope?: (head: Buffer) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${credential}` }, perMessageDeflate: false });
    let ready = false;
    ws.on('message', (data) => {
      const text = data.toString();
      if (!ready && text === '{"type":"queue-empty"}') { ready = true; resolve(ws); return; }
      const m = ENVELOPE.exec(text);
      if (!m) return;
      ws.send(`{"type":"ack","id":"${m[1]}"}`);
      onEnvelope?.(Buffer.from(m[2]!, 'base64'));
    });
    ws.once('error', (e) => { if (!ready) reject(e); });
    ws.once('close', (code) => { if (!ready) reject(new Error(`delivery socket closed with ${code} before queue-empty`)); });
  });
}

/** Opens `count` sockets with at most `parallel` handshakes at a time. */
export async function openMany<T = WebSocket>(count: number, parallel: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await open(i);
    }
  }));
  return out;
}

/** Closes sockets and waits until each one is closed. */
export async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.terminate();
  })));
}

export const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** A provisioned bench device and its credential. */
export interface Device { userId: string; deviceId: number; registrationId: number; credential: string }

/** Uploads a fresh identity, signed prekey and one one-time prekey for each device (16 at a time). */
export async function publishKeys(url: string, devices: Device[]): Promise<void> {
  for (let i = 0; i < devices.length; i += 16) {
    await Promise.all(devices.slice(i, i + 16).map(async (d) => {
      const identity = await createIdentity();
      const signed = await createSignedPreKey(identity.keyPair, 1);
      const pre = await createPreKeys(1, 1);
      const res = await fetch(`${url}/v1/keys`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${d.credential}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          identityKey: b64(identity.keyPair.publicKey),
          signedPreKey: { keyId: 1, publicKey: b64(signed.keyPair.publicKey), signature: b64(signed.signature) },
          preKeys: pre.map((k) => ({ keyId: k.keyId, publicKey: b64(k.keyPair.publicKey) })),
        }),
      });
      if (!res.ok) throw new Error(`PUT /v1/keys: HTTP ${res.status} ${await res.text()}`);
    }));
  }
}
