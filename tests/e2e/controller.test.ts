// The app controller's lifecycle on real parts: sign-in through the dev IdP (retry hands back the same
// sign-in), and the explained, recoverable state when the store key is gone (e.g. the OS keychain changed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AppController, createDispatcher } from '../../electron/app/controller.ts';
import { devIdpAutoLogin } from '../../electron/core/auth/dev-login.ts';
import { defaultVault } from '../../electron/core/messenger.ts';
import { startDevServer, tempDir } from './harness.ts';
import { waitFor } from '../support/wait-for.ts';

test('sign-in, retry while pending, consent; a lost store key is a recoverable problem', async () => {
  const root = tempDir('controller');
  const server = await startDevServer(join(root, 'server'));
  const profile = join(root, 'erin');
  const make = () => new AppController({ profileDir: profile, serverUrl: server.url, vault: defaultVault(profile), openExternal: async () => {} });
  let c = make();
  try {
    const call = createDispatcher(c);
    await c.start();
    assert.equal(c.getState().phase, 'signed-out');
    const first = await call('auth.signIn', {}) as { url: string };
    assert.equal(c.getState().phase, 'signing-in');
    const again = await call('auth.signIn', {}) as { url: string };
    assert.equal(again.url, first.url, 'a second click returns the pending sign-in');
    await devIdpAutoLogin('alice')(first.url);
    await waitFor(() => c.getState().phase === 'consent', { timeoutMs: 15_000, what: 'the consent phase' });
    assert.equal(c.getState().me?.email, 'alice@acme.test');
    await assert.rejects(call('device.reset', {}), /only a device in trouble/);
    await c.stop();

    // The key vanished (a changed OS keychain looks the same to the store): explained, not a crash.
    await defaultVault(profile).destroy('store-key');
    c = make();
    await c.start();
    assert.equal(c.getState().phase, 'problem');
    assert.match(c.getState().notice ?? '', /set up again/);
    const reset = await createDispatcher(c)('device.reset', {}) as { phase: string };
    assert.equal(reset.phase, 'signed-out');
    assert.equal(existsSync(join(profile, 'parley.db')), false);
    assert.equal(existsSync(join(profile, 'profile.json')), false);
  } finally {
    await c.stop();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('stopping the app while the browser is out ends the sign-in: the loopback closes, nothing is registered', async () => {
  const root = tempDir('controller-stop');
  const server = await startDevServer(join(root, 'server'));
  const profile = join(root, 'frank');
  const c = new AppController({ profileDir: profile, serverUrl: server.url, vault: defaultVault(profile), openExternal: async () => {} });
  try {
    const call = createDispatcher(c);
    await c.start();
    const { url } = await call('auth.signIn', {}) as { url: string };
    const loopback = new URL(new URL(url).searchParams.get('redirect_uri')!);
    assert.equal(loopback.hostname, '127.0.0.1');
    await c.stop();
    await waitFor(() => c.getState().phase === 'signed-out', { timeoutMs: 5_000, what: 'the sign-in to end' });
    assert.match(c.getState().error ?? '', /cancelled/);
    // The listener is gone at once (not after the 5-minute timeout), so the browser cannot finish it later.
    await assert.rejects(fetch(new URL('/callback?code=x&state=y', loopback)), /fetch failed/);
    assert.equal(existsSync(join(profile, 'parley.db')), false, 'no store was created');
    assert.equal(existsSync(join(profile, 'profile.json')), false, 'no device was registered');
  } finally {
    await c.stop();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
