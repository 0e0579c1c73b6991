// The wire contract, server side: every route declares its response schemas (from common/wire/ and
// common/errors.ts), a route without them keeps the server from starting, and the error-code table is sound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { ERRORS, ErrorBody, ErrorCode, isErrorCode, parseErrorBody } from '../../common/errors.ts';
import { ScimError } from '../../common/wire/scim.ts';
import { requireResponseSchemas } from '../../server/responses.ts';
import { api, startTestServer } from './helpers.ts';

test('every route of a full server (dev IdP, SCIM) declares success and error response schemas', async () => {
  const s = await startTestServer({ scimToken: 'contract-test-token-0123456789' });
  try {
    const served = new Set(s.routes.map((r) => `${r.method} ${r.url}`));
    // A sample across every route module, so a module that registers before the check would show up here.
    for (const r of ['GET /healthz', 'GET /v1/config', 'POST /v1/devices', 'PUT /v1/keys', 'GET /v1/directory/search', 'POST /v1/messages',
      'GET /v1/ws', 'POST /v1/lifecycle/status', 'POST /v1/admin/wipe', 'DELETE /v1/groups/:id/members/:userId',
      'POST /v1/groups/:id/messages', 'GET /scim/v2/Users', 'PATCH /scim/v2/Groups/:id', 'POST /idp/interaction/:uid/login']) {
      assert.ok(served.has(r), `${r} is not among the checked routes`);
    }
    for (const r of s.routes) {
      const where = `${r.method} ${r.url}`;
      assert.ok(s.app.hasRoute({ method: r.method.split(',')[0] as 'GET', url: r.url }), where);
      const statuses = Object.keys(r.response);
      assert.ok(statuses.some((c) => /^[123]/.test(c)), `${where}: no success schema`);
      // Errors are ErrorBody everywhere, except under /scim/v2 (RFC 7644 errors).
      const error = r.url.startsWith('/scim/') ? ScimError : ErrorBody;
      assert.equal(r.response['4xx'], error, `${where}: 4xx`);
      assert.equal(r.response['5xx'], error, `${where}: 5xx`);
    }
  } finally {
    await s.cleanup();
  }
});

test('a route without a response schema is refused (the server would not start)', async () => {
  const app = Fastify({ logger: false });
  const checked = requireResponseSchemas(app);
  assert.throws(() => app.get('/none', async () => ({ ok: true })), /GET \/none declares no response schema/);
  assert.throws(() => app.get('/no-errors', { schema: { response: { 200: Type.Object({}) } } }, async () => ({})),
    /GET \/no-errors declares no response schema for its errors/);
  assert.throws(() => app.post('/no-success', { schema: { response: { '4xx': ErrorBody } } }, async () => ({})),
    /POST \/no-success declares no response schema for its success status/);
  app.get('/fine', { schema: { response: { 200: Type.Object({}), '4xx': ErrorBody } } }, async () => ({}));
  assert.deepEqual(checked.map((r) => `${r.method} ${r.url}`), ['GET /fine', 'HEAD /fine']);
  // Inside a plugin, a refused route fails the start.
  const plugged = Fastify({ logger: false });
  requireResponseSchemas(plugged);
  void plugged.register(async (scope) => { scope.get('/x', async () => 'x'); });
  await assert.rejects(async () => { await plugged.ready(); }, /GET \/x declares no response schema/);
  await app.close();
});

test('error-code table: codes are snake_case with a 4xx/5xx status and a sentence; the parser reads only its codes', () => {
  for (const [code, { status, sentence }] of Object.entries(ERRORS)) {
    assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    assert.ok(status >= 400 && status < 600, code);
    assert.match(sentence, /^\S.{9,}\.$/, code);
    assert.equal(ErrorCode[code as ErrorCode], code);
  }
  assert.deepEqual(parseErrorBody(404, JSON.stringify({ error: 'unknown_group', message: 'No such group.', extra: 1 })),
    { code: ErrorCode.unknown_group, message: 'No such group.', body: { error: 'unknown_group', message: 'No such group.', extra: 1 } });
  assert.equal(parseErrorBody(400, JSON.stringify({ error: 'made_up', message: 'x' })).code, 'http_error');
  assert.equal(parseErrorBody(502, '<html>Bad gateway</html>').code, 'http_error');
  assert.equal(parseErrorBody(500, '').message, 'the request failed with HTTP 500');
  assert.equal(isErrorCode('toString'), false);
});

test('the server answers every error with its code from the table and the table status', async () => {
  const s = await startTestServer();
  try {
    const cases: Array<[string, string, ErrorCode]> = [
      ['GET', '/v1/nope', ErrorCode.not_found], ['GET', '/v1/devices/me', ErrorCode.unauthorized],
      ['POST', '/v1/devices', ErrorCode.invalid_request], ['PUT', '/v1/keys', ErrorCode.unauthorized],
    ];
    for (const [method, path, code] of cases) {
      const res = await api(s.url, method, path, method === 'POST' ? { body: {} } : {});
      assert.equal(res.error?.code, code, `${method} ${path}`);
      assert.equal(res.status, ERRORS[code].status, `${method} ${path}`);
    }
  } finally {
    await s.cleanup();
  }
});
