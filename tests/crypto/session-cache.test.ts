// The deserialized-session cache of SignalParty (crypto/session-records.ts) and the pruning of dead chains:
// the store stays the truth through rollbacks, a second process on the same profile and failed writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../crypto/signal.ts';
import { makeDevice, type TestDevice } from './memory-state.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (u: Uint8Array) => new TextDecoder().decode(u);
const checked = { sessionCache: { max: 64, verify: true } };

async function pair(): Promise<{ alice: TestDevice; bob: TestDevice }> {
  const alice = await makeDevice('u_alicecacheaaaaaaaaaaaaa', 1, 5, checked);
  const bob = await makeDevice('u_bobcachebbbbbbbbbbbbbbb', 1, 5, checked);
  await alice.party.startSession(bob.address, bob.bundle());
  return { alice, bob };
}

async function send(from: TestDevice, to: TestDevice, text: string): Promise<void> {
  const ct = await from.party.encrypt(to.address, enc(text));
  assert.equal(dec(await to.party.decrypt(from.address, ct.type, ct.body)), text);
}

test('cached records serve ping-pong and bursts; every hit is checked against the stored string', async () => {
  const { alice, bob } = await pair();
  for (let i = 0; i < 30; i++) {
    await send(alice, bob, `a${i}`);
    if (i % 3 === 0) await send(bob, alice, `b${i}`);
  }
  assert.ok(alice.party.sessionCacheStats.hits >= 25, `alice's cache was used (${JSON.stringify(alice.party.sessionCacheStats)})`);
  assert.ok(bob.party.sessionCacheStats.hits >= 25, `bob's cache was used (${JSON.stringify(bob.party.sessionCacheStats)})`);
});

test('a rolled-back decrypt is decrypted again from the store (the cache never answers for a newer state)', async () => {
  const { alice, bob } = await pair();
  await send(alice, bob, 'setup');
  await send(bob, alice, 'ok');
  const ct = await alice.party.encrypt(bob.address, enc('stored in a transaction that rolls back'));
  const before = new Map(bob.state.sessions);
  assert.equal(dec(await bob.party.decrypt(alice.address, ct.type, ct.body)), 'stored in a transaction that rolls back');
  // The client decrypts inside its store transaction; if storing the message fails, the session goes back too.
  bob.state.sessions.clear();
  for (const [k, v] of before) bob.state.sessions.set(k, v);
  assert.equal(dec(await bob.party.decrypt(alice.address, ct.type, ct.body)), 'stored in a transaction that rolls back',
    'the redelivered envelope decrypts again');
  await send(alice, bob, 'and the session goes on');
});

test('two parties on one store (the app and a CLI on one profile) never reuse a message key', async () => {
  const { alice, bob } = await pair();
  await send(alice, bob, 'setup');
  await send(bob, alice, 'ok');
  const { SignalParty } = await import('../../crypto/signal.ts');
  const cli = new SignalParty(alice.state, checked); // same store, its own cache
  const sent: { type: 1 | 3; body: Uint8Array; text: string }[] = [];
  for (let i = 0; i < 8; i++) {
    const by = i % 3 === 1 ? cli : alice.party;
    const text = `${by === cli ? 'cli' : 'app'} ${i}`;
    const ct = await by.encrypt(bob.address, enc(text));
    sent.push({ type: ct.type, body: ct.body, text });
  }
  for (const m of sent) assert.equal(dec(await bob.party.decrypt(alice.address, m.type, m.body)), m.text);
});

test('a failed session write leaves nothing half-changed behind: the next message uses the stored state', async () => {
  const { alice, bob } = await pair();
  await send(alice, bob, 'setup');
  await send(bob, alice, 'ok');
  const put = alice.state.putSession.bind(alice.state);
  alice.state.putSession = async () => { throw new Error('disk full'); };
  await assert.rejects(alice.party.encrypt(bob.address, enc('lost')), /disk full/);
  alice.state.putSession = put;
  await send(alice, bob, 'after the failed write');
  await send(bob, alice, 'reply');
  await send(alice, bob, 'again');
});

test('deleting a session drops its cached record', async () => {
  const { alice, bob } = await pair();
  await send(alice, bob, 'setup');
  assert.equal(await alice.party.hasSession(bob.address), true);
  await alice.party.deleteSession(bob.address);
  assert.equal(await alice.party.hasSession(bob.address), false);
  await assert.rejects(alice.party.encrypt(bob.address, enc('x')), (e: unknown) => e instanceof ProtocolError && e.kind === 'no-session');
});

test('old chains are pruned: 400 alternating messages keep the record small, a message held over 5 ratchet steps still decrypts', async () => {
  const { alice, bob } = await pair();
  await send(alice, bob, 'setup');
  const held = await alice.party.encrypt(bob.address, enc('held back'));
  await send(alice, bob, 'overtakes it');
  for (let i = 0; i < 5; i++) { await send(bob, alice, `b${i}`); await send(alice, bob, `a${i}`); }
  assert.equal(dec(await bob.party.decrypt(alice.address, held.type, held.body)), 'held back', 'its key was kept in an old chain');
  for (let i = 0; i < 200; i++) { await send(bob, alice, `b${i}`); await send(alice, bob, `a${i}`); }
  for (const d of [alice, bob]) {
    const record = [...d.state.sessions.values()][0]!;
    const session = Object.values(JSON.parse(record).sessions)[0] as { chains: object; oldRatchetList: unknown[] };
    assert.ok(Object.keys(session.chains).length <= 12, `${Object.keys(session.chains).length} chains (sending, receiving, ≤ 10 old)`);
    assert.ok(record.length < 5000, `record of ${record.length} chars (the library alone: ~22,000 after 400 messages)`);
  }
});

test('hasSession read from the JSON (openSessionIn) agrees with the library on real records, closed ones and odd ones', async () => {
  const { SessionRecord } = await import('@privacyresearch/libsignal-protocol-typescript/lib/session-record.js');
  const { openSessionIn } = await import('../../crypto/session-records.ts');
  const library = (s: string): boolean | 'throws' => { try { return SessionRecord.deserialize(s).haveOpenSession(); } catch { return 'throws'; } };
  const { alice, bob } = await pair();
  await send(alice, bob, 'one');
  await send(bob, alice, 'two');
  const real = alice.state.sessions.get(`${bob.address.userId}.${bob.address.deviceId}`) ?? [...alice.state.sessions.values()][0]!;
  const data = JSON.parse(real);
  const [first] = Object.keys(data.sessions);
  const variant = (f: (d: any) => void) => { const d = structuredClone(data); f(d); return JSON.stringify(d); };
  const cases: [string, string][] = [
    ['a live session', real],
    ['closed', variant((d) => { d.sessions[first!].indexInfo.closed = 1_700_000_000_000; })],
    ['no registration id', variant((d) => { delete d.sessions[first!].registrationId; })],
    ['no sessions', variant((d) => { d.sessions = {}; })],
    ['two open sessions', variant((d) => { d.sessions.other = structuredClone(d.sessions[first!]); })],
    ['one closed, one open', variant((d) => { d.sessions.other = structuredClone(d.sessions[first!]); d.sessions.other.indexInfo.closed = 5; })],
    ['an older version', variant((d) => { d.version = 'v0'; })],
    ['sessions is an array', variant((d) => { d.sessions = []; })],
  ];
  for (const [name, s] of cases) {
    const light = openSessionIn(s);
    const lib = library(s);
    // Where the JSON alone does not settle it, the library's own check decides (undefined).
    if (light !== undefined) assert.equal(light, lib, name);
  }
  assert.equal(openSessionIn(real), true);
  assert.equal(openSessionIn(cases[1]![1]), false, 'a closed session is not open');
  assert.equal(openSessionIn(cases[4]![1]), undefined, 'two open sessions: the library throws, so it decides');
  assert.equal(openSessionIn(cases[6]![1]), undefined, 'another version: the library migrates, so it decides');
  // And SignalParty.hasSession answers the same without the cache.
  assert.equal(await alice.party.hasSession(bob.address), true);
  alice.party.forgetRecord(bob.address);
  assert.equal(await alice.party.hasSession(bob.address), true);
});
