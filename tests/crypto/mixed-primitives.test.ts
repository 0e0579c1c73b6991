// One side on the pure-JS curve and platform WebCrypto the library ships with, the other on Parley's native
// primitives: X3DH (each side checks the other's signed prekey), messages and DH ratchet steps both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDevice, type TestDevice } from './memory-state.ts';
import { withPrimitives, type Primitives } from './primitives.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (u: Uint8Array) => new TextDecoder().decode(u);

interface Side { device: TestDevice; on: Primitives }

async function send(from: Side, to: Side, text: string): Promise<void> {
  const ct = await withPrimitives(from.on, () => from.device.party.encrypt(to.device.address, enc(text)));
  const plain = await withPrimitives(to.on, () => to.device.party.decrypt(from.device.address, ct.type, ct.body));
  assert.equal(dec(plain), text, `${from.on} → ${to.on}: "${text}"`);
}

async function conversation(initiator: Primitives, responder: Primitives): Promise<void> {
  const a: Side = { on: initiator, device: await withPrimitives(initiator, () => makeDevice(`u_${initiator}initiatoraaaaaa`.slice(0, 25))) };
  const b: Side = { on: responder, device: await withPrimitives(responder, () => makeDevice(`u_${responder}responderbbbbbb`.slice(0, 25))) };
  await withPrimitives(a.on, () => a.device.party.startSession(b.device.address, b.device.bundle()));
  await send(a, b, 'first (PreKeyWhisper)');
  await send(a, b, 'second, same chain');
  for (let i = 0; i < 4; i++) {
    await send(b, a, `reply ${i} (a ratchet step at ${a.on})`);
    await send(a, b, `answer ${i} (a ratchet step at ${b.on})`);
  }
}

test('pure-JS initiator, native responder: X3DH, both directions, ratchet steps on both sides', async () => {
  await conversation('pure-js', 'native');
});

test('native initiator, pure-JS responder: X3DH, both directions, ratchet steps on both sides', async () => {
  await conversation('native', 'pure-js');
});
