// Helpers shared by the admin API tests (test/routes/admin/): raw admin requests, the Allow header,
// and a client-authentication probe against the token endpoint.
import { expect } from 'vitest';
import { CIBA, basic, call, issuerOf, postForm, type TestClient } from './api.ts';
import { expectOAuthError } from './oauth.ts';

/** A body over the admin API's size limit. */
export const BIG_BODY = 'x'.repeat(100 * 1024);
/** A non-empty base64url string (kids, auth_req_ids). */
export const B64URL = /^[A-Za-z0-9_-]+$/;

/** The Allow header's methods, sorted (their order carries no meaning). */
export const allowOf = (res: Response) => (res.headers.get('Allow') ?? '').split(/\s*,\s*/).sort();

/** Sends a raw request to the admin API with the given headers (no admin token unless given). */
export function rawAdmin(path: string, init: RequestInit = {}) {
  return call(`/admin${path}`, init);
}

/** A token request with a bogus auth_req_id: 400 invalid_grant once client auth passes, else 401. */
export function bogusTokenRequest(tenant: string, client: TestClient, secret = client.client_secret) {
  return postForm(
    `/${tenant}/as/token`,
    { grant_type: CIBA, auth_req_id: 'not-a-real-auth-req-id' },
    { Authorization: basic({ ...client, client_secret: secret }) },
  );
}

/** The client (with `secret`, by default its own) authenticates at the token endpoint. */
export async function expectClientAuthPasses(tenant: string, client: TestClient, secret?: string) {
  await expectOAuthError(await bogusTokenRequest(tenant, client, secret), 400, 'invalid_grant');
}

/** The client (with `secret`, by default its own) is refused at the token endpoint: 401 with the Basic challenge. */
export async function expectClientAuthFails(tenant: string, client: TestClient, secret?: string) {
  const res = await bogusTokenRequest(tenant, client, secret);
  await expectOAuthError(res, 401, 'invalid_client');
  expect(res.headers.get('WWW-Authenticate')).toBe(`Basic realm="${issuerOf(tenant)}"`);
}
