// Fuzzing the SCIM parsers directly (fast-check), many more inputs than over HTTP: the list filter parser, the
// PATCH normalizer and the patch application of users and groups. Any input ends in a result or a SCIM error
// with a 4xx status — never another exception (a TypeError would be a 500), never a polluted prototype, and
// fast (a pathological filter must not hang the event loop).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { URN } from '../../common/wire/scim.ts';
import { ScimError } from '../../server/scim/errors.ts';
import { parseListFilter } from '../../server/scim/filter.ts';
import { normalizePatch, patchedGroupWrite, patchedUserWrite, userWrite, groupWrite } from '../../server/scim/resources.ts';
import type { ScimGroupRow, ScimUserRow } from '../../server/store/types.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12) * 40;

/** Runs `f`; a ScimError with a 4xx status is a fine answer, anything else thrown fails; and it is quick. */
function clearAnswer(what: string, f: () => unknown): void {
  const t0 = performance.now();
  try {
    f();
  } catch (err) {
    if (!(err instanceof ScimError)) throw new Error(`${what}: ${(err as Error).stack ?? String(err)}`);
    assert.ok(err.status >= 400 && err.status < 500, `${what}: status ${err.status}`);
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 250, `${what}: took ${ms.toFixed(0)} ms`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, `${what}: polluted Object.prototype`);
}

const attr = fc.constantFrom('userName', 'externalId', 'id', 'emails', 'emails.value', 'displayName', 'members', 'name.givenName', 'active',
  `${URN.user}:userName`, `${URN.group}:displayName`, 'emails[type eq "work"].value', '__proto__', 'constructor.prototype', 'x');
const op = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'pr', 'gt', 'ge', 'lt', 'le', 'EQ', 'and', 'or', 'not');
const value = fc.oneof(fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)), fc.constantFrom('true', 'false', 'null', '1', '1e999', '"', "'a'"));
/** Filter-like text: grammar pieces glued together, sometimes broken, sometimes deeply nested. */
const filterText = fc.letrec((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(attr, op, value).map(([a, o, v]) => `${a} ${o} ${v}`),
    fc.tuple(tie('expr'), fc.constantFrom(' and ', ' or ', ' AND '), tie('expr')).map(([a, j, b]) => `${a}${j}${b}`),
    tie('expr').map((e) => `(${e})`),
    tie('expr').map((e) => `not (${e})`),
    fc.tuple(attr, tie('expr')).map(([a, e]) => `${a}[${e}]`),
    fc.string({ maxLength: 40 }),
  ),
})).expr as fc.Arbitrary<string>;

test('the list filter parser: any text is a filter or a 400 invalidFilter', () => {
  fc.assert(fc.property(fc.constantFrom('User' as const, 'Group' as const), fc.oneof(filterText, fc.string({ maxLength: 200 }), fc.constant('('.repeat(5000))), (kind, text) => {
    clearAnswer(`filter ${JSON.stringify(text.slice(0, 120))}`, () => parseListFilter(kind, text));
  }), { numRuns: RUNS });
});

const row = (): ScimUserRow => ({
  id: 'scim-1', userId: 'u_AAAAAAAAAAAAAAAAAAAAAA', externalId: 'ext-1', userName: 'a@acme.test', active: true,
  attrs: { userName: 'a@acme.test', active: true, displayName: 'A', name: { givenName: 'A' }, emails: [{ value: 'a@acme.test', type: 'work', primary: true }] },
  managed: true, linkValue: 'ext-1', version: 1, createdAt: 0, updatedAt: 0,
});
const groupRow = (): ScimGroupRow => ({ id: 'g-1', externalId: null, displayName: 'G', members: ['scim-1', 'scim-2'], version: 1, createdAt: 0, updatedAt: 0 });

const path = fc.oneof(
  fc.constantFrom('displayName', 'active', 'userName', 'name.givenName', 'name', 'emails', 'emails[type eq "work"].value', 'emails[type eq "work"]',
    'members', 'members[value eq "scim-1"]', 'members[value eq "x"].display', `${URN.enterpriseUser}:department`, `${URN.enterpriseUser}:manager`,
    `${URN.user}:userName`, 'urn:ietf:params:scim:schemas:extension:Custom:2.0:User:x', '__proto__.polluted', 'constructor.prototype.polluted',
    'externalId', 'id', 'meta.created', 'groups', 'password'),
  filterText.map((f) => `emails[${f}].value`),
  fc.string({ maxLength: 30 }),
);
const opName = fc.constantFrom('add', 'Add', 'ADD', 'replace', 'Replace', 'remove', 'Remove', 'delete', '', 'copy');
const patchValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(fc.record({ value: fc.oneof(fc.constantFrom('scim-1', 'scim-2', 'x'), fc.jsonValue()), display: fc.string() }, { requiredKeys: [] }), { maxLength: 3 }),
  fc.dictionary(fc.oneof(path, fc.constantFrom('__proto__', 'constructor', 'id')), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);
const patchBody = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    schemas: fc.constant([URN.patchOp]),
    Operations: fc.array(fc.record({ op: opName, path: fc.option(path), value: patchValue }, { requiredKeys: ['op'] }), { minLength: 1, maxLength: 5 }),
  }) },
  fc.record({
    schemas: fc.constantFrom([URN.patchOp], ['urn:x'], 'x', []),
    Operations: fc.oneof(fc.array(fc.record({ op: opName, path: fc.option(path), value: patchValue }, { requiredKeys: [] }), { maxLength: 5 }), fc.jsonValue()),
  }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 3 }),
);

test('PATCH: any body normalizes and applies to a user and a group, or is a SCIM 4xx', () => {
  fc.assert(fc.property(patchBody, (body) => {
    const what = `PATCH ${JSON.stringify(body).slice(0, 200)}`;
    clearAnswer(`${what} (User)`, () => patchedUserWrite(row(), normalizePatch('User', body)));
    clearAnswer(`${what} (Group)`, () => patchedGroupWrite(groupRow(), normalizePatch('Group', body)));
  }), { numRuns: RUNS });
});

test('POST/PUT bodies: any JSON is a user or group write, or a SCIM 4xx', () => {
  const resource = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(fc.oneof(path, fc.constantFrom('schemas', 'userName', 'displayName', 'members', '__proto__', URN.enterpriseUser)), patchValue, { maxKeys: 5 })
      .map((d) => ({ schemas: [URN.user, URN.group], ...d })),
  );
  fc.assert(fc.property(resource, (body) => {
    const what = `body ${JSON.stringify(body).slice(0, 200)}`;
    clearAnswer(`${what} (User)`, () => userWrite(body, row()));
    clearAnswer(`${what} (Group)`, () => groupWrite(body));
  }), { numRuns: RUNS });
});
