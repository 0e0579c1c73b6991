// DEVELOPMENT-ONLY identity provider: a real OpenID Connect provider (oidc-provider) with four demo
// accounts and no passwords, mounted on the relay under /idp so a laptop demo needs one process.
// Never enable it in production: anyone who can reach the server can sign in as anyone.
//
// Issuer: `<server url>/idp`. Client: `parley-desktop` (public, native, PKCE S256 required), redirect URI
// `http://127.0.0.1/callback` on ANY port (RFC 8252 loopback rule). Scopes: openid profile email groups.
//
// Authorization-code login, as a plain HTTP client can drive it (fetch with `redirect: 'manual'`,
// a cookie jar that stores every Set-Cookie `name=value` and sends it back, respecting Path):
//   1. POST <server>/v1/devices/nonce                 → { nonce }  (the relay's registration nonce)
//   2. GET  <issuer>/auth?client_id=parley-desktop&response_type=code&scope=openid%20profile%20email%20groups
//           &redirect_uri=http://127.0.0.1:<port>/callback&code_challenge=<S256>&code_challenge_method=S256
//           &state=<state>&nonce=<nonce>
//        → 303, Location: /idp/interaction/<uid>; sets cookies _interaction (+ .sig, Path=/idp/interaction/<uid>)
//          and _interaction_resume (+ .sig, Path=/idp/auth/<uid>)
//   3. GET  /idp/interaction/<uid>                    → 200 HTML login page (optional for a script):
//          <form method="post" action="/idp/interaction/<uid>/login"> with input name="username"
//   4. POST /idp/interaction/<uid>/login, Content-Type: application/x-www-form-urlencoded, body `username=alice`
//          (or `alice@acme.test`; unknown user → 400 with the page re-rendered and an error message)
//        → 303, Location: <issuer>/auth/<uid>
//   5. GET  <issuer>/auth/<uid>                        → 303, Location: http://127.0.0.1:<port>/callback?code=…&state=…&iss=…
//          (consent is implied for this first-party client; sets the _session cookies)
//   6. POST <issuer>/token (grant_type=authorization_code, code, redirect_uri, code_verifier, client_id)
//        → { id_token, access_token, … }; the ID token carries nonce, email, name and groups.
// tests/server/helpers.ts `devLogin` implements exactly this with openid-client.
//
// Device authorization grant (RFC 8628) for the CLI: POST <issuer>/device/auth (client_id, scope, nonce) →
// { device_code, user_code, verification_uri, verification_uri_complete, expires_in, interval: 1 }; the user
// opens verification_uri (GET <issuer>/device: a form posting xsrf + user_code back to it) or
// verification_uri_complete, confirms the code (a second form, posted to the same URL), is redirected (303) to
// the same /idp/interaction/<uid> Username / Sign in page, and after the login POST lands on
// <issuer>/device/<uid> ("Signed in"). Meanwhile the CLI polls POST <issuer>/token with
// grant_type=urn:ietf:params:oauth:grant-type:device_code. Like Entra ID or Okta, oidc-provider does not put
// the nonce into device-grant ID tokens; the relay accepts such nonce-less tokens only fresh and once
// (server/auth.ts admitRegistrationToken). tests/server/device-flow.test.ts drives this flow over HTTP.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import type { ProviderContext } from 'oidc-provider';
import { Type } from 'typebox';
import { ErrorBody } from '../common/errors.ts';
import { ApiError, errorBody } from './errors.ts';
import { ERROR_REPLIES, NoBody } from './responses.ts';

export const DEV_IDP_PATH = '/idp';
export const DEV_CLIENT_ID = 'parley-desktop';
const DEV_REDIRECT_URI = 'http://127.0.0.1/callback';
const DEV_SCOPES = ['openid', 'profile', 'email', 'groups'];
/** Polling interval (seconds) the dev IdP advertises in device authorization responses. */
const DEV_DEVICE_POLL_INTERVAL_S = 1;
export const DEV_WARNING = 'DEV IdP ENABLED: demo users, no passwords — never use in production';

interface DevAccount { username: string; sub: string; email: string; name: string; groups: string[] }

export const DEV_ACCOUNTS: readonly DevAccount[] = [
  { username: 'alice', sub: '6f1c1f1e-3b7a-4a51-9a61-0d1a11ce0001', email: 'alice@acme.test', name: 'Alice Archer', groups: [] },
  { username: 'bob', sub: '6f1c1f1e-3b7a-4a51-9a61-0d1a11ce0002', email: 'bob@acme.test', name: 'Bob Baker', groups: [] },
  { username: 'carol', sub: '6f1c1f1e-3b7a-4a51-9a61-0d1a11ce0003', email: 'carol@acme.test', name: 'Carol Chen', groups: ['parley-admins'] },
  { username: 'dave', sub: '6f1c1f1e-3b7a-4a51-9a61-0d1a11ce0004', email: 'dave@acme.test', name: 'Dave Diaz', groups: [] },
];

function findDevAccount(usernameOrEmail: string): DevAccount | undefined {
  const wanted = usernameOrEmail.trim().toLowerCase();
  return DEV_ACCOUNTS.find((a) => a.username === wanted || a.email === wanted);
}
const accountBySub = (sub: string) => DEV_ACCOUNTS.find((a) => a.sub === sub);

const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}
input,button{font:inherit;padding:.4rem;width:100%;box-sizing:border-box;margin:.3rem 0}.error{color:#b00020}
.warn{background:#fff3cd;padding:.5rem}</style></head>
<body><p class="warn">Development sign-in: no passwords. Never use in production.</p>
<h1>${html(title)}</h1>
${body}
</body></html>`;
}

function loginPage(uid: string, error?: string): string {
  const users = DEV_ACCOUNTS.map((a) => `<li><code>${html(a.username)}</code> — ${html(a.name)}</li>`).join('');
  return page('Sign in to Parley', `${error ? `<p class="error" role="alert">${html(error)}</p>` : ''}
<form method="post" action="/idp/interaction/${html(uid)}/login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" autofocus required>
<button type="submit">Sign in</button>
</form>
<p>Demo users:</p><ul>${users}</ul>`);
}

async function signingKeys() {
  const keys = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `dev-${alg.toLowerCase()}-${randomBytes(6).toString('hex')}` });
  }
  return keys;
}

export interface DevIdp {
  issuer: string;
  provider: Provider;
}

/**
 * oidc-provider 9 prints "Unsupported runtime. Use Node.js v22.x LTS" when it is imported on any Node before
 * 22 LTS. Parley supports Node 20.19+ as well (package.json engines, README) and the dev IdP runs there — the
 * whole test suite does — so exactly that one line is dropped while the module loads; any other warning passes.
 */
async function withoutRuntimeWarning<T>(load: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => { if (!/oidc-provider WARNING: Unsupported runtime\./.test(String(args[0]))) warn(...args); };
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}

export async function createDevIdp(issuer: string, log: FastifyBaseLogger): Promise<DevIdp> {
  // Imported lazily so that a production server never loads the provider (nor prints its runtime notices).
  const { default: ProviderClass, interactionPolicy } = await withoutRuntimeWarning(() => import('oidc-provider'));
  // oidc-provider asks native clients for consent on every authorization; ours is first-party, so
  // consent is implied (see grantFirstParty) and only the login prompt remains.
  const policy = interactionPolicy.base();
  policy.get('consent')?.checks.remove('native_client_prompt');
  const { createMemoryAdapter } = await import('oidc-provider/lib/adapters/memory_adapter.js');
  const provider = new ProviderClass(issuer, {
    adapter: createMemoryAdapter(),
    jwks: { keys: await signingKeys() },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [{
      client_id: DEV_CLIENT_ID,
      client_name: 'Parley Desktop',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: [DEV_REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    }],
    scopes: ['openid', 'offline_access', ...DEV_SCOPES.filter((s) => s !== 'openid')],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    // Put the scope-granted claims (email, name, groups) in the ID token itself: the relay only sees that.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true, userCodeInputSource, userCodeConfirmSource, successSource },
      revocation: { enabled: true },
    },
    interactions: { policy, url: (_ctx: unknown, interaction: { uid: string }) => `${DEV_IDP_PATH}/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = accountBySub(sub);
      return account && {
        accountId: account.sub,
        claims: async () => ({
          sub: account.sub, email: account.email, email_verified: true, name: account.name, groups: account.groups,
        }),
      };
    },
    loadExistingGrant: grantFirstParty,
    renderError: async (ctx: ProviderContext, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', Object.entries(out).map(([k, v]) => `<p><b>${html(k)}</b>: ${html(String(v))}</p>`).join(''));
    },
    clientBasedCORS: () => false,
    ttl: {
      AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 14 * 86400, DeviceCode: 600,
      Interaction: 3600, Session: 14 * 86400, Grant: 14 * 86400,
    },
  });
  provider.on('server_error', (_ctx, err) => log.error({ err }, 'dev IdP server error'));
  // RFC 8628 lets the server set the polling interval; oidc-provider sends none, so clients poll every 5 s.
  // The event fires with the response body before it is serialized: advertise a short one for this local IdP.
  provider.on('device_authorization.success', (_ctx, body) => {
    if (body && typeof body === 'object') (body as { interval?: number }).interval = DEV_DEVICE_POLL_INTERVAL_S;
  });
  return { issuer, provider };
}

/**
 * Consent is implied for our own first-party client: reuse (or create) the grant and extend it with
 * whatever OIDC scopes are being requested, so the consent prompt never shows.
 */
async function grantFirstParty(ctx: ProviderContext) {
  const { client, account, session, result, provider } = ctx.oidc;
  if (!client || !account) return undefined;
  const grantId = result?.consent?.grantId ?? session?.grantIdFor(client.clientId);
  const grant = (grantId && await provider.Grant.find(grantId))
    || new provider.Grant({ clientId: client.clientId, accountId: account.accountId });
  grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
  await grant.save();
  return grant;
}

async function userCodeInputSource(ctx: ProviderContext, form: string, _out: unknown, err?: { name?: string; userCode?: unknown }) {
  const message = !err ? 'Enter the code displayed on your device.'
    : err.userCode || err.name === 'NoCodeError' ? 'The code you entered is incorrect. Try again.'
      : 'There was an error processing your request.';
  ctx.body = page('Connect a device', `<p${err ? ' class="error" role="alert"' : ''}>${html(message)}</p>${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`);
}

async function userCodeConfirmSource(ctx: ProviderContext, form: string, _client: unknown, _info: unknown, userCode: string) {
  ctx.body = page('Confirm device', `<p>Check that your device shows the code <code>${html(userCode)}</code>.</p>${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button>`);
}

async function successSource(ctx: ProviderContext) {
  ctx.body = page('Signed in', '<p>Your device is signed in. You can close this page.</p>');
}

/**
 * Mounts the dev IdP under /idp on the Fastify app. The provider is created after listen (its issuer
 * contains the bound port), so `current()` may still be undefined for requests arriving before that.
 */
export function mountDevIdp(app: FastifyInstance, current: () => DevIdp | undefined): void {
  const isIdpPath = (url: string) => url === DEV_IDP_PATH || url.startsWith(`${DEV_IDP_PATH}/`) || url.startsWith(`${DEV_IDP_PATH}?`);
  const isInteraction = (url: string) => url.startsWith(`${DEV_IDP_PATH}/interaction/`);

  // Everything under /idp except our interaction pages is oidc-provider's: hand it the raw request
  // before Fastify parses the body, with the mount prefix stripped (originalUrl tells it the prefix).
  app.addHook('onRequest', async (req, reply) => {
    const url = req.raw.url ?? '/';
    if (!isIdpPath(url) || isInteraction(url)) return;
    const idp = current();
    if (!idp) {
      await reply.code(503).send(errorBody('starting', 'The dev IdP is still starting.'));
      return reply;
    }
    reply.hijack();
    const raw = req.raw as IncomingMessage & { originalUrl?: string };
    raw.originalUrl = url;
    raw.url = url.slice(DEV_IDP_PATH.length) || '/';
    idp.provider.callback()(raw, reply.raw as ServerResponse);
    return reply;
  });

  void app.register(async (scope) => {
    // Only the login form posts urlencoded data; keep that parser scoped to it.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));

    const Uid = { type: 'object', properties: { uid: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } }, required: ['uid'] } as const;
    const NoQuery = { type: 'object', additionalProperties: false } as const;
    const LoginForm = {
      type: 'object', properties: { username: { type: 'string', maxLength: 254 } }, required: ['username'],
    } as const;
    // HTML pages (the 400s too: a friendly page), a redirect after the login; ErrorBody for malformed requests.
    const Html = { 'text/html': { schema: Type.String() } };
    const response = {
      200: { content: Html }, 303: NoBody, 400: { content: { ...Html, 'application/json': { schema: ErrorBody } } }, ...ERROR_REPLIES,
    };

    const provider = () => {
      const idp = current();
      if (!idp) throw new ApiError('starting', 'The dev IdP is still starting.');
      return idp.provider;
    };

    // Looks the interaction up from its cookie; a stale or foreign uid gets a friendly error page.
    async function details(req: { raw: IncomingMessage; params: unknown }, res: ServerResponse) {
      try {
        const d = await provider().interactionDetails(req.raw, res);
        if (d.uid === (req.params as { uid: string }).uid) return d;
      } catch { /* fall through */ }
      return undefined;
    }
    const expired = page('Sign-in expired', '<p>This sign-in request is no longer valid. Start again from the Parley app.</p>');

    scope.get('/idp/interaction/:uid', { schema: { params: Uid, querystring: NoQuery, response } }, async (req, reply) => {
      const d = await details(req, reply.raw);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (!d) return reply.code(400).send(expired);
      return loginPage(d.uid);
    });

    scope.post('/idp/interaction/:uid/login', { schema: { params: Uid, querystring: NoQuery, body: LoginForm, response } }, async (req, reply) => {
      const d = await details(req, reply.raw);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (!d) return reply.code(400).send(expired);
      const account = findDevAccount((req.body as { username: string }).username);
      if (!account) return reply.code(400).send(loginPage(d.uid, 'Unknown user. Try alice, bob, carol or dave.'));
      const to = await provider().interactionResult(req.raw, reply.raw, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
      return reply.redirect(to, 303);
    });
  });
}
