// The Parley relay/directory server: Fastify + TypeBox validation, SQLite storage, WebSocket
// delivery, and (for development) an embedded OpenID Connect provider.
import Fastify, { LogController, type FastifyError, type FastifyServerOptions } from 'fastify';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ClientConfig, Health, LIMITS, MessagingPolicy } from '../common/wire/schemas.ts';
import { ERRORS, type ErrorBody, type ErrorCode } from '../common/errors.ts';
import { ApiError, errorBody } from './errors.ts';
import { accessLog, SendTally, serverLoggerOptions } from './logging.ts';
import { auditPolicyInForce } from './policy-audit.ts';
import { authenticator, CredentialCache, IdTokenVerifier } from './auth.ts';
import { DeliveryHub } from './delivery.ts';
import { serveSocketSends } from './socket-send.ts';
import { SEND_FRAME_BYTES } from '../common/wire/socket-send.ts';
import { BASE64_FORMAT, isBase64 } from '../common/wire/base64.ts';
import { SqliteStore } from './store/sqlite.ts';
import { PostgresStore } from './store/postgres/index.ts';
import { NatsBus } from './bus/nats.ts';
import type { Bus } from './bus/types.ts';
import { readinessRoutes } from './routes/ready.ts';
import type { ServerStore } from './store/types.ts';
import type { App, AppContext } from './context.ts';
import { createDevIdp, DEV_CLIENT_ID, DEV_IDP_PATH, DEV_WARNING, mountDevIdp, type DevIdp } from './dev-idp.ts';
import { deviceRoutes } from './routes/devices.ts';
import { keyRoutes } from './routes/keys.ts';
import { directoryRoutes } from './routes/directory.ts';
import { messageRoutes } from './routes/messages.ts';
import { wsRoutes } from './routes/ws.ts';
import { lifecycleRoutes } from './routes/lifecycle.ts';
import { adminRoutes } from './routes/admin.ts';
import { scimRoutes } from './routes/scim.ts';
import { groupRoutes } from './routes/groups.ts';
import { businessRoutes } from './routes/business.ts';
import { attachmentRoutes } from './routes/attachments.ts';
import { attachmentConfig, type AttachmentConfig } from './attachments/config.ts';
import { RetentionSweeper } from './retention/sweeper.ts';
import { Workplace } from './workplace/index.ts';
import { HeldReleaser } from './workplace/release.ts';
import { orgAdminState } from './identity/admin.ts';
import { workingHoursRoutes } from './routes/working-hours.ts';
import { consentRoutes } from './routes/consent.ts';
import { leaseKeyFromPem, loadOrCreateLeaseKey, type LeaseKey } from './lease-key.ts';
import { replies, requireResponseSchemas, type CheckedRoute } from './responses.ts';
import { ServerLimits, type Caps, type RateName } from './limits/index.ts';
import type { Rate } from './limits/limiter.ts';
import {
  ConnectionGuard, connectionDefaults, fastifyTrustProxy, serverTimeoutOptions, type ConnectionOptions, type TrustProxy,
} from './limits/connections.ts';

/** The `base64` format of the wire schemas (common/wire/base64.ts) for Ajv. */
const BASE64_AJV = { [BASE64_FORMAT]: { type: 'string' as const, validate: isBase64 } };

/** Said when the dev IdP runs on a node of a cluster (--database): it cannot serve more than one node. */
export const DEV_IDP_CLUSTER_WARNING = 'the dev IdP is for single-node development only: its signing keys and sign-in sessions live in this process and its issuer names this node, so other nodes refuse its tokens; give a cluster a real IdP (--issuer, --client-id)';

export interface ServerOptions {
  /** The SQLite store and the lease key live here; unused with `database`. */
  dataDir?: string;
  /** postgres://… : the PostgreSQL store, shared by every node of a cluster (instead of SQLite in dataDir). */
  database?: string;
  /** nats://… : the delivery bus between nodes (server/bus/); needs `database`. */
  bus?: string;
  /** The lease signing key (PKCS#8 PEM) from configuration, the same on every node; required with `database`. */
  leaseKey?: { pem: string; source: string };
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  /** Embedded development IdP under /idp. Exclusive with issuer + clientId. */
  devIdp?: boolean;
  issuer?: string;
  clientId?: string;
  organization?: string;
  adminGroup?: string;
  /** Externally visible base URL (e.g. behind a reverse proxy); the dev IdP's issuer derives from it. */
  publicUrl?: string;
  /** The messaging policy users accept at first run (plain text) and the org's rules; a built-in default otherwise. */
  policy?: MessagingPolicy;
  /** Org offline policy: a device that has not reached the server for this long locks its store (default 72). */
  offlineLockHours?: number;
  /** …and after this many days erases it; null (the default) = never wipe for being offline. */
  offlineWipeDays?: number | null;
  /** SCIM 2.0 provisioning bearer token: /scim/v2 exists only when set (CLI --scim-token or PARLEY_SCIM_TOKEN). */
  scimToken?: string;
  /** ID-token claim matched against a SCIM user's externalId at device registration (default 'sub'; Entra: 'oid'). */
  scimLinkClaim?: string;
  /**
   * Behind a reverse proxy: which proxies to believe about the client address (X-Forwarded-For) — true (any),
   * a hop count, or addresses/CIDRs. Rate limits key on that address. See server/limits/connections.ts.
   */
  trustProxy?: TrustProxy;
  /** Connection caps and timeouts (server/limits/connections.ts has the defaults). */
  connections?: ConnectionOptions;
  /** Changes single rate limits of server/limits/index.ts (tests, unusual deployments). */
  rateLimits?: Partial<Record<RateName, Rate>>;
  /** Changes single caps of server/limits/index.ts (how many nonces may be outstanding, …). */
  caps?: Partial<Caps>;
  /** Org statistics withhold every daily figure below this k-anonymity threshold (default 5; server/business/stats.ts). */
  statsK?: number;
  /** Attachment limits (server/attachments/config.ts has the defaults: 100 MiB per file, 1 GiB per user, 30 days). */
  attachments?: Partial<AttachmentConfig>;
  /**
   * Refuse sending and fetching messages (403 consent_required) until the user accepted the current messaging
   * policy. Default: on with a company IdP (whichever policy: the deployment's file or the built-in one) and
   * whenever `policy` is given; off only for the demo/test server on the dev IdP without a policy file.
   */
  requireConsent?: boolean;
  /** How often held messages (recipient off work) are checked for release (default 5000 ms). */
  heldReleaseIntervalMs?: number;
  /** Millisecond clock, injectable for tests. */
  now?: () => number;
  logger?: FastifyServerOptions['logger'];
}

export interface RunningServer {
  /** http://HOST:PORT actually bound. */
  url: string;
  issuer: string;
  clientId: string;
  app: App;
  /** Every route served, with the response schemas it declares (each one has them: see requireResponseSchemas). */
  routes: readonly CheckedRoute[];
  /** The org retention sweep (server/retention/), when the policy sets `retention.messagesDays`. */
  retention: RetentionSweeper | undefined;
  close(): Promise<void>;
}

/** Maps any thrown error to the ErrorBody every client fault gets (codes from common/errors.ts only). */
function errorResponse(err: FastifyError | ApiError | Error): { status: number; body: ErrorBody } {
  if (err instanceof ApiError) return { status: err.statusCode, body: err.body() };
  const e = err as FastifyError;
  const of = (code: ErrorCode, message?: string) => ({ status: ERRORS[code].status, body: errorBody(code, message) });
  if (e.validation) return of('invalid_request', `Invalid request: ${e.message}.`);
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return of('invalid_json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return of('body_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return of('unsupported_media_type');
  }
  if (e instanceof SyntaxError) return of('invalid_json');
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  // The framework's other client errors keep the status it chose.
  if (status >= 400 && status < 500) return { status, body: errorBody('bad_request', e.message || undefined) };
  return { status: status >= 500 && status < 600 ? status : 500, body: errorBody('internal_error') };
}

function defaultPolicy(organization: string): MessagingPolicy {
  return {
    version: '2026-11-default',
    text: [
      `${organization} provides Parley for work conversations.`,
      'Messages are end-to-end encrypted: the company cannot read them on the server. Your account belongs to your employer; when you leave, your devices are signed out and their local data is erased.',
      'Do not use Parley for content that breaks the law or company rules. An administrator can erase Parley\'s data on a lost or stolen device.',
    ].join('\n\n'),
  };
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const external = opts.issuer !== undefined || opts.clientId !== undefined;
  if (opts.devIdp ? external : !(opts.issuer && opts.clientId)) {
    throw new Error('startServer: give exactly one of devIdp: true, or both issuer and clientId');
  }
  const offlineLockHours = opts.offlineLockHours ?? 72;
  const offlineWipeDays = opts.offlineWipeDays ?? null;
  if (!Number.isInteger(offlineLockHours) || offlineLockHours < 1 || offlineLockHours > 24 * 365) {
    throw new Error('startServer: offlineLockHours must be an integer from 1 to 8760');
  }
  if (offlineWipeDays !== null && (!Number.isInteger(offlineWipeDays) || offlineWipeDays < 1 || offlineWipeDays > 3650)) {
    throw new Error('startServer: offlineWipeDays must be null or an integer from 1 to 3650');
  }
  if (opts.scimToken !== undefined && opts.scimToken.length < 16) {
    throw new Error('startServer: scimToken must be at least 16 characters');
  }
  if (opts.scimLinkClaim !== undefined && !/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(opts.scimLinkClaim)) {
    throw new Error('startServer: scimLinkClaim must be a claim name');
  }
  const attachments = attachmentConfig(opts.attachments);
  const now = opts.now ?? Date.now;
  const logger = opts.logger ?? true;
  const connections = connectionDefaults(opts);
  const trustProxy = fastifyTrustProxy(opts.trustProxy);
  const app: App = Fastify({
    ...serverTimeoutOptions(connections),
    ...(trustProxy !== undefined ? { trustProxy } : {}),
    // Never credentials or tokens, nor emails and names (server/logging.ts).
    logger: logger === true ? serverLoggerOptions() : logger,
    // One access line per request instead of Fastify's two (accessLog below); accepted sends are summed per second.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: LIMITS.bodyBytes,
    // Reject rather than silently strip unknown properties or coerce "5" into 5: the contract is exact.
    // `base64`: the same check as TypeBox's (common/wire/base64.ts), not ajv-formats' slower `byte` pattern.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, formats: BASE64_AJV } },
    // The serializer's own Ajv picks between the branches of a union response: it knows the format too.
    serializerOpts: { ajv: { formats: BASE64_AJV } },
    // Query strings of the contract are small; anything else is noise.
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const connectionGuard = new ConnectionGuard(app.server, connections, app.log);

  // Configuration errors first, before anything is opened.
  if (opts.bus !== undefined && opts.database === undefined) throw new Error('startServer: bus needs database (nodes share their state in PostgreSQL)');
  if (opts.database !== undefined && opts.leaseKey === undefined) {
    throw new Error('startServer: with database, give leaseKey: every node must sign leases with the same key');
  }
  if (opts.database === undefined && opts.dataDir === undefined) throw new Error('startServer: give dataDir (SQLite) or database (PostgreSQL)');
  const leaseKey: LeaseKey = opts.leaseKey ? leaseKeyFromPem(opts.leaseKey.pem, opts.leaseKey.source) : loadOrCreateLeaseKey(opts.dataDir!);
  let store: ServerStore;
  let pingStore: () => Promise<void>;
  if (opts.database !== undefined) {
    const pg = await PostgresStore.open(opts.database, {
      onIdleError: (err) => app.log.warn({ err }, 'a pooled PostgreSQL connection failed; it will be replaced'),
    });
    store = pg;
    pingStore = () => pg.ping();
  } else {
    const sqlite = new SqliteStore(opts.dataDir!);
    store = sqlite;
    pingStore = async () => { await sqlite.users.get('readyz'); };
  }
  let bus: Bus | undefined;
  if (opts.bus !== undefined) {
    try {
      bus = await NatsBus.open(opts.bus, app.log);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  // One writer (SQLite): the sends of a turn share a commit, and verified credentials are cached (this process sees
  // every revocation). Many (PostgreSQL): each send is one statement, each request reads its device.
  const credentials = opts.database === undefined ? new CredentialCache() : undefined;
  const hub = new DeliveryHub(store, app.log, { ...(bus ? { bus } : {}), groupCommit: opts.database === undefined, ...(credentials ? { credentials } : {}) });
  const organization = opts.organization ?? (opts.devIdp ? 'Acme Corp' : 'Parley');
  const ctx: AppContext = {
    store, hub, now,
    adminGroup: opts.adminGroup ?? 'parley-admins',
    organization,
    devIdp: Boolean(opts.devIdp),
    identity: undefined,
    authenticate: authenticator(store, now, credentials),
    leaseKey,
    offlinePolicy: { offlineLockHours, offlineWipeDays },
    limits: new ServerLimits(now, opts.rateLimits, opts.caps),
    connections: connectionGuard,
    workplace: new Workplace({
      store, now, log: app.log, policy: opts.policy ?? defaultPolicy(organization), requireConsent: opts.requireConsent ?? (opts.policy !== undefined || !opts.devIdp),
      isAdmin: async (user) => (await orgAdminState(ctx, user)) === 'admin',
    }),
    releaser: new HeldReleaser(store, hub, now, app.log, opts.heldReleaseIntervalMs ?? 5_000),
    sends: new SendTally(app.log),
  };

  const routes = requireResponseSchemas(app);
  app.addHook('onResponse', accessLog(ctx.sends));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, body } = errorResponse(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    const { retryAfterMs } = body as { retryAfterMs?: unknown };
    if (body.error === 'rate_limited' && typeof retryAfterMs === 'number') void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorBody('not_found', `There is no ${req.method} ${req.url.split('?')[0]} endpoint.`));
  });

  let devIdp: DevIdp | undefined;
  if (opts.devIdp) mountDevIdp(app, () => devIdp);

  // A client frame is an ack of ~40 bytes or a send (server/socket-send.ts, at most a send body): anything larger
  // is refused (1009) before it is buffered whole; acks above WS_LIMITS.frameChars are malformed frames.
  await app.register(websocket, { options: { maxPayload: SEND_FRAME_BYTES } });
  serveSocketSends(ctx, hub, app.log);

  app.get('/healthz', { schema: { response: replies({ 200: Health }) } }, async () => ({ ok: true as const }));
  readinessRoutes(app, ctx, { store: opts.database === undefined ? 'sqlite' : 'postgres', pingStore, bus });
  app.get('/v1/config', { schema: { response: replies({ 200: ClientConfig }) } }, async (): Promise<ClientConfig> => {
    if (!ctx.identity) throw new ApiError('starting');
    return {
      issuer: ctx.identity.issuer,
      clientId: ctx.identity.clientId,
      scopes: ctx.devIdp ? ['openid', 'profile', 'email', 'groups'] : ['openid', 'profile', 'email'],
      devIdp: ctx.devIdp,
      organization: ctx.organization,
      limits: { envelopesPerSend: LIMITS.envelopesPerSend, preKeysPerUpload: LIMITS.preKeysPerUpload, bodyBytes: LIMITS.bodyBytes },
    };
  });
  const policy = ctx.workplace.policy;
  await auditPolicyInForce(store, policy, now());
  app.get('/v1/policy', { schema: { response: replies({ 200: MessagingPolicy }) } }, async (): Promise<MessagingPolicy> => policy);
  deviceRoutes(app, ctx, { linkClaim: opts.scimLinkClaim ?? 'sub' });
  keyRoutes(app, ctx);
  directoryRoutes(app, ctx);
  messageRoutes(app, ctx);
  wsRoutes(app, ctx);
  lifecycleRoutes(app, ctx);
  adminRoutes(app, ctx);
  groupRoutes(app, ctx);
  const { stats } = businessRoutes(app, ctx, opts.statsK !== undefined ? { statsK: opts.statsK } : {});
  attachmentRoutes(app, ctx, attachments);
  workingHoursRoutes(app, ctx);
  consentRoutes(app, ctx);
  if (opts.scimToken) scimRoutes(app, ctx, { token: opts.scimToken, ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}) });

  // Org retention: queued envelopes (and blobs) older than the period go, at start and hourly.
  const messagesDays = policy.rules?.retention?.messagesDays;
  const retention = messagesDays === undefined ? undefined : new RetentionSweeper(store, app.log, now, messagesDays);

  // Held delivery: due messages are released by every node's timer (each envelope once; server/workplace/).
  ctx.releaser.start();

  app.addHook('onClose', async () => {
    ctx.sends.flush();
    await ctx.releaser.stop();
    await retention?.stop();
    hub.shutdown();
    // The statistics buffered since their last write go in while the store is still open (a hook of their own
    // ran after the store had closed, and the last seconds of counts were lost on every shutdown).
    await stats.close();
    await bus?.close();
    await store.close();
  });

  try {
    await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('unexpected listen address');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let issuer: string;
  let clientId: string;
  if (opts.devIdp) {
    // The issuer contains the bound port, so the provider can only be created now.
    issuer = `${(opts.publicUrl ?? url).replace(/\/$/, '')}${DEV_IDP_PATH}`;
    clientId = DEV_CLIENT_ID;
    app.log.warn(DEV_WARNING);
    if (opts.database !== undefined) app.log.warn(DEV_IDP_CLUSTER_WARNING);
    devIdp = await createDevIdp(issuer, app.log);
  } else {
    issuer = opts.issuer!;
    clientId = opts.clientId!;
  }
  ctx.identity = { issuer, clientId, verifier: new IdTokenVerifier(issuer, clientId, now) };
  retention?.start();

  return { url, issuer, clientId, app, routes, retention, close: () => app.close() };
}
