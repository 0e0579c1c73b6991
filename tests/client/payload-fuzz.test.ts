// Fuzzing the decoder of decrypted payloads (electron/core/payload.ts): whatever bytes a peer's device (or a
// broken client) manages to encrypt, decodePayload either returns a payload that matches the schema or
// refuses with a PayloadError: never another exception, never a value outside the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { decodePayload, encodePayload, MAX_TEXT_CHARS, Payload, PayloadError, type TextPayload } from '../../electron/core/payload.ts';

const check = Compile(Payload);
const RUNS = 2000;

/** Decodes, and holds the decoder to its promise. */
function decodeOrRefuse(bytes: Uint8Array): 'ok' | 'refused' {
  try {
    const p = decodePayload(bytes);
    assert.ok(check.Check(p), `decoded a value outside the schema: ${JSON.stringify(p)}`);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof PayloadError, `not a clear refusal: ${(err as Error)?.name}: ${(err as Error)?.message}`);
    assert.match(err.message, /^message (padding|content)/);
    return 'refused';
  }
}

/** Pads like the sender does, so the fuzzed JSON reaches the parser and the schema. */
function padded(text: string | Uint8Array): Uint8Array {
  const raw = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const out = new Uint8Array(Math.ceil((raw.length + 1) / 160) * 160);
  out.set(raw);
  out[raw.length] = 0x80;
  return out;
}

const messageId = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
const textPayload: fc.Arbitrary<TextPayload> = fc.record({
  v: fc.constant(1 as const), kind: fc.constant('text' as const), messageId,
  sentAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), text: fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }),
});

test('random bytes: a payload or a PayloadError, nothing else', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => { decodeOrRefuse(b); }), { numRuns: RUNS });
});

test('random JSON, correctly padded: refused unless it is a payload', () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => { decodeOrRefuse(padded(JSON.stringify(v) ?? 'null')); }), { numRuns: RUNS });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => { decodeOrRefuse(padded(b)); }), { numRuns: RUNS });
});

test('valid payloads with one field changed or added are refused or still valid, never misread', () => {
  const extra = fc.tuple(fc.string({ maxLength: 12 }), fc.jsonValue());
  fc.assert(fc.property(textPayload, extra, (p, [k, v]) => {
    const out = decodeOrRefuse(padded(JSON.stringify({ ...p, [k]: v })));
    if (!(k in p)) assert.equal(out, 'refused', `an unknown field ${k} must be refused`);
  }), { numRuns: RUNS });
  for (const evil of ['{"__proto__":{"kind":"text"}}', '{"constructor":{"prototype":{}}}', '[]', 'null', '"text"', '1e309']) {
    assert.equal(decodeOrRefuse(padded(evil)), 'refused', evil);
  }
});

test('bit flips in a genuine payload: refused or decoded within the schema', () => {
  fc.assert(fc.property(textPayload, fc.nat(), fc.integer({ min: 1, max: 255 }), (p, at, mask) => {
    const bytes = encodePayload(p);
    bytes[at % bytes.length]! ^= mask;
    decodeOrRefuse(bytes);
  }), { numRuns: RUNS });
});

test('round trip: every text payload decodes to itself; the size limit holds', () => {
  fc.assert(fc.property(textPayload, (p) => { assert.deepEqual(decodePayload(encodePayload(p)), { ...p }); }), { numRuns: RUNS });
  const longest: TextPayload = { v: 1, kind: 'text', messageId: 'a'.repeat(16), sentAt: 1, text: 'x'.repeat(MAX_TEXT_CHARS) };
  assert.deepEqual(decodePayload(encodePayload(longest)), longest);
  assert.equal(decodeOrRefuse(encodePayload({ ...longest, text: 'x'.repeat(MAX_TEXT_CHARS + 1) })), 'refused');
});

test('hostile shapes: deep nesting, huge numbers, invalid UTF-8, no padding', () => {
  assert.equal(decodeOrRefuse(padded('['.repeat(100_000) + ']'.repeat(100_000))), 'refused');
  assert.equal(decodeOrRefuse(padded(`{"v":1,"kind":"text","messageId":"${'a'.repeat(16)}","sentAt":1e400,"text":"x"}`)), 'refused');
  assert.equal(decodeOrRefuse(padded(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]))), 'refused');
  assert.equal(decodeOrRefuse(new TextEncoder().encode('{"v":1}')), 'refused');
  assert.equal(decodeOrRefuse(new Uint8Array(160)), 'refused');
});
