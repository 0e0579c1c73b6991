// Finding 9: idle unauthenticated TCP connections exhausted file descriptors (~20,000 sockets stopped the server:
// no connection or idle timeouts). Now a connection must finish its request headers in time, idle keep-alive
// connections are closed, one address holds a bounded number of connections that are not authenticated
// delivery sockets, and the server never accepts more connections than it has descriptors for.
// Timeouts here are shortened through ServerOptions.connections so the test takes seconds; the defaults are
// checked at the end. (The flood against a server in its own process, with RSS and /healthz: tests/load/.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { connectionDefaults } from '../../server/limits/connections.ts';
import { waitFor } from '../support/wait-for.ts';
import { activeDevice, startTestServer, type TestServer } from '../server/helpers.ts';

const servers: TestServer[] = [];
after(async () => { for (const s of servers) await s.cleanup(); });

async function start(connections: Record<string, number>): Promise<{ server: TestServer; port: number }> {
  const server = await startTestServer({ connections });
  servers.push(server);
  return { server, port: Number(new URL(server.url).port) };
}

/** A raw TCP connection from `localAddress`; `closed` resolves when the server ends it. */
function rawConnection(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    socket.on('data', () => {}); // a 408 may come first
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - t0)));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

async function healthz(url: string, localAddress?: string): Promise<number> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { ...(localAddress ? { localAddress } : {}), agent: false }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.once('error', reject);
    req.end();
  });
}

test('connections that send nothing, or headers too slowly, are closed after the headers timeout', async () => {
  const { server, port } = await start({ headersTimeoutMs: 1000, requestTimeoutMs: 2000, maxPerIp: 1000 });
  const idle = await Promise.all(Array.from({ length: 50 }, () => rawConnection(port)));
  const slow = await rawConnection(port);
  slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  const drip = setInterval(() => slow.socket.write('X-Slow: 1\r\n'), 200);
  try {
    const times = await Promise.all([...idle, slow].map((c) => c.closed));
    assert.ok(Math.max(...times) < 5000, `closed after ${Math.max(...times)} ms`);
  } finally {
    clearInterval(drip);
  }
  assert.equal(await healthz(server.url), 200);
});

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  const { port } = await start({ keepAliveTimeoutMs: 300, maxPerIp: 1000 });
  const c = await rawConnection(port);
  c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  const ms = await c.closed;
  assert.ok(ms < 3000, `closed after ${ms} ms`);
});

test('one address holds at most maxPerIp pending connections; other addresses and authenticated sockets are unaffected', async () => {
  // Devices are registered first (registration itself opens connections), then the server restarts with the cap.
  const first = await startTestServer();
  const devices = [];
  for (let i = 0; i < 12; i++) devices.push(await activeDevice(first.url, ['alice', 'bob', 'carol', 'dave'][i % 4]!));
  await first.close();
  const server = await startTestServer({ dataDir: first.dataDir, connections: { maxPerIp: 10, headersTimeoutMs: 30_000, requestTimeoutMs: 60_000 } });
  servers.push(server);
  const port = Number(new URL(server.url).port);
  // Authenticated delivery sockets of the same address do not count: 12 devices stay connected.
  const sockets: WebSocket[] = [];
  for (const d of devices) {
    sockets.push(await new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: d.auth });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    }));
  }
  // Now 30 idle connections from 127.0.0.1: 10 are kept, the rest are closed at once.
  const conns = await Promise.all(Array.from({ length: 30 }, () => rawConnection(port)));
  const early = await Promise.all(conns.map((c) => Promise.race([c.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))])));
  assert.equal(early.filter(Boolean).length, 20, 'the 20 over the limit were refused');
  // Another address is served meanwhile (the whole of 127/8 is loopback on Linux).
  assert.equal(await healthz(server.url, '127.0.0.2'), 200);
  assert.ok(sockets.every((ws) => ws.readyState === WebSocket.OPEN), 'delivery sockets stay');
  for (const c of conns) c.socket.destroy();
  // Once the idle ones are gone (the server sees them close), the address is served again.
  await waitFor(async () => (await healthz(server.url).catch(() => 0)) === 200, { what: 'the address to be served again' });
  for (const ws of sockets) ws.close();
});

test('a delivery socket that stops answering pings (a sleeping laptop, a cut link) is dropped', async () => {
  const first = await startTestServer();
  const dev = await activeDevice(first.url, 'alice');
  await first.close();
  const server = await startTestServer({ dataDir: first.dataDir, connections: { heartbeatMs: 200 } });
  servers.push(server);
  const open = (autoPong: boolean) => new Promise<{ ws: WebSocket; closed: Promise<number> }>((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: dev.auth, autoPong });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
  const silent = await open(false);
  assert.equal(await silent.closed, 1006, 'terminated, no close handshake');
  // A client that answers (every ws client does by default) stays through many heartbeats.
  const alive = await open(true);
  let pings = 0;
  await new Promise<void>((resolve) => alive.ws.on('ping', () => { if (++pings === 5) resolve(); }));
  assert.equal(alive.ws.readyState, WebSocket.OPEN);
  alive.ws.close();
  await alive.closed;
});

test('rate limits key on the client address: X-Forwarded-For only from a trusted proxy', async () => {
  const nonce = (server: TestServer, forwardedFor: string) =>
    fetch(`${server.url}/v1/devices/nonce`, { method: 'POST', headers: { 'x-forwarded-for': forwardedFor } }).then((r) => r.status);
  const drain = async (server: TestServer, forwardedFor: string) => {
    for (let i = 0; i < 100; i++) if (await nonce(server, forwardedFor) === 429) return true;
    return false;
  };
  const proxied = await startTestServer({ trustProxy: '127.0.0.1', rateLimits: { nonceByIp: { burst: 5, perSecond: 0.01 } } });
  servers.push(proxied);
  assert.ok(await drain(proxied, '203.0.113.1'), 'one client is limited');
  assert.equal(await nonce(proxied, '203.0.113.2'), 200, 'another client behind the same proxy is not');
  // Without trustProxy the header is ignored: all of these are the socket's address, 127.0.0.1.
  const direct = await startTestServer({ rateLimits: { nonceByIp: { burst: 5, perSecond: 0.01 } } });
  servers.push(direct);
  assert.ok(await drain(direct, '203.0.113.1'));
  assert.equal(await nonce(direct, '203.0.113.2'), 429, 'a forged header changes nothing');
});

test('defaults: short header and keep-alive timeouts, a per-IP cap that is off behind a trusted proxy, a total cap under the descriptor limit', () => {
  const d = connectionDefaults({});
  assert.equal(d.headersTimeoutMs, 10_000);
  assert.ok(d.requestTimeoutMs >= d.headersTimeoutMs);
  assert.ok(d.keepAliveTimeoutMs <= 10_000);
  assert.equal(d.maxPerIp, 256);
  assert.equal(connectionDefaults({ trustProxy: 1 }).maxPerIp, 0, 'behind a proxy every client shares its address');
  assert.equal(connectionDefaults({ trustProxy: 1, connections: { maxPerIp: 50 } }).maxPerIp, 50, 'unless set');
  if (process.platform === 'linux') assert.ok(d.max !== undefined && d.max > 0 && d.max < 1_000_000, String(d.max));
});
