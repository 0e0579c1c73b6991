// Helpers of the SCIM tests (scim.test.ts, scim-identity.test.ts): SCIM requests with the bearer token, SCIM
// error checks, and a delivery socket that records frames.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import Database from '@signalapp/sqlcipher';
import { Value } from 'typebox/value';
import { DEV_ACCOUNTS } from '../../server/dev-idp.ts';
import { DB_FILE } from '../../server/store/sqlite.ts';
import { ScimError, ScimGroup, ScimListResponse, ScimUser, URN } from '../../common/wire/scim.ts';
import { api, type Registered, type TestServer } from './helpers.ts';

export const TOKEN = 'scim-test-token-0123456789abcdef';
export const ENTERPRISE = URN.enterpriseUser;
export const sub = (username: string) => DEV_ACCOUNTS.find((a) => a.username === username)!.sub;

export interface ScimResponse { status: number; body: any; contentType: string | null }

export async function scim(
  server: TestServer, method: string, path: string,
  opts: { body?: unknown; raw?: string; token?: string | null; contentType?: string } = {},
): Promise<ScimResponse> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/scim+json';
  const res = await fetch(`${server.url}/scim/v2${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed, contentType: res.headers.get('content-type') };
}

export function assertScimError(res: ScimResponse, status: number, scimType?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.ok(Value.Check(ScimError, res.body as unknown), `not a SCIM error: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.status, String(status));
  if (scimType) assert.equal(res.body.scimType, scimType, JSON.stringify(res.body));
  assert.match(res.contentType ?? '', /^application\/scim\+json/);
}

export const UserList = ScimListResponse(ScimUser);
export const GroupList = ScimListResponse(ScimGroup);

export async function findUser(server: TestServer, userName: string): Promise<any[]> {
  const res = await scim(server, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(Value.Check(UserList, res.body as unknown), JSON.stringify(res.body));
  return res.body.Resources;
}

/** A delivery socket that records frames and its close code. */
export function connect(server: TestServer, dev: Registered): Promise<{ frames: any[]; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: dev.auth });
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.once('open', () => resolve({ frames, closed }));
    ws.once('error', reject);
  });
}

/** Sends one envelope to every active device of `to` from `from` (whose user has no other active device). */
export async function sendTo(server: TestServer, from: Registered, to: Registered): Promise<void> {
  const dir = await api(server.url, 'GET', `/v1/users/${to.userId}`, { auth: from.auth });
  const envelopes = dir.body.devices.map((d: any) => ({
    userId: to.userId, deviceId: d.deviceId, registrationId: d.registrationId, type: 1, content: Buffer.from('hello').toString('base64'),
  }));
  const res = await api(server.url, 'POST', '/v1/messages', { auth: from.auth, body: { recipient: to.userId, envelopes } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

export function count(server: TestServer, sql: string, ...params: string[]): number {
  const db = new Database(join(server.dataDir, DB_FILE));
  try {
    const row = (params.length ? db.prepare(sql).get(params) : db.prepare(sql).get()) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}
