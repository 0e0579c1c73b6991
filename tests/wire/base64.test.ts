// The `base64` format of the wire schemas (common/wire/base64.ts) against the pattern it replaced: equal on
// valid, random and hostile strings; registered in TypeBox wherever the schemas load, so a check does not
// pass an unknown format; and used by the client's response checks and the socket-send frame check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { Format } from 'typebox/format';
import { BASE64_FORMAT, isBase64 } from '../../common/wire/base64.ts';
import { Base64, OutgoingEnvelope as Envelope } from '../../common/wire/schemas.ts';

const PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

test('isBase64 accepts exactly what the old pattern accepted', () => {
  const cases = ['', 'AAAA', 'AA==', 'AAA=', 'aGVsbG8=', 'a=b=', 'A===', '====', '=AAA', 'AB=C', 'AAA', 'AAAAA', 'AA=\n', 'AAAA\n',
    'AA-_', 'AAAé', 'AA\u0000A', 'AAA\uD83D', '+/+/', 'AAAA====', 'AAAAA==='];
  for (const s of cases) assert.equal(isBase64(s), PATTERN.test(s), JSON.stringify(s));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => isBase64(Buffer.from(bytes).toString('base64'))));
  // Strings over the base64 alphabet, '=', and a few hostile characters: both answers agree.
  const ch = fc.constantFrom(...'AZaz09+/=-_ \n.é\u0000'.split(''));
  fc.assert(fc.property(fc.array(ch, { maxLength: 24 }).map((a) => a.join('')), (s) => isBase64(s) === PATTERN.test(s)), { numRuns: 20_000 });
});

test('the format is registered in TypeBox by the schemas themselves, and checks apply it', () => {
  assert.equal(Format.Get(BASE64_FORMAT), isBase64);
  const check = Compile(Base64(100));
  assert.equal(check.Check('aGVsbG8='), true);
  assert.equal(check.Check('aGVsbG8'), false);
  assert.equal(check.Check('a=b='), false);
  const envelope = { userId: `u_${'A'.repeat(22)}`, deviceId: 1, registrationId: 1, type: 1, content: 'aGVsbG8=' };
  assert.equal(Compile(Envelope).Check(envelope), true);
  assert.equal(Compile(Envelope).Check({ ...envelope, content: 'not base64!' }), false);
});
