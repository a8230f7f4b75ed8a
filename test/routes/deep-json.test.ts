// Deeply nested JSON where the server reads JSON bodies (issue 18, item 8): the admin API (a user's
// claims, a trusted hint issuer's jwks, a client's jwks) and the callback. 20,000 levels fit in a
// body under 64 KiB; they are 400 invalid_request, never a 500, and 32 levels (the bound) pass.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, admin, callback, callbackTokenFor, createTenant, poll, setup, startRequest, uniqueTenantId } from '../helpers/api.ts';
import { rawAdmin } from '../helpers/admin.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const DEEP = arrays(20_000);
const TOO_DEEP = /nests arrays and objects more than 32 levels deep/;

const putJson = (path: string, method: string, body: string) =>
  rawAdmin(path, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body });

describe('admin bodies nested 20,000 levels deep are 400 invalid_request, and change nothing', () => {
  it('a user’s claims', async () => {
    const tenant = await createTenant();
    const res = await putJson(`/tenants/${tenant}/users/bob`, 'PUT', `{"login_hints":["bob@example.com"],"claims":{"address":${DEEP}}}`);
    const error = await expectOAuthError(res, 400, 'invalid_request');
    expect(error.error_description).toMatch(TOO_DEEP);
    await expectOAuthError(await admin(`/tenants/${tenant}/users/bob`), 404, 'invalid_request');
  });

  it('a trusted hint issuer’s jwks', async () => {
    const id = uniqueTenantId();
    const body = `{"trusted_hint_issuers":[{"issuer":"https://idp.example.com","jwks":{"keys":[{"kty":"EC","x":${DEEP}}]}}]}`;
    const error = await expectOAuthError(await putJson(`/tenants/${id}`, 'PUT', body), 400, 'invalid_request');
    expect(error.error_description).toMatch(TOO_DEEP);
    await expectOAuthError(await admin(`/tenants/${id}`), 404, 'invalid_request');
  });

  it('a client’s jwks', async () => {
    const tenant = await createTenant();
    const body = `{"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"EC","x":${DEEP}}]}}`;
    const error = await expectOAuthError(await putJson(`/tenants/${tenant}/clients`, 'POST', body), 400, 'invalid_request');
    expect(error.error_description).toMatch(TOO_DEEP);
  });

  it('32 levels are taken, 33 are not', async () => {
    const tenant = await createTenant();
    // The body is one level, claims a second, and the arrays the rest.
    const user = (depth: number) => `{"login_hints":["bob@example.com"],"claims":{"nested":${arrays(depth - 2)}}}`;
    expect((await putJson(`/tenants/${tenant}/users/bob`, 'PUT', user(32))).status).toBe(201);
    const error = await expectOAuthError(await putJson(`/tenants/${tenant}/users/bob`, 'PUT', user(33)), 400, 'invalid_request');
    expect(error.error_description).toMatch(TOO_DEEP);
  });
});

describe('a callback body nested 20,000 levels deep', () => {
  it('is 400 invalid_request and decides nothing, after the token is checked', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    const token = await callbackTokenFor(tenant, auth_req_id);
    const body = `{"status":"approved","authentication_method":"smart-id","extra":${DEEP}}`;
    await expectOAuthError(await callback(tenant, 'A'.repeat(54), body), 401, 'invalid_token');
    const error = await expectOAuthError(await callback(tenant, token, body), 400, 'invalid_request');
    expect(error.error_description).toMatch(TOO_DEEP);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
  });
});
