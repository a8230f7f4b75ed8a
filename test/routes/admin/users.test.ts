// Admin API: users (contract §6): the directory of subs, login hints (unique, bounded in bytes) and
// claims; the user_code is never shown; deletion frees the hints.
import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  admin,
  backchannel,
  createClient,
  createTenant,
  createUser,
  setup,
  startRequest,
  uniqueTenantId,
} from '../../helpers/api.ts';
import { B64URL, rawAdmin } from '../../helpers/admin.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';
import { sha256 } from '../../../src/lib/crypto.ts';

describe('users', () => {
  it('PUT creates a user (201), PUT again replaces (200); GET shows hints and claims, never the user_code', async () => {
    const tenant = await createTenant();
    const path = `/tenants/${tenant}/users/bob`;
    const first = await admin(path, 'PUT', {
      login_hints: ['bob@example.com'],
      claims: { name: 'Bob' },
      user_code: 'bob-secret-code-1',
    });
    expect(first.status).toBe(201);
    const firstText = await first.text();
    expect(JSON.parse(firstText)).toMatchObject({ sub: 'bob', login_hints: ['bob@example.com'], claims: { name: 'Bob' } });
    expect(firstText).not.toContain('bob-secret-code-1');

    const second = await admin(path, 'PUT', {
      login_hints: ['bob@example.com', '+372 5555 0002'],
      claims: { name: 'Bob B.', email: 'bob@example.com' },
      user_code: 'bob-secret-code-2',
    });
    expect(second.status).toBe(200);

    const got = await admin(path);
    expect(got.status).toBe(200);
    const text = await got.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toMatchObject({
      sub: 'bob',
      login_hints: ['bob@example.com', '+372 5555 0002'],
      claims: { name: 'Bob B.', email: 'bob@example.com' },
    });
    expect(body).not.toHaveProperty('user_code');
    expect(text).not.toContain('bob-secret-code-2');
    expect(text).not.toContain(await sha256('bob-secret-code-2'));
    expect(text).not.toMatch(/hash/i);
  });

  it('refuses a login hint another user holds with 409 (also in another spelling)', async () => {
    const tenant = await createTenant();
    await createUser(tenant, 'alice');
    const taken = await expectOAuthError(
      await admin(`/tenants/${tenant}/users/mallory`, 'PUT', { login_hints: ['alice@example.com'] }),
      409,
      'invalid_request',
    );
    expect(taken.error_description).toContain('login_hints');
    await expectOAuthError(
      await admin(`/tenants/${tenant}/users/mallory`, 'PUT', { login_hints: ['mallory@example.com', 'ALICE@Example.com'] }),
      409,
      'invalid_request',
    );
    await expectOAuthError(await admin(`/tenants/${tenant}/users/mallory`), 404, 'invalid_request');
    // alice keeps her hint.
    const { client } = { client: await createClient(tenant) };
    expect((await startRequest(tenant, client)).auth_req_id).toMatch(B64URL);
  });

  it('deletes a user (204); the login hint then no longer resolves', async () => {
    const { tenant, client } = await setup();
    const res = await admin(`/tenants/${tenant}/users/alice`, 'DELETE');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectOAuthError(await admin(`/tenants/${tenant}/users/alice`), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/users/alice`, 'DELETE'), 404, 'invalid_request');
    const bc = await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com' });
    await expectOAuthError(bc, 400, 'unknown_user_id');
    // The hint is free again.
    expect((await admin(`/tenants/${tenant}/users/alice2`, 'PUT', { login_hints: ['alice@example.com'] })).status).toBe(201);
  });

  it('a login hint dropped on replacement stops resolving and becomes free', async () => {
    const { tenant, client } = await setup();
    expect((await admin(`/tenants/${tenant}/users/alice`, 'PUT', { login_hints: ['alice@new.example'] })).status).toBe(200);
    await expectOAuthError(await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com' }), 400, 'unknown_user_id');
    expect((await startRequest(tenant, client, { login_hint: 'alice@new.example' })).auth_req_id).toMatch(B64URL);
    expect((await admin(`/tenants/${tenant}/users/carol`, 'PUT', { login_hints: ['alice@example.com'] })).status).toBe(201);
  });

  const badBodies: [string, unknown][] = [
    ['no login_hints', { claims: {} }],
    ['empty login_hints', { login_hints: [] }],
    ['login_hints not an array', { login_hints: 'bob@example.com' }],
    ['a blank login hint', { login_hints: ['   '] }],
    ['claims not an object', { login_hints: ['bob@example.com'], claims: 'Bob' }],
    ['an empty user_code', { login_hints: ['bob@example.com'], user_code: '' }],
    ['an unknown member', { login_hints: ['bob@example.com'], password: 'hunter2' }],
    ['a login hint over the bytes storage holds (300 × €)', { login_hints: ['€'.repeat(300)] }],
    ['a login hint of 600 ASCII characters', { login_hints: ['a'.repeat(600)] }],
    ['a JSON array', [{ login_hints: ['bob@example.com'] }]],
  ];
  for (const [name, body] of badBodies) {
    it(`refuses a user body with ${name} → 400 invalid_request`, async () => {
      const tenant = await createTenant();
      await expectOAuthError(await admin(`/tenants/${tenant}/users/bob`, 'PUT', body), 400, 'invalid_request');
      await expectOAuthError(await admin(`/tenants/${tenant}/users/bob`), 404, 'invalid_request');
    });
  }

  it('refuses a user body that is not JSON, and an invalid sub', async () => {
    const tenant = await createTenant();
    const res = await rawAdmin(`/tenants/${tenant}/users/bob`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: 'login_hints=bob',
    });
    await expectOAuthError(res, 400, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/users/b%20b`, 'PUT', { login_hints: ['bb@example.com'] }), 400, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/users/${'x'.repeat(256)}`), 400, 'invalid_request');
  });

  it('answers 404 for users of an unknown tenant', async () => {
    const tenant = uniqueTenantId();
    await expectOAuthError(await admin(`/tenants/${tenant}/users/bob`, 'PUT', { login_hints: ['bob@example.com'] }), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/users/bob`), 404, 'invalid_request');
  });
});
