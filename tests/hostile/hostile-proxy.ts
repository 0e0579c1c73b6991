// A hostile relay: an HTTP + WebSocket proxy in front of the real server that can answer requests itself
// (a fabricated 409), rewrite responses (device lists, bundles), hang up after forwarding (a lost response),
// and rewrite, drop, hold back or inject delivery frames (envelopes' source fields, replays, reorderings).
// Everything else passes through untouched, so the client talks to the real relay otherwise.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { ServerFrame } from '../../common/wire/schemas.ts';

export interface Exchange {
  method: string;
  /** The path without the query. */
  path: string;
  url: string;
  requestBody: unknown;
  /** Which device asked (from its bearer credential `userId.deviceId.secret`), if any. */
  from?: { userId: string; deviceId: number };
}

/** What a rule answers: a response of its own, or 'hangup' (close the client's connection, no response). */
export type Answer = { status: number; body: unknown } | 'hangup';

/** Before forwarding: answer instead of the server (undefined: forward). */
export type RequestRule = (x: Exchange) => Answer | undefined;
/** After forwarding: replace the server's answer (undefined: pass it on). */
export type ResponseRule = (x: Exchange & { status: number; body: unknown }) => Answer | undefined;
/** A frame from the server to a device: the frames to pass on instead (none: drop it). */
export type FrameRule = (frame: ServerFrame, to: { userId: string; deviceId: number }) => ServerFrame[] | undefined;

export interface HostileProxy {
  url: string;
  /** Every request body the server (or a rule) got, in order. */
  exchanges: Exchange[];
  /** Adds a rule; it stays until the returned function removes it. A rule returning undefined passes. */
  beforeRequest(rule: RequestRule): () => void;
  afterResponse(rule: ResponseRule): () => void;
  onFrame(rule: FrameRule): () => void;
  /** Pushes a frame of the attacker's own to every open delivery socket of that device. */
  inject(to: { userId: string; deviceId: number }, frame: ServerFrame): number;
  close(): Promise<void>;
}

function deviceOf(headers: IncomingHttpHeaders): { userId: string; deviceId: number } | undefined {
  const m = /^Bearer (u_[A-Za-z0-9_-]{22})\.(\d+)\./.exec(headers.authorization ?? '');
  return m ? { userId: m[1]!, deviceId: Number(m[2]) } : undefined;
}

const parse = (b: Buffer): unknown => {
  if (b.length === 0) return undefined;
  try { return JSON.parse(b.toString('utf8')); } catch { return b.toString('utf8'); }
};

function add<T>(list: T[], rule: T): () => void {
  list.push(rule);
  return () => { const i = list.indexOf(rule); if (i >= 0) list.splice(i, 1); };
}

export async function startHostileProxy(target: string): Promise<HostileProxy> {
  const to = new URL(target);
  const exchanges: Exchange[] = [];
  const requestRules: RequestRule[] = [];
  const responseRules: ResponseRule[] = [];
  const frameRules: FrameRule[] = [];
  const sockets = new Set<{ ws: WebSocket; who: { userId: string; deviceId: number } }>();

  const answer = (res: ServerResponse, a: Answer) => {
    if (a === 'hangup') { res.socket?.destroy(); return; }
    const body = JSON.stringify(a.body);
    res.writeHead(a.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '/';
      const x: Exchange = { method: req.method ?? 'GET', path: url.split('?')[0]!, url, requestBody: parse(body), from: deviceOf(req.headers) };
      exchanges.push(x);
      for (const rule of [...requestRules]) {
        const a = rule(x);
        if (a) { answer(res, a); return; }
      }
      const out = request({ host: to.hostname, port: to.port, method: req.method, path: url, headers: { ...req.headers, host: to.host } }, (up) => {
        const got: Buffer[] = [];
        up.on('data', (c: Buffer) => got.push(c));
        up.on('end', () => {
          const raw = Buffer.concat(got);
          const status = up.statusCode ?? 502;
          for (const rule of [...responseRules]) {
            const a = rule({ ...x, status, body: parse(raw) });
            if (a) { answer(res, a); return; }
          }
          const headers = { ...up.headers };
          delete headers['transfer-encoding'];
          headers['content-length'] = String(raw.length);
          res.writeHead(status, headers);
          res.end(raw);
        });
      });
      out.on('error', () => { res.writeHead(502); res.end(); });
      out.end(body);
    });
  });

  // Delivery: the device's socket ends here; a socket of our own (same credential) goes to the server.
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const who = deviceOf(req.headers);
    const upstream = new WebSocket(`ws://${to.host}${req.url ?? '/'}`, { headers: { authorization: req.headers.authorization ?? '' } });
    upstream.once('unexpected-response', (_r, res) => {
      // A refusal (wiped, revoked, bad credential) reaches the client as the server sent it.
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        socket.end(`HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.concat(chunks).length}\r\nconnection: close\r\n\r\n${Buffer.concat(chunks).toString()}`);
      });
    });
    upstream.once('error', () => socket.destroy());
    upstream.once('open', () => {
      // Frames the server sends before the client's handshake completes wait here.
      const early: string[] = [];
      let relay = (data: string) => { early.push(data); };
      upstream.on('message', (data) => relay(String(data)));
      wss.handleUpgrade(req, socket, head, (ws) => {
        const entry = { ws, who: who! };
        sockets.add(entry);
        const real = new Set<string>();
        relay = (data) => {
          const original = JSON.parse(data) as ServerFrame;
          if (original.type === 'envelope') real.add(original.envelope.id);
          let frames: ServerFrame[] = [original];
          for (const rule of [...frameRules]) frames = frames.flatMap((f) => rule(f, entry.who) ?? [f]);
          for (const f of frames) if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(f));
        };
        for (const d of early.splice(0)) relay(d);
        ws.on('message', (data) => {
          // Acks of envelopes the attacker made up (injected, or a rule's copy under a new id) never reach the server.
          const frame = JSON.parse(String(data)) as { type: string; id?: string };
          if (frame.type === 'ack' && frame.id && !real.has(frame.id)) return;
          if (upstream.readyState === WebSocket.OPEN) upstream.send(data);
        });
        const validCode = (c: number) => (c >= 3000 && c <= 4999) || c === 1000 || c === 1001 || c === 1011;
        upstream.on('close', (code, reason) => { sockets.delete(entry); if (ws.readyState <= WebSocket.OPEN) ws.close(validCode(code) ? code : 1011, reason); });
        ws.on('close', () => { sockets.delete(entry); upstream.close(); });
        ws.on('error', () => upstream.terminate());
        upstream.on('error', () => ws.terminate());
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    beforeRequest: (r) => add(requestRules, r),
    afterResponse: (r) => add(responseRules, r),
    onFrame: (r) => add(frameRules, r),
    inject(dest, frame) {
      let n = 0;
      for (const s of sockets) {
        if (s.who.userId !== dest.userId || s.who.deviceId !== dest.deviceId || s.ws.readyState !== WebSocket.OPEN) continue;
        s.ws.send(JSON.stringify(frame));
        n++;
      }
      return n;
    },
    close: async () => {
      for (const s of sockets) s.ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    },
  };
}
