// The relay writes its `envelope` frames out by hand (server/delivery-connection.ts envelopeFrame) instead of
// JSON.stringify on an object: the text must be the same, for any envelope, including strings with quotes,
// backslashes, control characters and lone surrogates, and it must parse as a valid server frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import { ServerFrame, type IncomingEnvelope } from '../../common/wire/schemas.ts';
import { envelopeFrame } from '../../server/delivery-connection.ts';
import type { StoredEnvelope } from '../../server/store/types.ts';

/** The frame's envelope as an object, the plain way (what the relay built before envelopeFrame). */
const toIncoming = (e: StoredEnvelope): IncomingEnvelope => ({
  id: String(e.id), sourceUser: e.sourceUser, sourceDevice: e.sourceDevice, type: e.type,
  content: e.contentBase64 ?? Buffer.from(e.content).toString('base64'), serverTimestamp: e.serverTimestamp,
  ...(e.groupId ? { group: e.groupId } : {}), ...(e.aboutGroup ? { aboutGroup: e.aboutGroup } : {}),
});

const envelope = fc.record({
  id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  destUser: fc.string(), destDevice: fc.integer({ min: 1, max: 1_000_000 }),
  sourceUser: fc.string({ unit: 'binary' }), sourceDevice: fc.integer({ min: 1, max: 1_000_000 }),
  type: fc.constantFrom(1 as const, 3 as const),
  content: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  serverTimestamp: fc.integer({ min: 0, max: 2 ** 50 }),
  groupId: fc.option(fc.string({ unit: 'binary' }), { nil: undefined }),
  aboutGroup: fc.option(fc.string({ unit: 'binary' }), { nil: undefined }),
  withText: fc.boolean(),
}).map(({ withText, groupId, aboutGroup, ...e }): StoredEnvelope => ({
  ...e,
  ...(groupId === undefined ? {} : { groupId }),
  ...(aboutGroup === undefined ? {} : { aboutGroup }),
  ...(withText ? { contentBase64: e.content.toString('base64') } : {}),
}));

test('envelopeFrame writes exactly what JSON.stringify of the frame object writes', () => {
  fc.assert(fc.property(envelope, (e) => {
    assert.equal(envelopeFrame(e), JSON.stringify({ type: 'envelope', envelope: toIncoming(e) }));
  }), { numRuns: 5_000 });
});

test('a frame of a real-shaped envelope parses back to the envelope and is a valid server frame', () => {
  const e: StoredEnvelope = {
    id: 42, destUser: 'u_BBBBBBBBBBBBBBBBBBBBBB', destDevice: 2, sourceUser: 'u_AAAAAAAAAAAAAAAAAAAAAA', sourceDevice: 1, type: 3,
    content: Buffer.from('hello'), serverTimestamp: 1_796_000_000_000, groupId: 'g_CCCCCCCCCCCCCCCCCCCCCC',
  };
  const frame = JSON.parse(envelopeFrame(e));
  assert.ok(Value.Check(ServerFrame, frame));
  assert.deepEqual(frame, { type: 'envelope', envelope: { id: '42', sourceUser: e.sourceUser, sourceDevice: 1, type: 3, content: 'aGVsbG8=', serverTimestamp: e.serverTimestamp, group: e.groupId } });
});
