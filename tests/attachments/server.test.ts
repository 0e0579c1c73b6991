// The relay's attachment blob store over real sockets (server/routes/attachments.ts): who may fetch, when a
// blob goes, and every refusal as a JSON ErrorBody — the over-limit one before the body is read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ciphertextSize } from '../../common/wire/attachments.ts';
import { parseErrorBody } from '../../common/errors.ts';
import { activeDevice, api, registerDevice, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';

const KIB = 1024;
let clock = Date.now();
let server: TestServer;
let alice: Registered, bob: Registered, bob2: Registered, carol: Registered;

before(async () => {
  server = await startTestServer({
    now: () => clock,
    // 64 KiB files, 200 KiB per user: small enough that the test never moves much data.
    attachments: { maxBytes: 64 * KIB, quotaBytes: 200 * KIB },
  });
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
  bob2 = await registerDevice(server.url, 'bob');
  carol = await activeDevice(server.url, 'carol');
});
after(() => server.cleanup());

interface RawReply { status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }

/** A raw request: `body` as given (or `declared` bytes announced and only `body` sent), so early refusals show. */
function raw(method: string, path: string, opts: { auth?: Registered; body?: Buffer; declared?: number; type?: string; chunked?: boolean } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': opts.type ?? 'application/octet-stream' };
    if (opts.auth) headers.authorization = opts.auth.auth.authorization;
    if (!opts.chunked && (opts.body || opts.declared !== undefined)) headers['content-length'] = String(opts.declared ?? opts.body!.length);
    const req = request(`${server.url}${path}`, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts), headers: res.headers }));
    });
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    // With a larger Content-Length announced the request stays open: the answer must come without the rest.
    if (opts.declared === undefined) req.end();
  });
}

const errorOf = (r: RawReply) => parseErrorBody(r.status, r.body.toString('utf8'), 'test');
const blob = (plainBytes: number) => randomBytes(ciphertextSize(plainBytes));

async function upload(who: Registered, body: Buffer): Promise<string> {
  const r = await raw('POST', '/v1/attachments', { auth: who, body });
  assert.equal(r.status, 200, r.body.toString());
  const { id } = JSON.parse(r.body.toString()) as { id: string };
  return id;
}

const grant = (who: Registered, id: string, devices: Registered[]) =>
  api(server.url, 'PUT', `/v1/attachments/${id}/recipients`, { auth: who.auth, body: { devices: devices.map((d) => ({ userId: d.userId, deviceId: d.deviceId })) } });

const blobFiles = () => readdirSync(join(server.dataDir, 'blobs'));

test('upload, grant, fetch: only the uploader and the granted devices; the blob goes once every granted device fetched it', async () => {
  const body = blob(40 * KIB);
  const id = await upload(alice, body);
  assert.ok(blobFiles().includes(id));
  // Readable by the server's user only, like the database.
  assert.deepEqual([statSync(join(server.dataDir, 'blobs')).mode & 0o777, statSync(join(server.dataDir, 'blobs', id)).mode & 0o777], [0o700, 0o600]);
  // Before the grant only the uploading device may fetch; to others the id does not exist.
  assert.ok((await raw('GET', `/v1/attachments/${id}`, { auth: alice })).body.equals(body));
  const early = await raw('GET', `/v1/attachments/${id}`, { auth: bob });
  assert.deepEqual([early.status, errorOf(early).code], [404, 'unknown_attachment']);
  // Only the uploading device grants.
  assert.equal((await grant(bob, id, [bob])).status, 404);
  assert.deepEqual((await grant(alice, id, [bob, bob2])).body, { granted: 2 });
  // A device that was not a recipient: 404, the same as no such attachment.
  const stranger = await raw('GET', `/v1/attachments/${id}`, { auth: carol });
  assert.deepEqual([stranger.status, errorOf(stranger).code], [404, 'unknown_attachment']);
  assert.equal((await raw('GET', `/v1/attachments/${id}`)).status, 401);
  const first = await raw('GET', `/v1/attachments/${id}`, { auth: bob });
  assert.equal(first.status, 200);
  assert.ok(first.body.equals(body));
  assert.equal(first.headers['content-type'], 'application/octet-stream');
  assert.ok(blobFiles().includes(id), 'one granted device still has to fetch it');
  const second = await raw('GET', `/v1/attachments/${id}`, { auth: bob2 });
  assert.ok(second.body.equals(body));
  // The fetch is recorded after the response finished: wait for the deletion it triggers.
  // (Bounded by time, not by tries: under load 200 quick tries did not always span it.)
  for (const until = Date.now() + 10_000; Date.now() < until && (blobFiles().includes(id) || (await raw('GET', `/v1/attachments/${id}`, { auth: alice })).status === 200);) {
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(!blobFiles().includes(id), 'the blob file is gone');
  assert.equal((await raw('GET', `/v1/attachments/${id}`, { auth: alice })).status, 404);
  assert.equal((await raw('GET', `/v1/attachments/${id}`, { auth: bob })).status, 404);
});

test('over the size limit: 413 attachment_too_large as JSON, answered before the body is sent', async () => {
  const r = await raw('POST', '/v1/attachments', { auth: alice, declared: ciphertextSize(64 * KIB) + 16, body: randomBytes(1000) });
  assert.equal(r.status, 413);
  const e = errorOf(r);
  assert.equal(e.code, 'attachment_too_large');
  assert.match(e.message, /larger than this server accepts/);
  // Exactly at the limit is fine.
  await upload(alice, blob(64 * KIB));
});

test('over the quota: 413 attachment_quota_exceeded, nothing stored; usage is reported by /limits', async () => {
  const limits = await api(server.url, 'GET', '/v1/attachments/limits', { auth: carol.auth });
  assert.deepEqual(limits.body, { maxBytes: 64 * KIB, quotaBytes: 200 * KIB, usedBytes: 0 });
  const before = blobFiles().length;
  await upload(carol, blob(60 * KIB));
  await upload(carol, blob(60 * KIB));
  await upload(carol, blob(60 * KIB));
  const r = await raw('POST', '/v1/attachments', { auth: carol, body: blob(60 * KIB) });
  assert.deepEqual([r.status, errorOf(r).code], [413, 'attachment_quota_exceeded']);
  assert.equal(blobFiles().length, before + 3);
  // Another user's quota is their own.
  await upload(bob, blob(60 * KIB));
});

test('bad uploads: no Content-Length, not octet-stream, not a ciphertext shape, unauthenticated, cut short — clear errors, nothing kept', async () => {
  const chunked = await raw('POST', '/v1/attachments', { auth: bob, body: blob(10), chunked: true });
  assert.deepEqual([chunked.status, errorOf(chunked).code], [411, 'length_required']);
  const json = await raw('POST', '/v1/attachments', { auth: bob, body: Buffer.from('{"a":1}'), type: 'application/json' });
  assert.deepEqual([json.status, errorOf(json).code], [415, 'unsupported_media_type']);
  const odd = await raw('POST', '/v1/attachments', { auth: bob, body: randomBytes(100) });
  assert.deepEqual([odd.status, errorOf(odd).code], [400, 'invalid_request']);
  const anon = await raw('POST', '/v1/attachments', { body: blob(10) });
  assert.equal(anon.status, 401);
  const files = blobFiles().length;
  // A client that announces more than it sends and hangs up: the partial upload is dropped, the server stays up.
  await new Promise<void>((resolve) => {
    const req = request(`${server.url}/v1/attachments`, {
      method: 'POST', headers: { authorization: bob.auth.authorization, 'content-type': 'application/octet-stream', 'content-length': String(ciphertextSize(30 * KIB)) },
    });
    req.on('error', () => resolve());
    req.write(randomBytes(10 * KIB));
    // Hang up once the server has started writing the blob (its .part file exists).
    const waitForPart = () => {
      if (blobFiles().some((f) => f.endsWith('.part'))) { req.destroy(); resolve(); } else setTimeout(waitForPart, 5);
    };
    waitForPart();
  });
  for (let i = 0; i < 400 && blobFiles().some((f) => f.endsWith('.part')); i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(blobFiles().length, files, 'no blob and no .part left');
  assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);
});

test('expiry: an ungranted upload goes after an hour, a granted one after the retention period', async () => {
  const ungranted = await upload(alice, blob(1000));
  const granted = await upload(alice, blob(1000));
  await grant(alice, granted, [bob]);
  clock += 3_600_000 + 1;
  // Expired ids are answered 404 at once, and the sweep (every upload runs one) deletes them.
  assert.equal((await raw('GET', `/v1/attachments/${ungranted}`, { auth: alice })).status, 404);
  await upload(alice, blob(10));
  assert.ok(!existsSync(join(server.dataDir, 'blobs', ungranted)));
  assert.ok(existsSync(join(server.dataDir, 'blobs', granted)));
  clock += 30 * 24 * 3_600_000;
  await upload(bob, blob(10));
  assert.ok(!existsSync(join(server.dataDir, 'blobs', granted)));
  assert.equal((await raw('GET', `/v1/attachments/${granted}`, { auth: bob })).status, 404);
});
