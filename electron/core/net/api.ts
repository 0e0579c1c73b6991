// HTTP + WebSocket client for the relay server. Every response is checked against the same TypeBox
// schema the server declares it with (common/wire/), and every error body is read by the one parser of
// common/errors.ts, so a misbehaving server is an error here, not undefined behaviour deeper in the client.
import { Compile } from 'typebox/compile';
import type { Static, TSchema } from 'typebox';
import WebSocket from 'ws';
import { parseErrorBody, type ApiErrorCode } from '../../../common/errors.ts';
import * as D from '../../../common/wire/devices.ts';
import * as W from '../../../common/wire/schemas.ts';
import * as L from '../../../common/wire/lifecycle.ts';
import * as G from '../../../common/wire/groups.ts';
import * as WP from '../../../common/wire/workplace.ts';
import * as B from '../../../common/wire/business.ts';
import * as A from '../../../common/wire/attachments.ts';
import * as K from '../../../common/wire/keys.ts';
import { SocketSends, type SendResponse } from './ws-send.ts';

/**
 * A refusal by the server (or a response that breaks the contract: status 0, code invalid_response). Compare
 * `code` with the constants of common/errors.ts (`ErrorCode.unknown_group`), never with bare strings.
 */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: ApiErrorCode, message: string, readonly body: unknown) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 409 mismatched_devices / 410 stale_devices of a send: the body also carries the current device lists. */
const SEND_ERRORS = { 409: W.DeviceMismatch, 410: W.DeviceMismatch };

export { ErrorCode } from '../../../common/errors.ts';

export class NetworkError extends Error {
  override name = 'NetworkError';
}

const validators = new Map<TSchema, ReturnType<typeof Compile>>();
export function checkWire<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  let v = validators.get(schema);
  if (!v) { v = Compile(schema); validators.set(schema, v); }
  if (!v.Check(value)) {
    const first = v.Errors(value)[0];
    throw new ApiError(0, 'invalid_response', `server sent an invalid ${what}: ${first ? `${first.instancePath || '/'} ${first.message}` : 'schema mismatch'}`, value);
  }
  return value as Static<T>;
}

/** A send's answer (HTTP or delivery socket) as the client takes it: the checked 200 body, else its ApiError. */
function checkSendResult(status: number, body: unknown, what: string): SendResponse {
  if (status === 200) return checkWire(W.SendResponse, body, `${what} response`);
  const e = parseErrorBody(status, JSON.stringify(body ?? null), what);
  const special = SEND_ERRORS[status as keyof typeof SEND_ERRORS];
  if (special) checkWire(special, e.body, `${what} HTTP ${status} body`);
  throw new ApiError(status, e.code, e.message, e.body);
}

export class ApiClient {
  readonly baseUrl: string;
  /** 1:1 sends over the delivery socket while it is open (ws-send.ts). */
  #socketSends: SocketSends | undefined;

  constructor(baseUrl: string, private credential?: string, private readonly timeoutMs = 15_000) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`server URL must be http(s): ${baseUrl}`);
    this.baseUrl = u.origin;
  }

  setCredential(credential: string): void {
    this.credential = credential;
  }

  /** `errors`: statuses whose error body has a richer schema than ErrorBody (checked like a success body). */
  private async request<T extends TSchema>(
    method: string, path: string, schema: T | null, body?: unknown, errors: Record<number, TSchema> = {},
  ): Promise<Static<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.credential) headers.authorization = `Bearer ${this.credential}`;
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error',
      });
    } catch (err) {
      throw new NetworkError(`cannot reach ${this.baseUrl}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    const text = await res.text();
    const what = `${method} ${path.split('?')[0]}`;
    if (!res.ok) {
      const e = parseErrorBody(res.status, text, what);
      const special = errors[res.status];
      if (special) checkWire(special, e.body, `${what} HTTP ${res.status} body`);
      throw new ApiError(res.status, e.code, e.message, e.body);
    }
    if (schema === null) return undefined as Static<T>;
    let json: unknown = undefined;
    if (text) {
      try { json = JSON.parse(text); } catch { /* checkWire reports it */ }
    }
    return checkWire(schema, json, `${what} response`);
  }

  /** The credential header for the core's own streamed requests (attachments/transfer.ts); never logged. */
  authHeaders(): Record<string, string> { return this.credential ? { authorization: `Bearer ${this.credential}` } : {}; }
  attachmentLimits() { return this.request('GET', '/v1/attachments/limits', A.AttachmentLimits); }
  grantAttachment(id: string, req: A.GrantAttachmentRequest) {
    return this.request('PUT', `/v1/attachments/${encodeURIComponent(id)}/recipients`, A.GrantAttachmentResponse, req);
  }

  config() { return this.request('GET', '/v1/config', W.ClientConfig); }
  policy() { return this.request('GET', '/v1/policy', W.MessagingPolicy); }
  nonce() { return this.request('POST', '/v1/devices/nonce', W.RegistrationNonce, {}); }
  register(req: W.RegisterDeviceRequest) { return this.request('POST', '/v1/devices', W.RegisterDeviceResponse, req); }
  whoami() { return this.request('GET', '/v1/devices/me', W.WhoAmI); }
  ownDevices() { return this.request('GET', '/v1/devices', D.OwnDeviceList); }
  updateOwnDevice(req: D.UpdateOwnDeviceRequest) { return this.request('PATCH', '/v1/devices/me', D.OwnDevice, req); }
  /** `'me'`: ends this device's registration (sign out). */
  removeOwnDevice(deviceId: number | 'me') { return this.request('DELETE', `/v1/devices/${deviceId}`, D.DeviceRemoved); }
  uploadKeys(req: W.UploadKeysRequest) { return this.request('PUT', '/v1/keys', W.PreKeyCount, req); }
  preKeyCount() { return this.request('GET', '/v1/keys/count', W.PreKeyCount); }
  bundles(userId: string, deviceId?: number) {
    return this.request('GET', `/v1/keys/${encodeURIComponent(userId)}${deviceId === undefined ? '' : `/${deviceId}`}`, W.KeyBundles);
  }
  /** Many users' bundles in one request (at most K.BUNDLE_BATCH_MAX targets). */
  bundlesBatch(targets: K.BundleTarget[]) { return this.request('POST', '/v1/keys/bundles', K.BundleBatchResponse, { targets } satisfies K.BundleBatchRequest); }
  // In the body, not the URL: no email or name in anyone's access log.
  lookup(email: string) { return this.request('POST', '/v1/directory/lookup', W.DirectoryEntry, { email }); }
  search(q: string) { return this.request('POST', '/v1/directory/search', W.DirectorySearchResult, { q }); }
  user(userId: string) { return this.request('GET', `/v1/users/${encodeURIComponent(userId)}`, W.DirectoryEntry); }
  send(req: W.SendRequest): Promise<SendResponse> {
    if (this.#socketSends?.open) return this.#socketSends.send(req);
    return this.request('POST', '/v1/messages', W.SendResponse, req, SEND_ERRORS);
  }

  createGroup(req: G.CreateGroupRequest) { return this.request('POST', '/v1/groups', G.GroupInfo, req); }
  groups() { return this.request('GET', '/v1/groups', G.GroupList); }
  group(id: string) { return this.request('GET', `/v1/groups/${encodeURIComponent(id)}`, G.GroupInfo); }
  updateGroup(id: string, req: G.UpdateGroupRequest) { return this.request('PATCH', `/v1/groups/${encodeURIComponent(id)}`, G.GroupInfo, req); }
  addGroupMember(id: string, userId: string) {
    return this.request('POST', `/v1/groups/${encodeURIComponent(id)}/members`, G.GroupInfo, { userId } satisfies G.AddMemberRequest);
  }
  /** Removes a member, or leaves when `userId` is the caller. */
  removeGroupMember(id: string, userId: string) {
    return this.request('DELETE', `/v1/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`, null);
  }
  setGroupRole(id: string, req: G.SetRoleRequest) { return this.request('POST', `/v1/groups/${encodeURIComponent(id)}/roles`, G.GroupInfo, req); }
  groupEvents(id: string, after: number) {
    return this.request('GET', `/v1/groups/${encodeURIComponent(id)}/events?after=${after}`, G.GroupEvents);
  }
  sendGroup(id: string, req: G.GroupSendRequest) {
    return this.request('POST', `/v1/groups/${encodeURIComponent(id)}/messages`, W.SendResponse, req, SEND_ERRORS);
  }

  adminUsers(email?: string) {
    return this.request('GET', `/v1/admin/users${email ? `?email=${encodeURIComponent(email)}` : ''}`, L.AdminUsersResponse);
  }
  adminWipe(req: L.AdminActionRequest) { return this.request('POST', '/v1/admin/wipe', L.AdminActionResponse, req); }
  adminRevoke(req: L.AdminActionRequest) { return this.request('POST', '/v1/admin/revoke', L.AdminActionResponse, req); }
  adminAudit(limit?: number, opts: { since?: number; before?: number } = {}) {
    const q = new URLSearchParams({
      ...(limit ? { limit: String(limit) } : {}), ...(opts.since !== undefined ? { since: String(opts.since) } : {}),
      ...(opts.before !== undefined ? { before: String(opts.before) } : {}),
    }).toString();
    return this.request('GET', `/v1/admin/audit${q ? `?${q}` : ''}`, L.AuditResponse);
  }
  workingHours() { return this.request('GET', '/v1/me/working-hours', WP.WorkingHoursView); }
  setWorkingHours(req: WP.SetWorkingHoursRequest) { return this.request('PUT', '/v1/me/working-hours', WP.WorkingHoursView, req); }
  resetWorkingHours() { return this.request('DELETE', '/v1/me/working-hours', WP.WorkingHoursView); }
  consent() { return this.request('GET', '/v1/consent', WP.ConsentStatus); }
  acceptConsent(req: WP.AcceptConsentRequest) { return this.request('POST', '/v1/consent', WP.ConsentStatus, req); }
  adminConsent() { return this.request('GET', '/v1/admin/consent', WP.AdminConsentList); }
  adminGroups() { return this.request('GET', '/v1/admin/groups', G.AdminGroupList); }
  adminDirectoryGroups() { return this.request('GET', '/v1/admin/directory-groups', G.DirectoryGroupList); }

  // Business tools (common/wire/business.ts; electron/core/business/).
  companyProfile() { return this.request('GET', '/v1/org/profile', B.CompanyProfileResponse); }
  setCompanyProfile(req: B.SetCompanyProfile) { return this.request('PUT', '/v1/admin/org/profile', B.CompanyProfileResponse, req); }
  welcome() { return this.request('GET', '/v1/org/welcome', B.WelcomeMessage); }
  setWelcome(req: B.SetWelcomeMessage) { return this.request('PUT', '/v1/admin/org/welcome', B.WelcomeMessage, req); }
  publishAway(req: B.AwayStatus) { return this.request('PUT', '/v1/me/away', null, req); }
  unpublishAway() { return this.request('DELETE', '/v1/me/away', null); }
  awayOf(userId: string) { return this.request('GET', `/v1/users/${encodeURIComponent(userId)}/away`, B.AwayLookup); }
  adminStats(days?: number) { return this.request('GET', `/v1/admin/stats${days ? `?days=${days}` : ''}`, B.AdminStats); }
  /** The logo's bytes and the type the server sent (the caller checks both against the bytes themselves). */
  async logo(): Promise<{ contentType: string; bytes: Uint8Array }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/org/logo`, {
        headers: this.credential ? { authorization: `Bearer ${this.credential}` } : {}, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error',
      });
    } catch (err) {
      throw new NetworkError(`cannot reach ${this.baseUrl}: ${(err as Error).message}`);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) {
      const e = parseErrorBody(res.status, new TextDecoder().decode(bytes.subarray(0, 16_384)), 'GET /v1/org/logo');
      throw new ApiError(res.status, e.code, e.message, e.body);
    }
    return { contentType: res.headers.get('content-type') ?? '', bytes };
  }

  /** Opens the delivery socket; frames are validated before they reach `onFrame`. */
  connect(handlers: { onFrame(frame: W.ServerFrame): void; onClose(code: number, reason: string): void; onError(err: Error): void }): Promise<DeliverySocket> {
    const url = new URL('/v1/ws', this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, { headers: this.credential ? { authorization: `Bearer ${this.credential}` } : {}, handshakeTimeout: this.timeoutMs });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        const sends = new SocketSends(ws, {
          check: (status, body) => checkSendResult(status, body, 'send over the delivery socket'),
          lost: (message) => new NetworkError(message),
        }, this.timeoutMs);
        this.#socketSends = sends;
        ws.on('message', (data) => {
          let frame: W.ServerFrame;
          try {
            frame = checkWire(W.ServerFrame, JSON.parse(String(data)), 'delivery frame');
          } catch (err) {
            handlers.onError(err as Error);
            return;
          }
          if (frame.type === 'send-result') sends.settle(frame);
          else handlers.onFrame(frame);
        });
        ws.on('close', (code, reason) => {
          if (this.#socketSends === sends) this.#socketSends = undefined;
          sends.closed();
          handlers.onClose(code, String(reason));
        });
        ws.on('error', (err) => handlers.onError(err));
        resolve(new DeliverySocket(ws));
      });
      ws.once('unexpected-response', (_req, res) => {
        // The refusal carries the same JSON error as any API call (e.g. device_wiped): keep its code.
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => { size += c.length; if (size <= 16_384) chunks.push(c); });
        const fail = () => {
          const e = parseErrorBody(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), 'the delivery socket');
          reject(new ApiError(res.statusCode ?? 0, e.code, e.message, e.body ?? null));
        };
        res.once('end', fail);
        res.once('error', fail);
      });
      ws.once('error', (err) => reject(new NetworkError(`cannot reach ${this.baseUrl}: ${err.message}`)));
    });
  }
}

export class DeliverySocket {
  constructor(private readonly ws: WebSocket) {}
  ack(id: string): void {
    const frame: W.ClientFrame = { type: 'ack', id };
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000, 'bye');
      setTimeout(() => { this.ws.terminate(); resolve(); }, 1000).unref();
    });
  }
}
