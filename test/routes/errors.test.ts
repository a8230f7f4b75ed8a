// Contract §1: every error is RFC 6749 §5.2 JSON, on every path, in the order 404, 405, 413, 401.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { basic, call, poll, setup, startRequest, approve, putRecord, tenantRef, type TestClient } from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import { keysKey } from '../../src/keys/store.ts';

let tenant: string;
let client: TestClient;
beforeAll(async () => {
  ({ tenant, client } = await setup());
});

describe('404', () => {
  it.each(['/', '/nope', '/ghost-tenant/as/token', '/Upper/as/jwks', '/-bad/as/jwks', `/x/as/.well-known/openid-configuration`])(
    'unknown path or tenant %s',
    async (path) => {
      await expectOAuthError(await call(path), 404, 'invalid_request');
      await expectOAuthError(await call(path, { method: 'POST' }), 404, 'invalid_request');
    },
  );
  it('an unknown path under a real tenant', async () => {
    await expectOAuthError(await call(`/${tenant}/as/authorize`), 404, 'invalid_request');
    await expectOAuthError(await call(`/${tenant}/as/token/extra`, { method: 'POST' }), 404, 'invalid_request');
  });
  it.each(['/device/', '/device/x', '/device/x/y', '/device//'])(
    'any path below the device page: %s, for a real tenant and an unknown one (GET, POST)',
    async (suffix) => {
      for (const t of [tenant, 'nope']) {
        await expectOAuthError(await call(`/${t}${suffix}`), 404, 'invalid_request');
        await expectOAuthError(await call(`/${t}${suffix}`, { method: 'POST' }), 404, 'invalid_request');
      }
    },
  );
  it('404 beats 405 for an unknown tenant', async () => {
    await expectOAuthError(await call('/ghost-tenant/as/token', { method: 'GET' }), 404, 'invalid_request');
  });
});

describe('no path under a tenant reaches a 5xx or leaves the error shape', () => {
  const bases = ['', '/as', '/as/ciba', '/as/token', '/as/cibaAuthorization', '/as/ciba/callback', '/as/ciba/cancel', '/as/jwks', '/as/.well-known/openid-configuration', '/device'];
  const suffixes = ['/', '/x', '//', '/x/y', '/%2e%2e', '/%00'];
  it.each(bases)('%s with odd suffixes', async (base) => {
    for (const t of [tenant, 'nope']) {
      for (const suffix of suffixes) {
        for (const method of ['GET', 'POST', 'PUT']) {
          const res = await call(`/${t}${base}${suffix}`, { method });
          expect(res.status, `${method} /${t}${base}${suffix}`).toBeLessThan(500);
          if (res.status >= 400) await expectOAuthError(res, res.status, 'invalid_request', `${method} /${t}${base}${suffix}`);
          else await res.body?.cancel();
        }
      }
    }
  });
});

describe('405 with Allow', () => {
  it.each([
    ['/as/token', 'GET', 'POST'],
    ['/as/cibaAuthorization', 'PUT', 'POST'],
    ['/as/ciba/callback', 'GET', 'POST'],
    ['/as/ciba/cancel', 'GET', 'POST'],
    ['/as/jwks', 'POST', 'GET, HEAD'],
    ['/as/.well-known/openid-configuration', 'DELETE', 'GET, HEAD'],
    ['/device', 'PUT', 'GET, HEAD, POST'],
  ])('%s %s', async (path, method, allow) => {
    const res = await call(`/${tenant}${path}`, { method });
    await expectOAuthError(res, 405, 'invalid_request');
    expect(res.headers.get('Allow')).toBe(allow);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
  });
});

describe('413', () => {
  const big = `scope=openid&login_hint=${'a'.repeat(70 * 1024)}`;
  it('a body over 64 KiB, before client authentication', async () => {
    const res = await call(`/${tenant}/as/cibaAuthorization`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: big,
    });
    await expectOAuthError(res, 413, 'invalid_request');
  });
  it('also when streamed without a Content-Length', async () => {
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 70; i++) controller.enqueue(new TextEncoder().encode('a'.repeat(1024)));
        controller.close();
      },
    });
    const res = await call(`/${tenant}/as/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client) },
      body: stream,
      // @ts-expect-error: workerd needs duplex for a streamed request body
      duplex: 'half',
    });
    await expectOAuthError(res, 413, 'invalid_request');
  });
  it('exactly 64 KiB is accepted (then judged on its content)', async () => {
    const body = `grant_type=x&pad=${'a'.repeat(64 * 1024 - 17)}`;
    expect(body.length).toBe(64 * 1024);
    const res = await call(`/${tenant}/as/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client) },
      body,
    });
    await expectOAuthError(res, 400, 'unsupported_grant_type');
  });
});

describe('500 server_error', () => {
  it('an internal failure is logged, not sent', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    // Corrupt the tenant's key set so loading the signing key fails unexpectedly.
    const keysRecord = keysKey(await tenantRef(tenant));
    const keys = await env.CONFIG.get(keysRecord);
    await putRecord(keysRecord, JSON.stringify({ keys: [{ kid: 'k', alg: 'ES256', privateJwe: 'garbage' }] }));
    const res = await poll(tenant, client, auth_req_id);
    const body = await expectOAuthError(res, 500, 'server_error');
    expect(body.error_description).toBe('The server met an unexpected condition');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    // The fault did not burn the approval: once the keys are back, the tokens are still there.
    await putRecord(keysRecord, keys!);
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
  });
});

describe('error_description holds only the characters RFC 6749 §5.2 allows, whatever the input', () => {
  const hostile = '"é\\\u0001☃';
  const form = (pairs: Array<[string, string]>, headers: Record<string, string> = {}) => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(pairs).toString(),
  });
  const as = (path: string) => `/${tenant}/as${path}`;

  it.each<[string, () => Promise<Response>, number, string]>([
    ['a repeated parameter whose name is hostile', () => call(as('/token'), form([[hostile, '1'], [hostile, '2']], { Authorization: basic(client) })), 400, 'invalid_request'],
    ['an unsupported grant_type', () => call(as('/token'), form([['grant_type', hostile]], { Authorization: basic(client) })), 400, 'unsupported_grant_type'],
    ['a resource', () => call(as('/cibaAuthorization'), form([['scope', 'openid'], ['login_hint', 'alice@example.com'], ['resource', `https://api.example.com/${hostile}`]], { Authorization: basic(client) })), 400, 'invalid_target'],
    ['an authorization_details type', () => call(as('/cibaAuthorization'), form([['scope', 'openid'], ['login_hint', 'alice@example.com'], ['authorization_details', JSON.stringify([{ type: hostile }])]], { Authorization: basic(client) })), 400, 'invalid_authorization_details'],
    ['a parameter outside a request object', () => call(as('/cibaAuthorization'), form([['request', 'a.b.c'], [hostile, 'x']], { Authorization: basic(client) })), 400, 'invalid_request'],
    ['a repeated parameter on the device page, unauthenticated', () => call(`/${tenant}/device`, form([[hostile, '1'], [hostile, '2']])), 400, 'invalid_request'],
    ['a tenant setting out of its allowed values', () => call(`/admin/tenants/${tenant}-chars`, { method: 'PUT', headers: { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' }, body: JSON.stringify({ jurisdiction: hostile }) }), 400, 'invalid_request'],
    ['a user claim member of a hostile name', () => call(`/admin/tenants/${tenant}/users/${encodeURIComponent(hostile)}`, { method: 'PUT', headers: { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' }, body: JSON.stringify({ login_hints: [1] }) }), 400, 'invalid_request'],
  ])('%s', async (_name, send, status, error) => {
    const body = await expectOAuthError(await send(), status, error);
    expect(body.error_description).not.toMatch(/[\u0080-\uffff"\\]/);
  });

  it('a value the schema refuses is described by what to send, not a validator quoting allowed values', async () => {
    const res = await call(`/admin/tenants/${tenant}-jur`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer test-admin-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ jurisdiction: 'mars' }),
    });
    const body = await expectOAuthError(res, 400, 'invalid_request');
    expect(body.error_description).toBe('jurisdiction: must be one of eu or fedramp');
  });
});
