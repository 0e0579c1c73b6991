// Simultaneous session start (both devices initiate before either has received anything), the situation of
// tests/e2e/hundred.test.ts: each side ends up with two sessions, and messages arrive on either of them.
// The library tried every session of the record on the record's own objects, so a failed try ratcheted
// the open session into garbage that was then stored; all later messages on it failed with "Bad MAC".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ciphertext } from '../../crypto/signal.ts';
import { makeDevice, type TestDevice } from './memory-state.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (u: Uint8Array) => new TextDecoder().decode(u);

async function simultaneousStart() {
  const alice = await makeDevice('u_aliceaaaaaaaaaaaaaaaaaa', 1, 10);
  const bob = await makeDevice('u_bobbbbbbbbbbbbbbbbbbbbbb', 1, 10);
  await alice.party.startSession(bob.address, bob.bundle());
  await bob.party.startSession(alice.address, alice.bundle());
  return { alice, bob };
}

const send = (from: TestDevice, to: TestDevice, text: string) => from.party.encrypt(to.address, enc(text));
const open = async (at: TestDevice, from: TestDevice, ct: Ciphertext) => dec(await at.party.decrypt(from.address, ct.type, ct.body));

test('a message on the archived session does not break the open one (simultaneous start)', async () => {
  const { alice, bob } = await simultaneousStart();
  const a1 = await send(alice, bob, 'a1'); // session A (alice's), PreKeyWhisper
  const b1 = await send(bob, alice, 'b1'); // session B (bob's), PreKeyWhisper
  assert.equal(a1.type, 3);
  assert.equal(b1.type, 3);
  assert.equal(await open(bob, alice, a1), 'a1'); // bob: B archived, A open
  const receipt = await send(bob, alice, 'receipt for a1'); // on A
  assert.equal(await open(alice, bob, b1), 'b1'); // alice: A archived, B open
  const a2 = await send(alice, bob, 'a2'); // on B, which bob holds archived
  assert.equal(await open(alice, bob, receipt), 'receipt for a1'); // alice: A open again
  const a3 = await send(alice, bob, 'a3'); // on A
  assert.equal(await open(bob, alice, a2), 'a2', 'a message on the archived session decrypts (and reopens it)');
  assert.equal(await open(bob, alice, a3), 'a3', 'the session that was open before still decrypts afterwards');
  const b2 = await send(bob, alice, 'b2');
  assert.equal(await open(alice, bob, b2), 'b2');
  const a4 = await send(alice, bob, 'a4');
  assert.equal(await open(bob, alice, a4), 'a4');
});

test('a failed try on another session leaves the stored record untouched', async () => {
  const { alice, bob } = await simultaneousStart();
  const a1 = await send(alice, bob, 'a1');
  const b1 = await send(bob, alice, 'b1');
  await open(bob, alice, a1);
  await open(alice, bob, b1);
  const a2 = await send(alice, bob, 'a2'); // on B: bob tries A (open) first and fails there
  const key = [...bob.state.sessions.keys()][0]!;
  const before = JSON.parse(bob.state.sessions.get(key)!).sessions as Record<string, { indexInfo: { closed: number } }>;
  await open(bob, alice, a2);
  const after = JSON.parse(bob.state.sessions.get(key)!).sessions as Record<string, { indexInfo: { closed: number } }>;
  const openBefore = Object.keys(before).find((k) => before[k]!.indexInfo.closed === -1)!;
  assert.notEqual(after[openBefore]!.indexInfo.closed, -1, 'the session that decrypted is now the open one');
  const strip = (s: unknown) => { const c = structuredClone(s) as { indexInfo: { closed: number } }; c.indexInfo.closed = 0; return c; };
  assert.deepEqual(strip(after[openBefore]), strip(before[openBefore]), 'the session tried without success was stored unchanged');
});

/** A small deterministic PRNG, so every interleaving is reproducible from its seed. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The protocol steps of the 100-message e2e test, scaled down: both send while neither has received;
 * bob receives (and sends a receipt); alice sends more; then alice receives (sending receipts after each
 * burst) while alice and bob both send, in the interleaving `pick` chooses; then bob receives while both
 * send; then both drain. Every message must arrive exactly once, in order.
 */
async function hundredModel(pick: (n: number) => number, n = 4) {
  const { alice, bob } = await simultaneousStart();
  const inbox = { alice: [] as { text: string; ct: Ciphertext }[], bob: [] as { text: string; ct: Ciphertext }[] };
  const got = { alice: [] as string[], bob: [] as string[] };
  const failures: string[] = [];
  const next = { alice: 1, bob: 1 };
  const sendText = async (who: 'alice' | 'bob') => {
    const [from, to] = who === 'alice' ? [alice, bob] : [bob, alice];
    const text = `${who}-${next[who]++}`;
    inbox[who === 'alice' ? 'bob' : 'alice'].push({ text, ct: await send(from, to, text) });
  };
  const pendingReceipt = { alice: false, bob: false };
  /** Processes one envelope; returns false when the inbox is empty. */
  const receiveOne = async (who: 'alice' | 'bob') => {
    const m = inbox[who].shift();
    if (!m) return false;
    const [me, peer] = who === 'alice' ? [alice, bob] : [bob, alice];
    try {
      const text = await open(me, peer, m.ct);
      if (!text.startsWith('receipt')) { got[who].push(text); pendingReceipt[who] = true; }
    } catch (err) {
      failures.push(`${who} could not decrypt ${m.text}: ${(err as Error).message}`);
    }
    return true;
  };
  const flushReceipt = async (who: 'alice' | 'bob') => {
    if (!pendingReceipt[who]) return;
    pendingReceipt[who] = false;
    const [from, to] = who === 'alice' ? [alice, bob] : [bob, alice];
    inbox[who === 'alice' ? 'bob' : 'alice'].push({ text: `receipt from ${who}`, ct: await send(from, to, `receipt from ${who}`) });
  };
  /** Runs the given actors in an order chosen by `pick` until each has done its share. */
  const concurrently = async (actors: { left: number; step: () => Promise<boolean | void> }[]) => {
    for (;;) {
      const live = actors.filter((a) => a.left > 0);
      if (live.length === 0) return;
      const a = live[pick(live.length)]!;
      a.left--;
      if ((await a.step()) === false) a.left = 0;
    }
  };
  const receiver = (who: 'alice' | 'bob') => ({
    left: 1000,
    step: async () => {
      const more = await receiveOne(who);
      if (!more || pick(3) === 0) await flushReceipt(who); // a burst ends
      return more;
    },
  });

  await concurrently([{ left: n, step: () => sendText('alice') }, { left: n, step: () => sendText('bob') }]); // 1
  while (await receiveOne('bob')); await flushReceipt('bob'); // 2
  for (let i = 0; i < n; i++) await sendText('alice');
  await concurrently([receiver('alice'), { left: n, step: () => sendText('bob') }, { left: n, step: () => sendText('alice') }]); // 4
  await flushReceipt('alice');
  await concurrently([receiver('bob'), { left: n, step: () => sendText('alice') }, { left: n, step: () => sendText('bob') }]); // 5
  await flushReceipt('bob');
  for (let round = 0; round < 3; round++) { // 6: drain, receipts included
    while (await receiveOne('alice')); await flushReceipt('alice');
    while (await receiveOne('bob')); await flushReceipt('bob');
  }
  const expected = (who: string, count: number) => Array.from({ length: count }, (_, i) => `${who}-${i + 1}`);
  assert.deepEqual(failures, []);
  assert.deepEqual(got.bob, expected('alice', next.alice - 1));
  assert.deepEqual(got.alice, expected('bob', next.bob - 1));
}

test('the 100-message e2e sequence with simultaneous start: 10 seeded interleavings deliver everything', async () => {
  for (let seed = 1; seed <= 10; seed++) {
    const rnd = mulberry32(seed);
    await hundredModel((k) => Math.floor(rnd() * k)).catch((err: Error) => { throw new Error(`seed ${seed}: ${err.message}`); });
  }
});
