// The pure rules both ends share (common/wire/business.ts): logo sniffing, text and website checks, and when an
// away status applies (its date; outside the org's working hours, in their time zone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { awayApplies, sniffLogo, textProblem, websiteProblem, withinWorkingHours } from '../../common/wire/business.ts';
import { checkedLogo } from '../../electron/core/business/org.ts';

test('logo: PNG and JPEG by their bytes; SVG, GIF, HTML and truncated files are not images here', () => {
  assert.equal(sniffLogo(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')), 'image/png');
  assert.equal(sniffLogo(Buffer.from('ffd8ffe000104a464946', 'hex')), 'image/jpeg');
  assert.equal(sniffLogo(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
  assert.equal(sniffLogo(Buffer.from('GIF89a......')), undefined);
  assert.equal(sniffLogo(Buffer.from('<html><script>alert(1)</script>')), undefined);
  assert.equal(sniffLogo(Buffer.from('89504e470d0a1a0a', 'hex')), undefined, 'the signature alone is no image');
});

test('text and website checks', () => {
  assert.equal(textProblem('Acme', 'Name', 10), undefined);
  assert.match(textProblem('<b>x</b>', 'Name', 100)!, /no markup/);
  assert.match(textProblem('a\nb', 'Name', 100)!, /control/);
  assert.equal(textProblem('a\nb', 'Description', 100, { multiline: true }), undefined);
  assert.match(textProblem('x'.repeat(11), 'Name', 10)!, /longer than 10/);
  assert.equal(websiteProblem('https://acme.test/about'), undefined);
  for (const bad of ['javascript:alert(1)', 'data:text/html,<b>', 'file:///etc/passwd', 'acme.test', 'https://u:p@acme.test']) assert.ok(websiteProblem(bad), bad);
});

test('away applies until its date, and with outsideWorkingHours only outside the hours in their zone', () => {
  const hours = { timeZone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'] as Array<'mon'>, start: '09:00', end: '17:00' };
  const monday10Berlin = Date.parse('2026-03-02T09:00:00Z'); // 10:00 in Berlin (CET)
  const monday18Berlin = Date.parse('2026-03-02T17:00:00Z');
  const saturday = Date.parse('2026-03-07T10:00:00Z');
  assert.equal(withinWorkingHours(hours, monday10Berlin), true);
  assert.equal(withinWorkingHours(hours, monday18Berlin), false);
  assert.equal(withinWorkingHours(hours, saturday), false);
  const away = { text: 'x', outsideWorkingHours: true };
  assert.equal(awayApplies(away, monday10Berlin, hours), false);
  assert.equal(awayApplies(away, monday18Berlin, hours), true);
  assert.equal(awayApplies(away, monday18Berlin, undefined), false, 'no org hours: never "outside" them');
  assert.equal(awayApplies({ text: 'x', outsideWorkingHours: false, until: monday18Berlin }, monday10Berlin, hours), true);
  assert.equal(awayApplies({ text: 'x', outsideWorkingHours: false, until: monday10Berlin }, monday18Berlin, hours), false);
  // Overnight shifts wrap around midnight.
  const night = { timeZone: 'UTC', days: ['mon'] as Array<'mon'>, start: '22:00', end: '06:00' };
  assert.equal(withinWorkingHours(night, Date.parse('2026-03-02T23:00:00Z')), true);
});

test('attack: a hostile server\'s logo is refused on the device unless type, bytes and hash all match the profile', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const profile = { name: 'Acme', description: '', website: '', support: '', officeHours: '', updatedAt: 1, logo: { contentType: 'image/png' as const, bytes: png.length, sha256: sha(png) } };
  assert.equal(checkedLogo(profile, { contentType: 'image/png', bytes: png }).contentType, 'image/png');
  const svg = Buffer.from('<svg onload="alert(1)"/>');
  assert.throws(() => checkedLogo({ ...profile, logo: { ...profile.logo, sha256: sha(svg) } }, { contentType: 'image/png', bytes: svg }), /not a PNG or JPEG/);
  assert.throws(() => checkedLogo(profile, { contentType: 'text/html', bytes: png }), /type does not match/);
  const other = Buffer.concat([png, Buffer.from([0])]);
  assert.throws(() => checkedLogo(profile, { contentType: 'image/png', bytes: other }), /not the logo the profile names/);
  assert.throws(() => checkedLogo(profile, { contentType: 'image/png', bytes: Buffer.concat([png, Buffer.alloc(300 * 1024)]) }), /size limit/);
});
