// The token lifecycle (contract §4, §6; RFC 6749 §6, RFC 9700 §4.14, OpenID Connect Core §5.3,
// RFC 7662, RFC 7009): refresh tokens rotated and their reuse revoking the grant, scope narrowing,
// userinfo by scope, introspection and revocation across clients and tenants, grants that follow
// their user and tenant.
import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { clientKey as clientRecordKey } from '../../src/clients/store.ts';
import { CIBA, admin, call, createClient, createUser, postForm, tenantRef, putRecord } from '../helpers/api.ts';
import {
  ALICE,
  type Tokens,
  expectInvalidToken,
  introspect,
  isActive,
  refresh,
  refreshingSetup,
  revoke,
  tokensFor,
  userinfo,
} from '../helpers/grants.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

describe('refresh tokens', () => {
  it('are opaque, 256 bits or more, rotated on every use, with a new ID token each time', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client);
    expect(first.refresh_token).toMatch(/^[A-Za-z0-9_-]{112}$/);
    await new Promise((r) => setTimeout(r, 1100));
    const res = await refresh(tenant, client, first.refresh_token!);
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const second = (await res.json()) as Tokens;
    expect(second.refresh_token).toMatch(/^[A-Za-z0-9_-]{112}$/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    const [before, after] = [decodeJwt(first.id_token), decodeJwt(second.id_token)];
    expect(after.iat!).toBeGreaterThan(before.iat!);
    expect(after).toMatchObject({ sub: 'alice', auth_time: before.auth_time, amr: before.amr });
    // The stored grant holds hashes only.
    expect(await isActive(tenant, client, second.refresh_token!)).toBe(true);
    expect(await isActive(tenant, client, first.refresh_token!)).toBe(false);
  });

  it('a spent refresh token coming back revokes the whole grant, its access tokens included', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client, 'openid profile');
    const second = (await (await refresh(tenant, client, first.refresh_token!)).json()) as Tokens;
    expect((await userinfo(tenant, second.access_token)).status).toBe(200);
    await expectOAuthError(await refresh(tenant, client, first.refresh_token!), 400, 'invalid_grant');
    await expectOAuthError(await refresh(tenant, client, second.refresh_token!), 400, 'invalid_grant');
    expect(await isActive(tenant, client, second.access_token)).toBe(false);
    expect(await isActive(tenant, client, first.access_token)).toBe(false);
    await expectInvalidToken(await userinfo(tenant, second.access_token));
  });

  it('scope may narrow, never widen', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client, 'openid email');
    await expectOAuthError(await refresh(tenant, client, first.refresh_token!, 'openid phone'), 400, 'invalid_scope');
    // A refused widening spends nothing.
    const narrowed = (await (await refresh(tenant, client, first.refresh_token!, 'openid')).json()) as Tokens;
    expect(narrowed.scope).toBe('openid');
    expect(decodeJwt(narrowed.access_token).scope).toBe('openid');
  });

  it('only the client the grant belongs to may refresh, and another client’s try revokes nothing', async () => {
    const { tenant, client } = await refreshingSetup();
    const other = await createClient(tenant, { grant_types: [CIBA, 'refresh_token'] });
    const first = await tokensFor(tenant, client);
    await expectOAuthError(await refresh(tenant, other, first.refresh_token!), 400, 'invalid_grant');
    expect((await refresh(tenant, client, first.refresh_token!)).status).toBe(200);
  });

  it('a client without the refresh_token grant gets none, and may not use the grant', async () => {
    const { tenant } = await refreshingSetup();
    const plain = await createClient(tenant);
    const tokens = await tokensFor(tenant, plain);
    expect(tokens).not.toHaveProperty('refresh_token');
    await expectOAuthError(await refresh(tenant, plain, 'A'.repeat(64)), 400, 'unauthorized_client');
  });

  it('a malformed, forged or unknown refresh token is invalid_grant, all with one description', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client);
    const descriptions = new Set<string>();
    for (const token of ['nope', 'A'.repeat(64), first.refresh_token!.slice(0, 22) + 'B'.repeat(42)]) {
      descriptions.add((await expectOAuthError(await refresh(tenant, client, token), 400, 'invalid_grant')).error_description);
    }
    expect(descriptions.size).toBe(1);
    expect((await refresh(tenant, client, first.refresh_token!)).status).toBe(200);
  });

  it('are refused once their user is deleted, also after the sub is re-created', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client);
    expect((await admin(`/tenants/${tenant}/users/alice`, 'DELETE')).status).toBe(204);
    await createUser(tenant, 'alice', ALICE);
    await expectOAuthError(await refresh(tenant, client, first.refresh_token!), 400, 'invalid_grant');
    expect(await isActive(tenant, client, first.access_token)).toBe(false);
  });

  it('are refused once their tenant is deleted and re-created under the same id', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client);
    const record = (await env.CONFIG.get(clientRecordKey(await tenantRef(tenant), client.client_id)))!;
    expect((await admin(`/tenants/${tenant}`, 'DELETE')).status).toBe(204);
    expect((await admin(`/tenants/${tenant}`, 'PUT', {})).status).toBe(201);
    // The same client id and secret again, as the development seed does with demo-rp.
    await putRecord(clientRecordKey(await tenantRef(tenant), client.client_id), record);
    await createUser(tenant, 'alice', ALICE);
    await expectOAuthError(await refresh(tenant, client, first.refresh_token!), 400, 'invalid_grant');
    expect(await isActive(tenant, client, first.refresh_token!)).toBe(false);
  });
});

describe('userinfo', () => {
  it.each([
    ['openid', { sub: 'alice' }],
    ['openid profile', { sub: 'alice', name: 'Alice Example', given_name: 'Alice' }],
    ['openid email', { sub: 'alice', email: 'alice@example.com', email_verified: true }],
    ['openid phone', { sub: 'alice', phone_number: '+37255550001', phone_number_verified: false }],
    [
      'openid profile email phone',
      { sub: 'alice', name: 'Alice Example', given_name: 'Alice', email: 'alice@example.com', email_verified: true, phone_number: '+37255550001', phone_number_verified: false },
    ],
  ])('releases the claims of %s, never others', async (scope, expected) => {
    const { tenant, client } = await refreshingSetup();
    const { access_token } = await tokensFor(tenant, client, scope);
    const res = await userinfo(tenant, access_token);
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual(expected);
  });

  it('takes the token by GET or POST, in the header or the form, never both', async () => {
    const { tenant, client } = await refreshingSetup();
    const { access_token } = await tokensFor(tenant, client, 'openid email');
    expect((await call(`/${tenant}/as/userinfo`, { method: 'POST', headers: { Authorization: `Bearer ${access_token}` } })).status).toBe(200);
    expect((await postForm(`/${tenant}/as/userinfo`, { access_token })).status).toBe(200);
    await expectOAuthError(await postForm(`/${tenant}/as/userinfo`, { access_token }, { Authorization: `Bearer ${access_token}` }), 400, 'invalid_request');
  });

  it('refuses a missing, forged, revoked or another tenant’s token with 401 and WWW-Authenticate', async () => {
    const { tenant, client } = await refreshingSetup();
    const { access_token } = await tokensFor(tenant, client);
    await expectInvalidToken(await call(`/${tenant}/as/userinfo`));
    const [h, p] = access_token.split('.');
    await expectInvalidToken(await userinfo(tenant, `${h}.${p}.${'A'.repeat(86)}`));
    const elsewhere = await refreshingSetup();
    await expectInvalidToken(await userinfo(elsewhere.tenant, access_token));
    expect((await revoke(tenant, client, access_token)).status).toBe(200);
    await expectInvalidToken(await userinfo(tenant, access_token));
  });

  it('a refresh narrowed to a scope without openid is 403 insufficient_scope at userinfo', async () => {
    const { tenant, client } = await refreshingSetup();
    const first = await tokensFor(tenant, client, 'openid email');
    const narrowed = (await (await refresh(tenant, client, first.refresh_token!, 'email')).json()) as Tokens;
    await expectOAuthError(await userinfo(tenant, narrowed.access_token), 403, 'insufficient_scope');
  });
});

describe('introspection', () => {
  it('describes an active access token to any client of its tenant, and nothing to another tenant', async () => {
    const { tenant, client } = await refreshingSetup();
    const resourceServer = await createClient(tenant, { token_endpoint_auth_method: 'client_secret_basic' });
    const { access_token } = await tokensFor(tenant, client, 'openid email');
    for (const hint of [undefined, 'access_token', 'refresh_token']) {
      const res = await introspect(tenant, resourceServer, access_token, hint);
      expect(res.status).toBe(200);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      expect(await res.json()).toMatchObject({ active: true, token_type: 'Bearer', scope: 'openid email', client_id: client.client_id, sub: 'alice' });
    }
    const elsewhere = await refreshingSetup();
    expect(await (await introspect(elsewhere.tenant, elsewhere.client, access_token)).json()).toEqual({ active: false });
    expect(await (await introspect(tenant, client, 'not-a-token')).json()).toEqual({ active: false });
  });

  it('describes the current refresh token', async () => {
    const { tenant, client } = await refreshingSetup();
    const { refresh_token } = await tokensFor(tenant, client);
    expect(await (await introspect(tenant, client, refresh_token!, 'access_token')).json()).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: client.client_id,
      sub: 'alice',
    });
  });

  it('needs client authentication', async () => {
    const { tenant, client } = await refreshingSetup();
    const { access_token } = await tokensFor(tenant, client);
    await expectOAuthError(await postForm(`/${tenant}/as/introspect`, { token: access_token }), 401, 'invalid_client');
  });
});

describe('revocation', () => {
  it('revoking a refresh token ends the grant', async () => {
    const { tenant, client } = await refreshingSetup();
    const tokens = await tokensFor(tenant, client);
    const res = await revoke(tenant, client, tokens.refresh_token!);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(await isActive(tenant, client, tokens.access_token)).toBe(false);
    await expectOAuthError(await refresh(tenant, client, tokens.refresh_token!), 400, 'invalid_grant');
  });

  it('revoking an access token ends the grant, refresh token included', async () => {
    const { tenant, client } = await refreshingSetup();
    const tokens = await tokensFor(tenant, client);
    expect((await revoke(tenant, client, tokens.access_token)).status).toBe(200);
    await expectOAuthError(await refresh(tenant, client, tokens.refresh_token!), 400, 'invalid_grant');
  });

  it('answers 200 for unknown tokens and another client’s, and revokes nothing of the other client', async () => {
    const { tenant, client } = await refreshingSetup();
    const other = await createClient(tenant, { grant_types: [CIBA, 'refresh_token'] });
    const tokens = await tokensFor(tenant, client);
    for (const token of ['unknown', 'A'.repeat(64), tokens.access_token, tokens.refresh_token!]) {
      expect((await revoke(tenant, other, token)).status).toBe(200);
    }
    expect(await isActive(tenant, client, tokens.access_token)).toBe(true);
    expect((await refresh(tenant, client, tokens.refresh_token!)).status).toBe(200);
  });

  it('needs client authentication', async () => {
    const { tenant } = await refreshingSetup();
    await expectOAuthError(await postForm(`/${tenant}/as/revoke`, { token: 'x' }), 401, 'invalid_client');
  });
});
