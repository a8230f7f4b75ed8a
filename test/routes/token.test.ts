// POST /{tenant}/as/token with the CIBA grant (contract §4): every state's answer, the interval
// rule, exactly-once redemption and the tokens themselves.
import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { authRequestStub } from '../../src/ciba/auth-req-id.ts';
import { STATE_KEY } from '../../src/ciba/auth-request.ts';
import type { AuthRequestState } from '../../src/ciba/state.ts';
import { clientKey } from '../../src/clients/store.ts';
import {
  CIBA,
  admin,
  approve,
  basic,
  call,
  callback,
  callbackTokenFor,
  createClient,
  createUser,
  issuerOf,
  poll,
  postForm,
  requestIdOf,
  setup,
  startRequest,
  type TestClient,
  tenantRef,
  putRecord,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

let tenant: string;
let client: TestClient;
beforeAll(async () => {
  ({ tenant, client } = await setup());
});

/**
 * Moves a request's clock: its last poll and expiry shift `ms` into the past. The object is then
 * evicted, so it reads the rewritten state instead of the one it holds in memory.
 */
async function age(authReqId: string, ms: number) {
  const stub = authRequestStub(env, await tenantRef(tenant), requestIdOf(authReqId));
  await runInDurableObject(stub, (_i, s) => {
    const st = s.storage.kv.get<AuthRequestState>(STATE_KEY)!;
    s.storage.kv.put(STATE_KEY, {
      ...st,
      expiresAt: st.expiresAt - ms,
      ...(st.lastPollAt !== undefined ? { lastPollAt: st.lastPollAt - ms } : {}),
    });
  });
  await evictDurableObject(stub);
}

describe('while pending', () => {
  it('first poll is authorization_pending, a fast one slow_down growing the interval by 5 s', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
    const body = await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'slow_down');
    expect(body.error_description).toContain('10 seconds');
    // The slow_down itself counts as the last poll, and the interval is now 10 s.
    await age(auth_req_id, 9_000);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'slow_down');
    await age(auth_req_id, 15_000);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
  });

  it('a decided request answers at once, however soon after the last poll', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    await poll(tenant, client, auth_req_id);
    await approve(tenant, auth_req_id);
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
  });
});

describe('decided and expired requests', () => {
  it('denied: access_denied on every poll until it expires, then expired_token', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    expect((await callback(tenant, await callbackTokenFor(tenant, auth_req_id), { status: 'denied' })).status).toBe(204);
    for (let i = 0; i < 3; i++) await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'access_denied');
    await age(auth_req_id, 300_000);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'expired_token');
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'expired_token');
  });

  it('past expiry: expired_token, even when it had been approved', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    await age(auth_req_id, 300_000);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'expired_token');
  });

  it('unknown, malformed, forged, another client’s and redeemed auth_req_ids are invalid_grant', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const other = await createClient(tenant);
    const forged = auth_req_id.slice(0, 22) + 'A'.repeat(32);
    for (const id of ['nope', 'A'.repeat(54), forged]) {
      await expectOAuthError(await poll(tenant, client, id), 400, 'invalid_grant', id);
    }
    await expectOAuthError(await poll(tenant, other, auth_req_id), 400, 'invalid_grant');
    // Another tenant's poll reaches another Durable Object altogether.
    const elsewhere = await setup();
    await expectOAuthError(await poll(elsewhere.tenant, elsewhere.client, auth_req_id), 400, 'invalid_grant');
    await approve(tenant, auth_req_id);
    // The other client's attempt did not disturb the owner.
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'invalid_grant');
  });
});

describe('invalid_grant reveals nothing', () => {
  it('an unknown auth_req_id and another client’s answer with the same description', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const other = await createClient(tenant);
    const descriptionOf = async (res: Response) => (await expectOAuthError(res, 400, 'invalid_grant')).error_description;
    const theirs = await descriptionOf(await poll(tenant, other, auth_req_id));
    const unknown = await descriptionOf(await poll(tenant, other, auth_req_id.slice(0, 22) + 'B'.repeat(32)));
    const neverIssued = await descriptionOf(await poll(tenant, other, 'A'.repeat(54)));
    const malformed = await descriptionOf(await poll(tenant, other, 'nope'));
    expect(new Set([theirs, unknown, neverIssued, malformed]).size).toBe(1);
  });
});

describe('request state does not outlive its user or its tenant', () => {
  it('a request approved for a user who is then deleted yields no tokens, nor after the sub is re-created', async () => {
    const t = await setup();
    const first = await startRequest(t.tenant, t.client);
    const second = await startRequest(t.tenant, t.client);
    await approve(t.tenant, first.auth_req_id);
    await approve(t.tenant, second.auth_req_id);
    expect((await admin(`/tenants/${t.tenant}/users/alice`, 'DELETE')).status).toBe(204);
    await expectOAuthError(await poll(t.tenant, t.client, first.auth_req_id), 400, 'invalid_grant');
    await createUser(t.tenant);
    await expectOAuthError(await poll(t.tenant, t.client, second.auth_req_id), 400, 'invalid_grant');
    // The new alice's own requests work.
    const fresh = await startRequest(t.tenant, t.client);
    await approve(t.tenant, fresh.auth_req_id);
    expect((await poll(t.tenant, t.client, fresh.auth_req_id)).status).toBe(200);
  });

  it('replacing a user keeps their requests', async () => {
    const t = await setup();
    const { auth_req_id } = await startRequest(t.tenant, t.client);
    await approve(t.tenant, auth_req_id);
    await createUser(t.tenant, 'alice', { login_hints: ['alice@example.com', 'alice@new.example'], claims: {} });
    expect((await poll(t.tenant, t.client, auth_req_id)).status).toBe(200);
  });

  it('a tenant deleted and re-created under the same id honours nothing of the old one', async () => {
    const t = await setup();
    const approved = await startRequest(t.tenant, t.client);
    const pending = await startRequest(t.tenant, t.client);
    await approve(t.tenant, approved.auth_req_id);
    const callbackToken = await callbackTokenFor(t.tenant, pending.auth_req_id);
    const clientRecord = await env.CONFIG.get(clientKey(await tenantRef(t.tenant), t.client.client_id));

    expect((await admin(`/tenants/${t.tenant}`, 'DELETE')).status).toBe(204);
    expect((await admin(`/tenants/${t.tenant}`, 'PUT', {})).status).toBe(201);
    // The same client id and secret again, as the development seed does with demo-rp.
    await putRecord(clientKey(await tenantRef(t.tenant), t.client.client_id), clientRecord!);
    await createUser(t.tenant);

    for (const { auth_req_id } of [approved, pending]) {
      await expectOAuthError(await poll(t.tenant, t.client, auth_req_id), 400, 'invalid_grant');
      await expectOAuthError(await admin(`/tenants/${t.tenant}/requests/${requestIdOf(auth_req_id)}`), 404, 'invalid_request');
    }
    const res = await callback(t.tenant, callbackToken, { status: 'approved', authentication_method: 'smart-id' });
    await expectOAuthError(res, 401, 'invalid_token');
  });
});

describe('request errors', () => {
  it.each([
    ['no grant_type', {}, 'invalid_request'],
    ['unknown grant_type', { grant_type: 'password' }, 'unsupported_grant_type'],
    ['refresh_token for a client without the refresh_token grant', { grant_type: 'refresh_token', refresh_token: 'x' }, 'unauthorized_client'],
    ['no auth_req_id', { grant_type: CIBA }, 'invalid_request'],
  ])('%s → %s', async (_name, params, error) => {
    const res = await postForm(`/${tenant}/as/token`, params, { Authorization: basic(client) });
    await expectOAuthError(res, 400, error);
  });

  it('a repeated auth_req_id is invalid_request', async () => {
    const res = await postForm(
      `/${tenant}/as/token`,
      new URLSearchParams([['grant_type', CIBA], ['auth_req_id', 'a'], ['auth_req_id', 'b']]),
      { Authorization: basic(client) },
    );
    await expectOAuthError(res, 400, 'invalid_request');
  });

  it('client authentication comes first', async () => {
    const res = await postForm(`/${tenant}/as/token`, { grant_type: 'password' });
    await expectOAuthError(res, 401, 'invalid_client');
    expect(res.headers.get('WWW-Authenticate')).toBe(`Basic realm="${issuerOf(tenant)}"`);
  });
});

describe('approved', () => {
  it('issues an RFC 9068 access token and an ID token exactly once', async () => {
    const { auth_req_id } = await startRequest(tenant, client, { scope: 'openid email' });
    await approve(tenant, auth_req_id, { authentication_method: 'mobile-id', acr: 'urn:example:high' });
    const res = await poll(tenant, client, auth_req_id);
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ['access_token', 'authentication_method', 'expires_in', 'id_token', 'scope', 'token_type'].sort(),
    );
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid email', authentication_method: 'mobile-id' });

    const jwks = createLocalJWKSet(await (await call(`/${tenant}/as/jwks`)).json());
    const issuer = issuerOf(tenant);
    const at = await jwtVerify(body.access_token as string, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
    expect(decodeProtectedHeader(body.access_token as string).alg).toBe('ES256');
    expect(at.payload).toMatchObject({ sub: 'alice', client_id: client.client_id, scope: 'openid email', acr: 'urn:example:high' });
    expect(at.payload.jti).toEqual(expect.any(String));
    expect(at.payload.exp! - at.payload.iat!).toBe(3600);

    const id = await jwtVerify(body.id_token as string, jwks, { issuer, audience: client.client_id });
    expect(id.payload).toMatchObject({ sub: 'alice', acr: 'urn:example:high', amr: ['hwk', 'pin', 'mfa'] });
    for (const claim of ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time']) expect(id.payload).toHaveProperty(claim);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'invalid_grant');
  });

  it('passes the reported amr and auth_time through; no acr when none was reported', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id, { authentication_method: 'app-passcode', amr: ['pin'], auth_time: 1_700_000_000 });
    const body = (await (await poll(tenant, client, auth_req_id)).json()) as { id_token: string };
    const jwks = createLocalJWKSet(await (await call(`/${tenant}/as/jwks`)).json());
    const { payload } = await jwtVerify(body.id_token, jwks, { issuer: issuerOf(tenant) });
    expect(payload.amr).toEqual(['pin']);
    expect(payload.auth_time).toBe(1_700_000_000);
    expect(payload).not.toHaveProperty('acr');
  });

  it('twenty concurrent polls give exactly one 200 and nineteen invalid_grant', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const responses = await Promise.all(Array.from({ length: 20 }, () => poll(tenant, client, auth_req_id)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    const refused = responses.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(19);
    for (const res of refused) await expectOAuthError(res, 400, 'invalid_grant');
  });

  it('access and ID tokens live as long as the tenant says (FAPI: access tokens under 10 minutes)', async () => {
    const t = await setup({ access_token_ttl: 600, id_token_ttl: 300 });
    const { auth_req_id } = await startRequest(t.tenant, t.client);
    await approve(t.tenant, auth_req_id);
    const body = (await (await poll(t.tenant, t.client, auth_req_id)).json()) as { access_token: string; id_token: string; expires_in: number };
    expect(body.expires_in).toBe(600);
    const access = decodeJwt(body.access_token);
    expect(access.exp! - access.iat!).toBe(600);
    const id = decodeJwt(body.id_token);
    expect(id.exp! - id.iat!).toBe(300);
  });

  it('signs with the tenant’s algorithm', async () => {
    for (const alg of ['RS256', 'PS256', 'EdDSA']) {
      const t = await setup({ signing_alg: alg });
      const { auth_req_id } = await startRequest(t.tenant, t.client);
      const token = await callbackTokenFor(t.tenant, auth_req_id);
      expect((await callback(t.tenant, token, { status: 'approved', authentication_method: 'smart-id' })).status).toBe(204);
      const body = (await (await poll(t.tenant, t.client, auth_req_id)).json()) as { id_token: string };
      expect(decodeProtectedHeader(body.id_token).alg).toBe(alg);
      const jwks = createLocalJWKSet(await (await call(`/${t.tenant}/as/jwks`)).json());
      await expect(jwtVerify(body.id_token, jwks, { issuer: issuerOf(t.tenant) })).resolves.toBeTruthy();
    }
  });
});

describe('clients that may not use the grant', () => {
  it('a client without the CIBA grant gets unauthorized_client at both endpoints', async () => {
    const none = await createClient(tenant, { grant_types: [] });
    const res = await postForm(`/${tenant}/as/cibaAuthorization`, { scope: 'openid', login_hint: 'alice@example.com' }, { Authorization: basic(none) });
    await expectOAuthError(res, 400, 'unauthorized_client');
    await expectOAuthError(await poll(tenant, none, 'A'.repeat(54)), 400, 'unauthorized_client');
  });
});
