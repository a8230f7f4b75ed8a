// A grant stands only while its user and its client do (RFC 7662 §2.2, OpenID Connect Core §5.3.3,
// docs/storage.md incarnations): once either is deleted, or re-created under the same sub or
// client_id, introspection answers `{"active": false}` for its access and refresh tokens, userinfo
// refuses them and nothing refreshes. Introspection and userinfo apply one rule (grants/standing.ts).
import { env } from 'cloudflare:workers';
import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/app.ts';
import { ADMIN_TOKEN, admin, createClient, createUser, type TestClient } from '../helpers/api.ts';
import {
  ALICE,
  expectInvalidToken,
  introspect,
  refresh,
  refreshingSetup,
  tokensFor,
  userinfo,
} from '../helpers/grants.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

/** Introspection's whole answer, as `client` sees it (which must answer 200). */
async function introspection(tenant: string, client: TestClient, token: string): Promise<Record<string, unknown>> {
  const res = await introspect(tenant, client, token);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** Both tokens active before, as a resource server (another client of the tenant) sees them. */
async function expectBothActive(tenant: string, resourceServer: TestClient, tokens: { access_token: string; refresh_token?: string }) {
  expect(await introspection(tenant, resourceServer, tokens.access_token)).toMatchObject({ active: true, token_type: 'Bearer' });
  expect(await introspection(tenant, resourceServer, tokens.refresh_token!)).toMatchObject({ active: true, token_type: 'refresh_token' });
}

async function expectBothInactive(tenant: string, resourceServer: TestClient, tokens: { access_token: string; refresh_token?: string }) {
  expect(await introspection(tenant, resourceServer, tokens.access_token)).toEqual({ active: false });
  expect(await introspection(tenant, resourceServer, tokens.refresh_token!)).toEqual({ active: false });
}

describe('a deleted user', () => {
  it('has its access and refresh tokens introspect as inactive, as userinfo refuses them; also after the sub is re-created', async () => {
    const { tenant, client } = await refreshingSetup();
    const resourceServer = await createClient(tenant);
    const tokens = await tokensFor(tenant, client, 'openid profile');
    await expectBothActive(tenant, resourceServer, tokens);
    expect((await userinfo(tenant, tokens.access_token)).status).toBe(200);

    expect((await admin(`/tenants/${tenant}/users/alice`, 'DELETE')).status).toBe(204);
    await expectBothInactive(tenant, resourceServer, tokens);
    await expectBothInactive(tenant, client, tokens);
    await expectInvalidToken(await userinfo(tenant, tokens.access_token));

    await createUser(tenant, 'alice', ALICE);
    await expectBothInactive(tenant, resourceServer, tokens);
    await expectInvalidToken(await userinfo(tenant, tokens.access_token));
  });
});

describe('a deleted client', () => {
  it('has its access and refresh tokens introspect as inactive to the tenant’s other clients, and refused at userinfo and refresh', async () => {
    const { tenant, client } = await refreshingSetup();
    const resourceServer = await createClient(tenant);
    const tokens = await tokensFor(tenant, client, 'openid profile');
    await expectBothActive(tenant, resourceServer, tokens);
    expect((await userinfo(tenant, tokens.access_token)).status).toBe(200);

    expect((await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'DELETE')).status).toBe(204);
    await expectBothInactive(tenant, resourceServer, tokens);
    await expectInvalidToken(await userinfo(tenant, tokens.access_token));
    // The refresh grant never gets past client authentication.
    await expectOAuthError(await refresh(tenant, client, tokens.refresh_token!), 401, 'invalid_client');
  });

  it('registered again under the same client_id and secret (the development seed’s demo-rp) inherits no grant', async () => {
    const development = { ...env, ENVIRONMENT: 'development' };
    const seed = () =>
      app.fetch(
        new Request('http://localhost:8787/admin/dev/seed', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }),
        development,
        createExecutionContext(),
      );
    expect((await seed()).status).toBe(200);
    const demo: TestClient = { client_id: 'demo-rp', client_secret: 'demo-secret' };
    const resourceServer = await createClient('demo');
    const tokens = await tokensFor('demo', demo);
    await expectBothActive('demo', resourceServer, tokens);

    expect((await admin('/tenants/demo/clients/demo-rp', 'DELETE')).status).toBe(204);
    expect(await (await seed()).json()).toEqual({ created: ['client demo-rp'] });
    await expectBothInactive('demo', resourceServer, tokens);
    await expectBothInactive('demo', demo, tokens);
    await expectInvalidToken(await userinfo('demo', tokens.access_token));
    await expectOAuthError(await refresh('demo', demo, tokens.refresh_token!), 400, 'invalid_grant');
    // The new demo-rp's own grants work.
    const fresh = await tokensFor('demo', demo);
    await expectBothActive('demo', resourceServer, fresh);
    expect((await refresh('demo', demo, fresh.refresh_token!)).status).toBe(200);
  });
});
