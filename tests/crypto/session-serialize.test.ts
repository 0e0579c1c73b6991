// crypto/session-records.ts serializeRecord writes session records with native base64 instead of the library's
// base64-js: the string must be byte for byte the library's own `serialize()`, on every shape a record takes
// (fresh X3DH with a pending prekey, ratchet steps both ways, skipped message keys, old ratchets, a simultaneous
// start with an archived session), and the library must read it back to the same record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionRecord } from '@privacyresearch/libsignal-protocol-typescript/lib/session-record.js';
import { deserializeRecord, librarySerialize, serializeRecord } from '../../crypto/session-records.ts';
import { makeDevice, type TestDevice } from './memory-state.ts';

const enc = (s: string) => new TextEncoder().encode(s);

/** Every stored record of `d`: the fast string equals the library's, and parses back to the same string. */
function checkAll(d: TestDevice): number {
  let n = 0;
  for (const stored of d.state.sessions.values()) {
    const record = SessionRecord.deserialize(stored);
    // The native read gives the library's object, ArrayBuffer for ArrayBuffer (exact sizes, no shared pool).
    const native = deserializeRecord(stored);
    assert.deepStrictEqual(native, record);
    for (const sess of Object.values(native.sessions)) assert.equal(sess.indexInfo.remoteIdentityKey.byteLength, sess.indexInfo.remoteIdentityKey.slice(0).byteLength);
    const library = librarySerialize.call(record);
    assert.equal(serializeRecord(record), library);
    assert.equal(librarySerialize.call(SessionRecord.deserialize(serializeRecord(record))), library);
    n++;
  }
  return n;
}

test('serializeRecord writes exactly the library\'s JSON for every shape a session record takes', async () => {
  const alice = await makeDevice('u_aliceserialaaaaaaaaaaaa', 1, 5);
  const bob = await makeDevice('u_bobserialbbbbbbbbbbbbbb', 2, 5);
  await alice.party.startSession(bob.address, bob.bundle());
  const first = await alice.party.encrypt(bob.address, enc('hello'));
  assert.ok(checkAll(alice) === 1, 'fresh X3DH with a pending prekey');
  await bob.party.decrypt(alice.address, first.type, first.body);
  checkAll(bob);
  // Skipped keys: bob receives only every other message of a burst (messageKeys kept for the missing ones).
  const burst = [];
  for (let i = 0; i < 6; i++) burst.push(await alice.party.encrypt(bob.address, enc(`m${i}`)));
  for (let i = 0; i < burst.length; i += 2) await bob.party.decrypt(alice.address, burst[i]!.type, burst[i]!.body);
  checkAll(bob);
  // Ratchet steps both ways (old ratchets listed, chains pruned).
  for (let i = 0; i < 14; i++) {
    const a = await alice.party.encrypt(bob.address, enc(`a${i}`));
    await bob.party.decrypt(alice.address, a.type, a.body);
    const b = await bob.party.encrypt(alice.address, enc(`b${i}`));
    await alice.party.decrypt(bob.address, b.type, b.body);
    checkAll(alice);
    checkAll(bob);
  }
  // Simultaneous start: bob opens a second session with alice; alice's record then holds an archived one.
  await bob.party.startSession(alice.address, alice.bundle());
  const crossed = await bob.party.encrypt(alice.address, enc('crossed'));
  await alice.party.decrypt(bob.address, crossed.type, crossed.body);
  const record = SessionRecord.deserialize(alice.state.sessions.values().next().value!);
  assert.ok(Object.keys(record.sessions).length >= 2, 'an archived session is in the record');
  checkAll(alice);
  checkAll(bob);
});

test('serializeRecord keeps the library\'s rules for absent and odd values', () => {
  const ab = (n: number) => new Uint8Array(Array.from({ length: 33 }, (_, i) => (i * n) & 0xff)).buffer;
  const record = new SessionRecord();
  record.sessions = {
    k1: {
      indexInfo: { closed: -1, remoteIdentityKey: ab(3) }, registrationId: 7,
      currentRatchet: { rootKey: ab(5), lastRemoteEphemeralKey: ab(7), previousCounter: 0 },
      oldRatchetList: [{ ephemeralKey: ab(9), added: 1 }],
      chains: { c: { chainType: 1, chainKey: { counter: -1 }, messageKeys: { 3: ab(11), 9: new Uint8Array(ab(13)).subarray(1, 5) as unknown as ArrayBuffer } } },
    },
    k2: {
      indexInfo: { closed: 5, remoteIdentityKey: ab(2), baseKey: ab(4), baseKeyType: 2 },
      currentRatchet: { rootKey: ab(6), ephemeralKeyPair: { pubKey: ab(8), privKey: ab(10) }, lastRemoteEphemeralKey: ab(12), previousCounter: 4, added: 99 },
      pendingPreKey: { baseKey: ab(14), signedKeyId: 1 },
      oldRatchetList: [],
      chains: {},
    },
  };
  assert.equal(serializeRecord(record), librarySerialize.call(record));
});

test('the library\'s job queue does not keep every settled job (SessionLock._promises and .errors stay empty)', async () => {
  const { SessionLock } = await import('@privacyresearch/libsignal-protocol-typescript/lib/session-lock.js');
  const alice = await makeDevice('u_alicejobsaaaaaaaaaaaaaa', 1, 5);
  const bob = await makeDevice('u_bobjobsbbbbbbbbbbbbbbbb', 1, 5);
  await alice.party.startSession(bob.address, bob.bundle());
  for (let i = 0; i < 50; i++) {
    const ct = await alice.party.encrypt(bob.address, enc(`m${i}`));
    await bob.party.decrypt(alice.address, ct.type, ct.body);
  }
  // A failing job (a replay) too: the library records its error.
  const ct = await alice.party.encrypt(bob.address, enc('once'));
  await bob.party.decrypt(alice.address, ct.type, ct.body);
  await assert.rejects(bob.party.decrypt(alice.address, ct.type, ct.body));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([SessionLock._promises.length, SessionLock.errors.length], [0, 0]);
});

test('after X3DH the first encrypt uses the session builder\'s record (a cache hit, checked against the stored string)', async () => {
  const checked = { sessionCache: { max: 64, verify: true } };
  const alice = await makeDevice('u_alicebuilderaaaaaaaaaaa', 1, 5, checked);
  const bob = await makeDevice('u_bobbuilderbbbbbbbbbbbbb', 1, 5, checked);
  await alice.party.startSession(bob.address, bob.bundle());
  const { hits, misses } = alice.party.sessionCacheStats;
  const ct = await alice.party.encrypt(bob.address, enc('first'));
  assert.deepEqual([alice.party.sessionCacheStats.hits, alice.party.sessionCacheStats.misses], [hits + 1, misses]);
  assert.equal(new TextDecoder().decode(await bob.party.decrypt(alice.address, ct.type, ct.body)), 'first');
  // Another X3DH, then the store holds another string than the builder made (another process wrote it): parsed.
  await alice.party.startSession(bob.address, bob.bundle());
  const key = [...alice.state.sessions.keys()][0]!;
  alice.state.sessions.set(key, alice.state.sessions.get(key)!.replace('"version":"v1"', '"version": "v1"'));
  const misses2 = alice.party.sessionCacheStats.misses;
  const again = await alice.party.encrypt(bob.address, enc('second'));
  assert.equal(alice.party.sessionCacheStats.misses, misses2 + 1, 'another string: parsed from the store');
  assert.equal(new TextDecoder().decode(await bob.party.decrypt(alice.address, again.type, again.body)), 'second');
});

test('deserializeRecord: another version goes to the library (it migrates), and a bad key length throws as the library does', () => {
  const stored = JSON.stringify({ sessions: {} }); // no version: the library's v1 migration runs
  assert.deepStrictEqual(deserializeRecord(stored), SessionRecord.deserialize(stored));
  const odd = JSON.stringify({ version: new SessionRecord().version, sessions: { k: {
    indexInfo: { closed: -1, remoteIdentityKey: 'abc', baseKeyType: 1 }, registrationId: 1,
    currentRatchet: { rootKey: '', lastRemoteEphemeralKey: '', previousCounter: 0, added: 0 }, oldRatchetList: [], chains: {},
  } } });
  assert.throws(() => SessionRecord.deserialize(odd));
  assert.throws(() => deserializeRecord(odd));
});
