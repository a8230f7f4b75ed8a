// The admin API's bearer guard (contract §6, errors §1): ADMIN_TOKEN as a Bearer token, and 401 before
// 404, 405 and 413 on every admin path.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, admin, createTenant, uniqueTenantId } from '../../helpers/api.ts';
import { BIG_BODY, allowOf, rawAdmin } from '../../helpers/admin.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';

describe('admin guard', () => {
  const cases: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['a wrong bearer token', { Authorization: 'Bearer wrong-token' }],
    ['the right token under the Basic scheme', { Authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` }],
    ['the token alone with no scheme', { Authorization: ADMIN_TOKEN }],
    ['a Bearer with the token plus trailing junk', { Authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ['an empty Bearer', { Authorization: 'Bearer ' }],
  ];

  for (const [name, headers] of cases) {
    it(`refuses ${name} with 401 invalid_token`, async () => {
      const tenant = await createTenant();
      const res = await rawAdmin(`/tenants/${tenant}`, { headers });
      await expectOAuthError(res, 401, 'invalid_token');
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer\b/);
    });
  }

  it('accepts the auth scheme case-insensitively (RFC 7235 §2.1)', async () => {
    const tenant = await createTenant();
    const res = await rawAdmin(`/tenants/${tenant}`, { headers: { Authorization: `bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it('answers 401 before 404 on an unknown admin path', async () => {
    await expectOAuthError(await rawAdmin('/no-such-thing'), 401, 'invalid_token');
    await expectOAuthError(await rawAdmin('/no-such-thing', { headers: { Authorization: 'Bearer nope' } }), 401, 'invalid_token');
    await expectOAuthError(await rawAdmin(''), 401, 'invalid_token');
    await expectOAuthError(await rawAdmin('/tenants/no-such-tenant'), 401, 'invalid_token');
  });

  it('answers 404 for an unknown admin path once the token is right', async () => {
    await expectOAuthError(await admin('/no-such-thing'), 404, 'invalid_request');
    await expectOAuthError(await admin(''), 404, 'invalid_request');
  });

  it('answers 401 before 405 on a method the path does not take', async () => {
    const tenant = await createTenant();
    await expectOAuthError(await rawAdmin(`/tenants/${tenant}`, { method: 'POST' }), 401, 'invalid_token');
    const res = await admin(`/tenants/${tenant}`, 'POST');
    await expectOAuthError(res, 405, 'invalid_request');
    expect(allowOf(res)).toEqual(['DELETE', 'GET', 'HEAD', 'PUT']);
  });

  it('answers 401 before 413 on a 100 KiB body with a wrong token', async () => {
    const tenant = uniqueTenantId();
    const res = await rawAdmin(`/tenants/${tenant}`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer wrong-token', 'Content-Type': 'application/json' },
      body: BIG_BODY,
    });
    await expectOAuthError(res, 401, 'invalid_token');
    // Nothing was created.
    await expectOAuthError(await admin(`/tenants/${tenant}`), 404, 'invalid_request');
  });

  it('answers 413 on a 100 KiB body with the right token', async () => {
    const tenant = uniqueTenantId();
    const res = await rawAdmin(`/tenants/${tenant}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ scopes: ['openid'], padding: BIG_BODY }),
    });
    await expectOAuthError(res, 413, 'invalid_request');
  });

  it('with the right token, 404 and 405 still come before 413', async () => {
    const tenant = await createTenant();
    const big = (path: string, method: string) =>
      rawAdmin(path, {
        method,
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: BIG_BODY,
      });
    await expectOAuthError(await big('/no-such-thing', 'PUT'), 404, 'invalid_request');
    await expectOAuthError(await big(`/tenants/${tenant}/clients/no-such-client`, 'PUT'), 404, 'invalid_request');
    const res = await big(`/tenants/${tenant}`, 'POST');
    await expectOAuthError(res, 405, 'invalid_request');
    expect(allowOf(res)).toEqual(['DELETE', 'GET', 'HEAD', 'PUT']);
  });
});
