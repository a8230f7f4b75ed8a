// Admin API: tenants (contract §6): create and replace with the contract defaults and bounds, signing
// keys on a change of signing_alg, refusals that leave nothing behind, and deletion.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { tenantKey } from '../../../src/tenants/store.ts';
import { ADMIN_TOKEN, admin, backchannel, call, createTenant, setup, uniqueTenantId } from '../../helpers/api.ts';
import { B64URL, rawAdmin, bogusTokenRequest } from '../../helpers/admin.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';

describe('tenants', () => {
  it('creates a tenant with the contract defaults and one signing key (201)', async () => {
    const id = uniqueTenantId();
    const res = await admin(`/tenants/${id}`, 'PUT', {});
    expect(res.status).toBe(201);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      tenant: id,
      authenticator: { type: 'builtin' },
      auth_req_ttl: 300,
      max_auth_req_ttl: 3600,
      poll_interval: 5,
      access_token_ttl: 3600,
      id_token_ttl: 3600,
      refresh_token_ttl: 2592000,
      signing_alg: 'ES256',
      scopes: expect.arrayContaining(['openid']),
      resources: [],
      authorization_details_types_supported: [],
      backchannel_user_code_parameter_supported: false,
      trusted_hint_issuers: [],
      acr_values_supported: [],
      user_pending_limit: 3,
      user_request_limit: 10,
    });
    const keys = body.signing_keys as { kid: string; alg: string; created_at: number }[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({ kid: expect.stringMatching(B64URL), alg: 'ES256', created_at: expect.any(Number) });
    // No key material in the tenant view.
    expect(JSON.stringify(body)).not.toMatch(/"(d|x|y|n|privateJwe|publicJwk)"/);

    const jwks = (await (await call(`/${id}/as/jwks`)).json()) as { keys: { kid: string; kty: string; crv?: string; alg: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: keys[0]!.kid, kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  });

  it('replaces a tenant with 200 and keeps its key when signing_alg is unchanged', async () => {
    const id = uniqueTenantId();
    const created = (await (await admin(`/tenants/${id}`, 'PUT', {})).json()) as Record<string, any>;
    const res = await admin(`/tenants/${id}`, 'PUT', { poll_interval: 7, scopes: ['openid', 'email'] });
    expect(res.status).toBe(200);
    const replaced = (await res.json()) as Record<string, any>;
    expect(replaced).toMatchObject({ tenant: id, poll_interval: 7, scopes: ['openid', 'email'], signing_alg: 'ES256' });
    expect(replaced.signing_keys).toEqual(created.signing_keys);
    expect(replaced.created_at).toBe(created.created_at);

    const got = await admin(`/tenants/${id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(replaced);
    const jwks = (await (await call(`/${id}/as/jwks`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(1);
  });

  const algs: [string, Record<string, string>][] = [
    ['RS256', { kty: 'RSA', e: 'AQAB' }],
    ['PS256', { kty: 'RSA', e: 'AQAB' }],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ];
  for (const [alg, shape] of algs) {
    it(`adds a ${alg} key when signing_alg becomes ${alg}, and /jwks publishes it`, async () => {
      const id = await createTenant();
      const before = (await (await admin(`/tenants/${id}`)).json()) as { signing_keys: { kid: string }[] };
      const res = await admin(`/tenants/${id}`, 'PUT', { signing_alg: alg });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { signing_alg: string; signing_keys: { kid: string; alg: string }[] };
      expect(body.signing_alg).toBe(alg);
      expect(body.signing_keys).toHaveLength(2);
      expect(body.signing_keys[0]!.alg).toBe(alg);
      expect(body.signing_keys[1]!.kid).toBe(before.signing_keys[0]!.kid);

      const jwks = (await (await call(`/${id}/as/jwks`)).json()) as { keys: Record<string, string>[] };
      expect(jwks.keys.map((k) => k.kid)).toEqual(body.signing_keys.map((k) => k.kid));
      expect(jwks.keys[0]).toMatchObject({ kid: body.signing_keys[0]!.kid, alg, use: 'sig', ...shape });
      expect(jwks.keys[1]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    });
  }

  it('creates a tenant directly with a non-default signing_alg', async () => {
    const id = uniqueTenantId();
    const res = await admin(`/tenants/${id}`, 'PUT', { signing_alg: 'EdDSA' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { signing_keys: { alg: string }[] };
    expect(body.signing_keys).toEqual([expect.objectContaining({ alg: 'EdDSA' })]);
  });

  const badIds = [
    ['uppercase', 'Tenant-A'],
    ['too long (64 characters)', `a${'b'.repeat(63)}`],
    ['reserved (admin)', 'admin'],
    ['starting with a dash', '-abc'],
    ['with an underscore', 'a_b'],
  ];
  for (const [name, id] of badIds) {
    it(`refuses an invalid tenant id: ${name} → 400 invalid_request`, async () => {
      await expectOAuthError(await admin(`/tenants/${id}`, 'PUT', {}), 400, 'invalid_request');
      await expectOAuthError(await admin(`/tenants/${id}`), 400, 'invalid_request');
      await expectOAuthError(await admin(`/tenants/${id}`, 'DELETE'), 400, 'invalid_request');
    });
  }

  it('accepts a 63-character tenant id', async () => {
    const id = `a${'b'.repeat(62)}`;
    expect((await admin(`/tenants/${id}`, 'PUT', {})).status).toBe(201);
  });

  const badSettings: [string, Record<string, unknown>, string][] = [
    ['an unknown member', { colour: 'blue' }, 'colour'],
    ['a negative ttl', { access_token_ttl: -1 }, 'access_token_ttl'],
    ['a zero ttl', { poll_interval: 0 }, 'poll_interval'],
    ['a fractional ttl', { id_token_ttl: 1.5 }, 'id_token_ttl'],
    ['a ttl as a string', { refresh_token_ttl: '3600' }, 'refresh_token_ttl'],
    ['auth_req_ttl above max_auth_req_ttl', { auth_req_ttl: 7200, max_auth_req_ttl: 3600 }, 'auth_req_ttl'],
    ['scopes without openid', { scopes: ['profile', 'email'] }, 'scopes'],
    ['scopes not an array', { scopes: 'openid profile' }, 'scopes'],
    ['signing_alg HS256', { signing_alg: 'HS256' }, 'signing_alg'],
    ['signing_alg none', { signing_alg: 'none' }, 'signing_alg'],
    ['resources with a relative URI', { resources: ['/api'] }, 'resources'],
    ['backchannel_user_code_parameter_supported not a boolean', { backchannel_user_code_parameter_supported: 'yes' }, 'backchannel_user_code_parameter_supported'],
    ['an auth_req_ttl no timer can hold', { auth_req_ttl: 9000000000000, max_auth_req_ttl: 9000000000000 }, 'auth_req_ttl'],
    ['a max_auth_req_ttl over a day', { max_auth_req_ttl: 86401 }, 'max_auth_req_ttl'],
    ['a poll_interval over 5 minutes', { poll_interval: 301 }, 'poll_interval'],
    ['an access_token_ttl over a day', { access_token_ttl: 86401 }, 'access_token_ttl'],
    ['an id_token_ttl over a day', { id_token_ttl: 86401 }, 'id_token_ttl'],
    ['a refresh_token_ttl over a year', { refresh_token_ttl: 31536001 }, 'refresh_token_ttl'],
    ['a trusted hint issuer with an http jwks_uri on a public host', { trusted_hint_issuers: [{ issuer: 'https://idp.example.com', jwks_uri: 'http://idp.example.com/jwks' }] }, 'trusted_hint_issuers.0.jwks_uri'],
    ['a trusted hint issuer with an ftp jwks_uri', { trusted_hint_issuers: [{ issuer: 'https://idp.example.com', jwks_uri: 'ftp://idp.example.com/jwks' }] }, 'trusted_hint_issuers.0.jwks_uri'],
    ['a trusted hint issuer with loopback http outside development', { trusted_hint_issuers: [{ issuer: 'https://idp.example.com', jwks_uri: 'http://127.0.0.1:9000/jwks' }] }, 'trusted_hint_issuers.0.jwks_uri'],
  ];
  it('accepts every lifetime at its bound, and an https jwks_uri', async () => {
    const bounds = {
      auth_req_ttl: 86400,
      max_auth_req_ttl: 86400,
      poll_interval: 300,
      access_token_ttl: 86400,
      id_token_ttl: 86400,
      refresh_token_ttl: 31536000,
      trusted_hint_issuers: [{ issuer: 'https://idp.example.com', jwks_uri: 'https://idp.example.com/jwks' }],
    };
    const res = await admin(`/tenants/${uniqueTenantId()}`, 'PUT', bounds);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject(bounds);
  });
  for (const [name, settings, field] of badSettings) {
    it(`refuses settings with ${name} → 400 naming ${field}`, async () => {
      const id = uniqueTenantId();
      const body = await expectOAuthError(await admin(`/tenants/${id}`, 'PUT', settings), 400, 'invalid_request');
      expect(body.error_description).toContain(field);
      await expectOAuthError(await admin(`/tenants/${id}`), 404, 'invalid_request');
    });
  }

  const SECRET = `whsec_${btoa('0123456789abcdef01234567')}`;
  const hook = (extra: Record<string, unknown> = {}) => ({
    authenticator: { type: 'webhook', url: 'https://hooks.example.test/ciba', secret: SECRET, ...extra },
  });

  it('takes a webhook authenticator, stores its secret sealed and never shows it', async () => {
    const id = uniqueTenantId();
    const res = await admin(`/tenants/${id}`, 'PUT', hook());
    expect(res.status).toBe(201);
    const created = await res.text();
    expect(JSON.parse(created).authenticator).toEqual({ type: 'webhook', url: 'https://hooks.example.test/ciba' });
    const got = await (await admin(`/tenants/${id}`)).text();
    expect(JSON.parse(got).authenticator).toEqual({ type: 'webhook', url: 'https://hooks.example.test/ciba' });
    const stored = (await env.CONFIG.get(tenantKey(id)))!;
    for (const text of [created, got, stored]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SECRET.slice(6));
    }
    // A replacement may leave the secret out and keeps it; a new one replaces it.
    const kept = JSON.parse(stored).settings.authenticator.secretJwe as string;
    expect((await admin(`/tenants/${id}`, 'PUT', { authenticator: { type: 'webhook', url: 'https://hooks.example.test/v2' } })).status).toBe(200);
    expect(JSON.parse((await env.CONFIG.get(tenantKey(id)))!).settings.authenticator).toEqual({
      type: 'webhook',
      url: 'https://hooks.example.test/v2',
      secretJwe: kept,
    });
  });

  it.each([
    ['an http url outside development', hook({ url: 'http://hooks.example.test/ciba' }), 'authenticator.url'],
    ['a secret without whsec_', hook({ secret: btoa('0123456789abcdef01234567') }), 'authenticator.secret'],
    ['a secret of 8 bytes', hook({ secret: `whsec_${btoa('01234567')}` }), 'authenticator.secret'],
    ['no secret for a new webhook tenant', { authenticator: { type: 'webhook', url: 'https://hooks.example.test/ciba' } }, 'authenticator.secret'],
    ['an unknown authenticator type', { authenticator: { type: 'carrier-pigeon' } }, 'authenticator'],
    ['an unknown member', hook({ colour: 'blue' }), 'colour'],
  ])('refuses a webhook authenticator with %s → 400 naming %s', async (_name, settings, field) => {
    const id = uniqueTenantId();
    const body = await expectOAuthError(await admin(`/tenants/${id}`, 'PUT', settings), 400, 'invalid_request');
    expect(body.error_description).toContain(field);
    await expectOAuthError(await admin(`/tenants/${id}`), 404, 'invalid_request');
  });

  it('refuses a bad settings body on an existing tenant and leaves it unchanged', async () => {
    const id = await createTenant({ poll_interval: 9 });
    await expectOAuthError(await admin(`/tenants/${id}`, 'PUT', { poll_interval: -3 }), 400, 'invalid_request');
    const got = (await (await admin(`/tenants/${id}`)).json()) as { poll_interval: number };
    expect(got.poll_interval).toBe(9);
  });

  it('refuses a body that is not JSON, or not a JSON object', async () => {
    const id = uniqueTenantId();
    const put = (body: string, contentType = 'application/json') =>
      rawAdmin(`/tenants/${id}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': contentType },
        body,
      });
    await expectOAuthError(await put('{"scopes": ['), 400, 'invalid_request');
    await expectOAuthError(await put(''), 400, 'invalid_request');
    await expectOAuthError(await put('scopes=openid', 'application/x-www-form-urlencoded'), 400, 'invalid_request');
    await expectOAuthError(await put('[]'), 400, 'invalid_request');
    await expectOAuthError(await put('null'), 400, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${id}`), 404, 'invalid_request');
  });

  it('answers 404 for an unknown tenant', async () => {
    await expectOAuthError(await admin(`/tenants/${uniqueTenantId()}`), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${uniqueTenantId()}`, 'DELETE'), 404, 'invalid_request');
  });

  it('deletes a tenant (204): then the admin API and its /as/ endpoints answer 404', async () => {
    const { tenant, client } = await setup();
    expect((await call(`/${tenant}/as/.well-known/openid-configuration`)).status).toBe(200);

    const res = await admin(`/tenants/${tenant}`, 'DELETE');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');

    await expectOAuthError(await admin(`/tenants/${tenant}`), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/${client.client_id}`), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/users/alice`), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}`, 'DELETE'), 404, 'invalid_request');
    await expectOAuthError(await call(`/${tenant}/as/.well-known/openid-configuration`), 404, 'invalid_request');
    await expectOAuthError(await call(`/${tenant}/as/jwks`), 404, 'invalid_request');
    await expectOAuthError(await bogusTokenRequest(tenant, client), 404, 'invalid_request');
    await expectOAuthError(
      await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com' }),
      404,
      'invalid_request',
    );
  });

  it('re-creating a deleted tenant starts empty: new key, no old clients or users', async () => {
    const { tenant, client } = await setup();
    const oldKid = ((await (await admin(`/tenants/${tenant}`)).json()) as { signing_keys: { kid: string }[] }).signing_keys[0]!.kid;
    expect((await admin(`/tenants/${tenant}`, 'DELETE')).status).toBe(204);
    const res = await admin(`/tenants/${tenant}`, 'PUT', {});
    expect(res.status).toBe(201);
    const body = (await res.json()) as { signing_keys: { kid: string }[] };
    expect(body.signing_keys).toHaveLength(1);
    expect(body.signing_keys[0]!.kid).not.toBe(oldKid);
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/${client.client_id}`), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/users/alice`), 404, 'invalid_request');
  });
});
