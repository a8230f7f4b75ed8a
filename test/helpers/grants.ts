// The token lifecycle from the client's and the resource server's side, for the tests of grants
// (routes/lifecycle.test.ts, routes/grant-standing.test.ts, routes/refresh-rotation.test.ts): a
// refreshing client and alice, tokens by approval, refresh, introspection, revocation, userinfo.
import { expect } from 'vitest';
import { CIBA, approve, basic, call, createClient, createTenant, createUser, poll, postForm, startRequest, type TestClient } from './api.ts';
import { expectOAuthError } from './oauth.ts';

export const ALICE = {
  login_hints: ['alice@example.com'],
  claims: {
    name: 'Alice Example',
    given_name: 'Alice',
    email: 'alice@example.com',
    email_verified: true,
    phone_number: '+37255550001',
    phone_number_verified: false,
    'https://bank.example/segment': 'private',
  },
};

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token: string;
  scope: string;
}

/** A tenant with alice and a client registered for the refresh_token grant. */
export async function refreshingSetup() {
  const tenant = await createTenant();
  await createUser(tenant, 'alice', ALICE);
  const client = await createClient(tenant, { grant_types: [CIBA, 'refresh_token'] });
  return { tenant, client };
}

/** The tokens of one approved request of alice's, by polling. */
export async function tokensFor(tenant: string, client: TestClient, scope = 'openid'): Promise<Tokens> {
  const { auth_req_id } = await startRequest(tenant, client, { scope });
  await approve(tenant, auth_req_id);
  const res = await poll(tenant, client, auth_req_id);
  expect(res.status).toBe(200);
  return (await res.json()) as Tokens;
}

export const refresh = (tenant: string, client: TestClient, refresh_token: string, scope?: string) =>
  postForm(`/${tenant}/as/token`, { grant_type: 'refresh_token', refresh_token, ...(scope ? { scope } : {}) }, { Authorization: basic(client) });

export const introspect = (tenant: string, client: TestClient, token: string, hint?: string) =>
  postForm(`/${tenant}/as/introspect`, { token, ...(hint ? { token_type_hint: hint } : {}) }, { Authorization: basic(client) });

export const revoke = (tenant: string, client: TestClient, token: string) =>
  postForm(`/${tenant}/as/revoke`, { token }, { Authorization: basic(client) });

export const userinfo = (tenant: string, accessToken: string) =>
  call(`/${tenant}/as/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });

/** Introspection's `active`, as `client` sees it (which must answer 200). */
export async function isActive(tenant: string, client: TestClient, token: string): Promise<boolean> {
  const res = await introspect(tenant, client, token);
  expect(res.status).toBe(200);
  return ((await res.json()) as { active: boolean }).active;
}

/** A bearer token refused (RFC 6750 §3.1): 401 invalid_token with the Bearer challenge. */
export async function expectInvalidToken(res: Response) {
  const header = res.headers.get('WWW-Authenticate');
  await expectOAuthError(res, 401, 'invalid_token');
  expect(header).toMatch(/^Bearer error="invalid_token"/);
}
