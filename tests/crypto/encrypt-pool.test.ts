// The encrypt pool (electron/core/outgoing/encrypt-pool.ts) on real worker threads running the real protocol
// code, with in-memory devices: what the workers produce decrypts on every peer, the sessions they hand back
// keep working in-process both ways, and a worker killed mid-job fails only that job; the next one works on
// a fresh worker.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { addressKey, type PeerAddress } from '../../crypto/signal.ts';
import { EncryptPool, workerEntry } from '../../electron/core/outgoing/encrypt-pool.ts';
import type { EncryptJob, JobTarget, TargetResult } from '../../electron/core/outgoing/encrypt-job.ts';
import { makeDevice, type TestDevice } from './memory-state.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (u: Uint8Array) => new TextDecoder().decode(u);
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const pools: EncryptPool[] = [];
after(async () => { for (const p of pools) await p.close(); });

/** What the client core's main thread does around a pool job (outgoing/pooled-encrypt.ts), on an in-memory sender. */
async function fanOut(pool: EncryptPool, from: TestDevice, to: TestDevice[], text: string): Promise<TargetResult[]> {
  const targets: JobTarget[] = [];
  for (const peer of to) {
    const key = addressKey(peer.address);
    const record = from.state.sessions.get(key);
    const t: JobTarget = { ...peer.address, payload: 0 };
    const known = from.state.identities.get(`${peer.address.userId}/${peer.address.deviceId}`);
    if (known) t.known = known;
    if (record) t.record = record;
    else {
      const b = peer.bundle();
      t.bundle = {
        deviceId: peer.address.deviceId, registrationId: b.registrationId, identityKey: b64(b.identityKey),
        signedPreKey: { keyId: b.signedPreKey.keyId, publicKey: b64(b.signedPreKey.publicKey), signature: b64(b.signedPreKey.signature) },
        ...(b.preKey ? { preKey: { keyId: b.preKey.keyId, publicKey: b64(b.preKey.publicKey) } } : {}),
      };
    }
    targets.push(t);
  }
  const job: EncryptJob = { identity: from.state.identity, payloads: [enc(text)], targets };
  const results = await pool.run(job);
  assert.equal(results.length, to.length);
  for (const [i, r] of results.entries()) {
    const peer = to[i]!.address;
    assert.ok(r.ciphertext, `device ${peer.userId}: ${r.error?.message}`);
    assert.ok(r.record, 'every encrypt advances the session');
    if (targets[i]!.known) assert.equal(r.identityKey, undefined, 'the key on record is not reported again');
    else assert.deepEqual(r.identityKey && b64(r.identityKey), b64(to[i]!.state.identity.keyPair.publicKey), 'the worker reports the key its session holds');
    if (r.identityKey) await from.state.saveIdentity(peer, r.identityKey);
    await from.state.putSession(addressKey(peer), r.record);
    from.party.forgetRecord(peer);
  }
  return results;
}

async function devices(n: number): Promise<TestDevice[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => makeDevice(`u_member${String(i).padStart(18, '0')}`)));
}

test('worker entry: under tsx, the bootstrap beside the pool that registers tsx and loads encrypt-worker.ts', () => {
  const url = workerEntry();
  assert.match(url.pathname, /electron\/core\/outgoing\/encrypt-worker-tsx\.mjs$/);
  assert.match(readFileSync(url, 'utf8'), /register\(\);\s*await import\('\.\/encrypt-worker\.ts'\)/);
});

test('a fan-out on the pool decrypts on every peer; replies decrypt; the ratchet goes on in-process and on the pool', async () => {
  const pool = new EncryptPool({ size: 2, waitForStart: true });
  pools.push(pool);
  const alice = await makeDevice('u_aliceaaaaaaaaaaaaaaaaaa');
  const peers = await devices(40);
  const first = await fanOut(pool, alice, peers, 'first to all');
  assert.equal(pool.started, 2, 'both workers took part');
  for (const [i, p] of peers.entries()) {
    assert.equal(first[i]!.ciphertext!.type, 3, 'X3DH: a PreKeyWhisper');
    assert.equal(first[i]!.ciphertext!.registrationId, p.state.identity.registrationId);
    assert.equal(dec(await p.party.decrypt(alice.address, first[i]!.ciphertext!.type, first[i]!.ciphertext!.body)), 'first to all');
  }
  // Replies to the sessions the workers made, decrypted in-process by alice; then alice in-process, then the pool again.
  for (const p of peers.slice(0, 10)) {
    const r = await p.party.encrypt(alice.address, enc(`reply from ${p.address.userId}`));
    assert.equal(dec(await alice.party.decrypt(p.address, r.type, r.body)), `reply from ${p.address.userId}`);
    const m = await alice.party.encrypt(p.address, enc('in-process'));
    assert.equal(m.type, 1, 'after a reply: plain Whisper');
    assert.equal(dec(await p.party.decrypt(alice.address, m.type, m.body)), 'in-process');
  }
  const second = await fanOut(pool, alice, peers, 'second to all');
  for (const [i, p] of peers.entries()) {
    assert.equal(dec(await p.party.decrypt(alice.address, second[i]!.ciphertext!.type, second[i]!.ciphertext!.body)), 'second to all');
    const r = await p.party.encrypt(alice.address, enc('ack'));
    assert.equal(dec(await alice.party.decrypt(p.address, r.type, r.body)), 'ack');
  }
  assert.equal(pool.started, 2, 'the workers are reused across jobs');
  // A record whose session holds another key than the one on record: that key is reported, for the main thread to judge.
  const p0 = peers[0]!;
  const other = (await makeDevice('u_otherkeyaaaaaaaaaaaaaaa')).state.identity.keyPair.publicKey;
  const [odd] = await pool.run({
    identity: alice.state.identity, payloads: [enc('odd')],
    targets: [{ ...p0.address, payload: 0, record: alice.state.sessions.get(addressKey(p0.address))!, known: other }],
  });
  assert.equal(odd!.identityKey && b64(odd!.identityKey), b64(p0.state.identity.keyPair.publicKey));
});

test('a worker killed mid-job fails that job; nothing comes back half; the next job runs on a new worker', async () => {
  let kill = true;
  const pool = new EncryptPool({ size: 2, waitForStart: true, onDispatch: (w) => { if (kill) { kill = false; void w.terminate(); } } });
  pools.push(pool);
  const alice = await makeDevice('u_aliceaaaaaaaaaaaaaaaaaa');
  const peers = await devices(8);
  const before = new Map(alice.state.sessions);
  await assert.rejects(fanOut(pool, alice, peers, 'lost'), /encrypt worker exited/);
  assert.deepEqual(alice.state.sessions, before, 'no session was written');
  const got = await fanOut(pool, alice, peers.map((p) => p), 'after the crash');
  assert.equal(pool.started, 3, 'the killed worker was replaced');
  for (const [i, p] of peers.entries()) {
    assert.equal(dec(await p.party.decrypt(alice.address, got[i]!.ciphertext!.type, got[i]!.ciphertext!.body)), 'after the crash');
  }
});

test('a worker that does not answer in time fails the job; nothing comes back', async () => {
  const pool = new EncryptPool({ size: 1, timeoutMs: 1, waitForStart: true });
  pools.push(pool);
  const alice = await makeDevice('u_aliceaaaaaaaaaaaaaaaaaa');
  const peers = await devices(30);
  await assert.rejects(fanOut(pool, alice, peers, 'slow'), /did not answer within 1 ms/);
  assert.equal(alice.state.sessions.size, 0);
});

export type { PeerAddress };

test('a worker never encrypts on the record it made last time when the job hands it an older one (a rolled-back send)', async () => {
  const pool = new EncryptPool({ size: 1, waitForStart: true });
  pools.push(pool);
  const alice = await makeDevice('u_aliceaaaaaaaaaaaaaaaaaa');
  const [bob] = await devices(1);
  await alice.party.startSession(bob!.address, bob!.bundle());
  const record = alice.state.sessions.get(addressKey(bob!.address))!;
  const job: EncryptJob = { identity: alice.state.identity, payloads: [enc('same')], targets: [{ ...bob!.address, payload: 0, record }] };
  const [a] = await pool.run(job);
  const [b] = await pool.run(job); // the store still holds `record`: the send that took `a` was rolled back
  assert.ok(a!.record && a!.record !== record);
  assert.equal(b!.record, a!.record, 'the same step from the same record, not one more from the cached one');
  assert.equal(dec(await bob!.party.decrypt(alice.address, b!.ciphertext!.type, b!.ciphertext!.body)), 'same');
});
