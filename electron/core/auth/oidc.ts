// OIDC sign-in for native apps (RFC 8252 / BCP 212) with openid-client: authorization code + PKCE in the
// system browser with a loopback redirect on 127.0.0.1 and an ephemeral port, or the device
// authorization grant (RFC 8628) for a terminal. The ID token carries a nonce the Parley server issued, so
// the server can check it was minted for this registration; the token is handed to the server once and
// never stored.
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import { signedInPage } from './signed-in-page.ts';

export interface SignInTarget {
  issuer: string;
  clientId: string;
  scopes: string[];
}

export class SignInError extends Error {
  override name = 'SignInError';
}

const isLoopbackHttp = (u: URL) => u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);

export async function discover(target: SignInTarget): Promise<oidc.Configuration> {
  const issuer = new URL(target.issuer);
  // Plain http is only ever allowed for an IdP on this machine (the embedded dev IdP).
  const options = isLoopbackHttp(issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined;
  try {
    return await oidc.discovery(issuer, target.clientId, undefined, oidc.None(), options);
  } catch (err) {
    throw new SignInError(`cannot discover the identity provider ${target.issuer}: ${(err as Error).message}`);
  }
}

/** Opens `url` in the user's browser; returns when the browser was asked (not when the user finished). */
export type OpenBrowser = (url: string) => Promise<void>;

/**
 * Authorization code + PKCE with a loopback redirect. Resolves with the verified ID token (signature,
 * issuer, audience, expiry and our nonce are checked by openid-client; the server checks them again).
 */
export async function signInWithBrowser(
  target: SignInTarget, nonce: string, openBrowser: OpenBrowser, timeoutMs = 5 * 60_000, signal?: AbortSignal,
): Promise<string> {
  if (signal?.aborted) throw new SignInError('sign-in was cancelled');
  const config = await discover(target);
  const verifier = oidc.randomPKCECodeVerifier();
  const challenge = await oidc.calculatePKCECodeChallenge(verifier);
  const state = oidc.randomState();

  let server: Server | undefined;
  try {
    const callback = new Promise<URL>((resolve, reject) => {
      server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', `http://127.0.0.1:${(server!.address() as { port: number }).port}`);
        if (url.pathname !== '/callback') { res.writeHead(404).end(); return; }
        const page = signedInPage(!url.searchParams.has('error'));
        res.writeHead(200, page.headers).end(page.body);
        resolve(url);
      });
      server.on('error', reject);
      setTimeout(() => reject(new SignInError('sign-in timed out: the browser did not come back')), timeoutMs).unref();
      // The app stopped while the browser was out: the loopback listener closes now, not after the timeout.
      signal?.addEventListener('abort', () => reject(new SignInError('sign-in was cancelled')), { once: true });
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server!.address() as { port: number }).port;
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const authUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: target.scopes.join(' '),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    await openBrowser(authUrl.href);
    const returned = await callback;
    if (returned.searchParams.get('error')) {
      throw new SignInError(`the identity provider refused: ${returned.searchParams.get('error_description') ?? returned.searchParams.get('error')}`);
    }
    const tokens = await oidc.authorizationCodeGrant(config, returned, {
      pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
    });
    if (!tokens.id_token) throw new SignInError('the identity provider returned no ID token');
    return tokens.id_token;
  } catch (err) {
    if (err instanceof SignInError) throw err;
    throw new SignInError(`sign-in failed: ${(err as Error).message}`);
  } finally {
    server?.close();
  }
}

export interface DeviceCodePrompt {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  expiresIn: number;
}

/** RFC 8628 device authorization grant, for a terminal with no browser at hand. */
export async function signInWithDeviceCode(
  target: SignInTarget, nonce: string, onPrompt: (p: DeviceCodePrompt) => void,
): Promise<string> {
  const config = await discover(target);
  if (!config.serverMetadata().device_authorization_endpoint) {
    throw new SignInError('the identity provider does not offer the device authorization grant; use the browser sign-in');
  }
  try {
    const response = await oidc.initiateDeviceAuthorization(config, { scope: target.scopes.join(' '), nonce });
    onPrompt({
      verificationUri: response.verification_uri,
      verificationUriComplete: response.verification_uri_complete,
      userCode: response.user_code,
      expiresIn: response.expires_in,
    });
    const tokens = await oidc.pollDeviceAuthorizationGrant(config, response);
    if (!tokens.id_token) throw new SignInError('the identity provider returned no ID token');
    return tokens.id_token;
  } catch (err) {
    if (err instanceof SignInError) throw err;
    throw new SignInError(`device sign-in failed: ${(err as Error).message}`);
  }
}
