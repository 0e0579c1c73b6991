// Finding 8 (client): one-time prekeys are topped up when the server's count runs low (here: drained by
// bundle fetches, as anyone may do, without a single message), checked at connect; the signed prekey is
// rotated after 7 days and the replaced one kept for 14 more, so a session started from a bundle fetched
// before the rotation still opens.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyBundles, UploadKeysRequest } from '../../common/wire/schemas.ts';
import { PREKEY_BATCH, PREKEY_LOW_WATER } from '../../electron/core/account/prekeys.ts';
import { drain, readStore, rewriteBundles, startWorld, type Device, type World } from './world.ts';
import { waitFor } from '../support/wait-for.ts';

let world: World | undefined;
afterEach(async () => { await world?.close(); world = undefined; });

const DAY = 24 * 3600_000;

async function api(w: World, d: Device, path: string): Promise<unknown> {
  const credential = await readStore(d, (s) => s.getMeta('credential')!);
  const res = await fetch(`${w.server.url}${path}`, { headers: { authorization: `Bearer ${credential}` } });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

test('one-time prekeys drained by bundle fetches are topped up at the next connect', async () => {
  world = await startWorld('refill');
  const alice = await world.device('alice');
  const dave = await world.device('dave', { direct: true });
  // Every bundle fetch hands out (and deletes) one of alice's one-time prekeys.
  for (let i = 0; i < PREKEY_BATCH - PREKEY_LOW_WATER + 5; i++) await api(world, dave, `/v1/keys/${alice.userId}/${alice.deviceId}`);
  assert.ok(((await api(world, alice, '/v1/keys/count')) as { count: number }).count < PREKEY_LOW_WATER);

  await drain(alice); // no message at all: the count is checked at connect
  assert.equal(((await api(world, alice, '/v1/keys/count')) as { count: number }).count, PREKEY_BATCH);
});

test('a device that stays connected refills when the server signals prekeys-low', async () => {
  world = await startWorld('prekeys-low');
  const alice = await world.device('alice');
  const dave = await world.device('dave', { direct: true });
  const ac = new AbortController();
  let online!: () => void;
  const connected = new Promise<void>((resolve) => { online = resolve; });
  const running = alice.m.receive({ stopAfterDrainMs: Infinity, signal: ac.signal, onConnectionChange: (up) => { if (up) online(); } });
  try {
    await connected;
    const uploads = () => world!.proxy.exchanges.filter((x) => x.method === 'PUT' && x.path === '/v1/keys' && x.from?.userId === alice.userId
      && (x.requestBody as UploadKeysRequest).preKeys.length > 0 && !(x.requestBody as UploadKeysRequest).identityKey).length;
    await waitFor(() => world!.proxy.exchanges.some((x) => x.path === '/v1/keys/count' && x.from?.userId === alice.userId), { what: 'the connect-time count' });
    const before = uploads();
    for (let i = 0; i < PREKEY_BATCH - PREKEY_LOW_WATER + 5; i++) await api(world, dave, `/v1/keys/${alice.userId}/${alice.deviceId}`);
    await waitFor(() => uploads() > before, { what: 'a top-up while connected' });
    await waitFor(async () => ((await api(world!, alice, '/v1/keys/count')) as { count: number }).count >= PREKEY_LOW_WATER, { what: 'the new count' });
  } finally {
    ac.abort();
    await running;
  }
});

test('the signed prekey rotates after 7 days; the old one still opens a session from an older bundle, then is forgotten', async () => {
  world = await startWorld('rotate');
  const alice = await world.device('alice');
  const bob = await world.device('bob');
  // A bundle of alice's fetched now (keyId 1) that a sender will only use after the rotation.
  const before = (await api(world, bob, `/v1/keys/${alice.userId}/${alice.deviceId}`)) as KeyBundles;
  assert.equal(before.devices[0]!.signedPreKey.keyId, 1);

  const t0 = Date.now();
  const later = await world.reopen(alice, { now: () => Date.now() + 8 * DAY });
  await drain(later);
  const uploads = world.proxy.exchanges.filter((x) => x.method === 'PUT' && x.path === '/v1/keys' && x.from?.userId === alice.userId)
    .map((x) => x.requestBody as UploadKeysRequest).filter((b) => b.signedPreKey && !b.identityKey); // not registration's
  assert.deepEqual(uploads.map((b) => b.signedPreKey!.keyId), [2]);
  const now = (await api(world, bob, `/v1/keys/${alice.userId}/${alice.deviceId}`)) as KeyBundles;
  assert.equal(now.devices[0]!.signedPreKey.keyId, 2, 'the server hands out the new key');
  assert.deepEqual(await readStore(later, (s) => s.signedPreKeys().map((k) => k.keyId)), [1, 2], 'the replaced key is kept for the grace period');

  // bob starts a session from the pre-rotation bundle (the relay serves it, as a cache would).
  rewriteBundles(world.proxy, alice.userId, () => before.devices, bob.userId);
  await bob.m.sendText('alice@acme.test', 'sent with last week\'s bundle');
  assert.deepEqual((await drain(later)).messages.map((x) => x.text), ['sent with last week\'s bundle']);

  // 23 days on: key 2 is replaced by key 3, and key 1 (replaced 15 days ago) is gone.
  const much = await world.reopen(later, { now: () => Date.now() + 23 * DAY });
  await drain(much);
  assert.deepEqual(await readStore(much, (s) => s.signedPreKeys().map((k) => k.keyId)), [2, 3]);
  assert.ok(Date.now() - t0 < 60_000);
});
