// The FAPI-CIBA profile at the admin API and in discovery (contract §9, docs/protocol.md §10): the
// client metadata a fapi-ciba tenant refuses (and a ciba tenant takes), the tenant's own rules, the
// switch of an existing tenant refused while a client breaks them, acr_by_method's keys, and the
// narrowed discovery document.
import { describe, expect, it } from 'vitest';
import { CIBA, admin, call, createClient, createTenant, issuerOf, uniqueTenantId } from '../helpers/api.ts';
import { clientKey } from '../helpers/assertions.ts';
import { FAPI_TENANT, changed, fapiClientMetadata } from '../helpers/fapi.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

const registerAt = (tenant: string, metadata: Record<string, unknown>) => admin(`/tenants/${tenant}/clients`, 'POST', metadata);

describe('client metadata under fapi-ciba', () => {
  // Each case breaks exactly one rule of the profile; the member the refusal must name comes first.
  const forbidden: [string, string, (m: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>][] = [
    ['push delivery', 'backchannel_token_delivery_mode', (m) =>
      changed(m, { backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'https://rp.example.com/cb', dpop_bound_access_tokens: undefined })],
    ['client_secret_basic', 'token_endpoint_auth_method', (m) =>
      changed(m, { token_endpoint_auth_method: 'client_secret_basic', token_endpoint_auth_signing_alg: undefined })],
    ['client_secret_post', 'token_endpoint_auth_method', (m) =>
      changed(m, { token_endpoint_auth_method: 'client_secret_post', token_endpoint_auth_signing_alg: undefined })],
    ['client_secret_jwt', 'token_endpoint_auth_method', (m) =>
      changed(m, { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS256' })],
    ['no sender constraint', 'dpop_bound_access_tokens', (m) => changed(m, { dpop_bound_access_tokens: undefined })],
    ['both sender constraints false', 'dpop_bound_access_tokens', (m) =>
      changed(m, { dpop_bound_access_tokens: false, tls_client_certificate_bound_access_tokens: false })],
    ['no request signing algorithm', 'backchannel_authentication_request_signing_alg', (m) =>
      changed(m, { backchannel_authentication_request_signing_alg: undefined })],
    ['an RS256 request signing algorithm', 'backchannel_authentication_request_signing_alg', (m) =>
      changed(m, { backchannel_authentication_request_signing_alg: 'RS256' })],
    ['an EdDSA request signing algorithm', 'backchannel_authentication_request_signing_alg', (m) =>
      changed(m, { backchannel_authentication_request_signing_alg: 'EdDSA' })],
    ['an RS256 client assertion algorithm', 'token_endpoint_auth_signing_alg', (m) => changed(m, { token_endpoint_auth_signing_alg: 'RS256' })],
    ['private_key_jwt without a client assertion algorithm', 'token_endpoint_auth_signing_alg', (m) =>
      changed(m, { token_endpoint_auth_signing_alg: undefined })],
    ['a key in jwks that names RS256', 'jwks', async (m) => {
      const rs = await clientKey('RS256');
      return changed(m, { jwks: { keys: [...(m.jwks as { keys: unknown[] }).keys, rs.publicJwk] } });
    }],
  ];

  for (const [name, member, make] of forbidden) {
    it(`refuses ${name} (naming ${member}) and a ciba tenant takes it`, async () => {
      const fapi = await createTenant(FAPI_TENANT);
      const ciba = await createTenant();
      const metadata = await make(await fapiClientMetadata());
      const body = await expectOAuthError(await registerAt(fapi, metadata), 400, 'invalid_client_metadata', name);
      expect(body.error_description.startsWith(member), body.error_description).toBe(true);
      expect((await registerAt(ciba, metadata)).status).toBe(201);
    });
  }

  it('takes what the profile allows: private_key_jwt with DPoP, tls_client_auth with certificate-bound tokens, ping delivery', async () => {
    const fapi = await createTenant(FAPI_TENANT);
    const good = await fapiClientMetadata();
    expect((await registerAt(fapi, good)).status).toBe(201);
    expect((await registerAt(fapi, changed(good, { token_endpoint_auth_signing_alg: 'ES256', backchannel_authentication_request_signing_alg: 'ES256' }))).status).toBe(201);
    const mtls = changed(good, {
      token_endpoint_auth_method: 'tls_client_auth',
      token_endpoint_auth_signing_alg: undefined,
      tls_client_auth_subject_dn: 'CN=rp.example.com',
      dpop_bound_access_tokens: undefined,
      tls_client_certificate_bound_access_tokens: true,
    });
    expect((await registerAt(fapi, mtls)).status).toBe(201);
    const ping = changed(good, { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'https://rp.example.com/cb' });
    expect((await registerAt(fapi, ping)).status).toBe(201);
  });

  it('refuses a replacement that breaks the profile and keeps the stored metadata', async () => {
    const fapi = await createTenant(FAPI_TENANT);
    const client = await createClient(fapi, await fapiClientMetadata());
    const path = `/tenants/${fapi}/clients/${client.client_id}`;
    const broken = changed(client, { client_id: undefined, client_id_issued_at: undefined, dpop_bound_access_tokens: undefined });
    const body = await expectOAuthError(await admin(path, 'PUT', broken), 400, 'invalid_client_metadata');
    expect(body.error_description).toMatch(/^dpop_bound_access_tokens or tls_client_certificate_bound_access_tokens:/);
    expect(await (await admin(path)).json()).toMatchObject({ dpop_bound_access_tokens: true });
  });
});

describe('the tenant under fapi-ciba', () => {
  it('must sign with PS256 or ES256', async () => {
    for (const signing_alg of ['RS256', 'EdDSA']) {
      const id = uniqueTenantId();
      const body = await expectOAuthError(await admin(`/tenants/${id}`, 'PUT', { ...FAPI_TENANT, signing_alg }), 400, 'invalid_request', signing_alg);
      expect(body.error_description).toMatch(/^signing_alg:/);
      expect((await admin(`/tenants/${id}`)).status).toBe(404);
      expect((await admin(`/tenants/${id}`, 'PUT', { signing_alg })).status).toBe(201);
    }
    expect((await admin(`/tenants/${uniqueTenantId()}`, 'PUT', { ...FAPI_TENANT, signing_alg: 'ES256' })).status).toBe(201);
  });

  it('issues access tokens for at most 600 seconds; the default 3600 is refused', async () => {
    for (const settings of [{ ...FAPI_TENANT, access_token_ttl: 601 }, { profile: 'fapi-ciba', signing_alg: 'PS256' }]) {
      const body = await expectOAuthError(await admin(`/tenants/${uniqueTenantId()}`, 'PUT', settings), 400, 'invalid_request');
      expect(body.error_description).toMatch(/^access_token_ttl:/);
    }
    const id = await createTenant(FAPI_TENANT);
    expect(await (await admin(`/tenants/${id}`)).json()).toMatchObject({ profile: 'fapi-ciba', access_token_ttl: 600 });
  });

  it('is ciba unless told otherwise', async () => {
    const id = await createTenant();
    expect(await (await admin(`/tenants/${id}`)).json()).toMatchObject({ profile: 'ciba', acr_by_method: {} });
  });
});

describe('switching an existing tenant to fapi-ciba', () => {
  it('is refused while a client breaks the profile, naming it; fixing the client lets it through', async () => {
    const tenant = await createTenant({ signing_alg: 'PS256', access_token_ttl: 600 });
    await createClient(tenant, await fapiClientMetadata());
    const secretClient = await createClient(tenant, { token_endpoint_auth_method: 'client_secret_basic' });
    const body = await expectOAuthError(await admin(`/tenants/${tenant}`, 'PUT', FAPI_TENANT), 400, 'invalid_request');
    expect(body.error_description).toContain(secretClient.client_id);
    expect(body.error_description).toContain('token_endpoint_auth_method');
    expect(await (await admin(`/tenants/${tenant}`)).json()).toMatchObject({ profile: 'ciba' });

    const fixed = await admin(`/tenants/${tenant}/clients/${secretClient.client_id}`, 'PUT', await fapiClientMetadata());
    expect(fixed.status).toBe(200);
    expect((await admin(`/tenants/${tenant}`, 'PUT', FAPI_TENANT)).status).toBe(200);
    expect(await (await admin(`/tenants/${tenant}`)).json()).toMatchObject({ profile: 'fapi-ciba' });
  });

  it('goes through once the breaking client is deleted', async () => {
    const tenant = await createTenant({ signing_alg: 'ES256', access_token_ttl: 300 });
    const pushClient = await createClient(tenant, {
      backchannel_token_delivery_mode: 'push',
      backchannel_client_notification_endpoint: 'https://rp.example.com/cb',
    });
    const body = await expectOAuthError(await admin(`/tenants/${tenant}`, 'PUT', { ...FAPI_TENANT, signing_alg: 'ES256' }), 400, 'invalid_request');
    expect(body.error_description).toContain(pushClient.client_id);
    expect((await admin(`/tenants/${tenant}/clients/${pushClient.client_id}`, 'DELETE')).status).toBe(204);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { ...FAPI_TENANT, signing_alg: 'ES256' })).status).toBe(200);
  });

  it('a tenant already under the profile is replaced without a fuss, and may leave it', async () => {
    const tenant = await createTenant(FAPI_TENANT);
    await createClient(tenant, await fapiClientMetadata());
    expect((await admin(`/tenants/${tenant}`, 'PUT', { ...FAPI_TENANT, poll_interval: 7 })).status).toBe(200);
    expect((await admin(`/tenants/${tenant}`, 'PUT', {})).status).toBe(200);
    expect(await (await admin(`/tenants/${tenant}`)).json()).toMatchObject({ profile: 'ciba' });
  });
});

describe('acr_by_method', () => {
  it('maps only the methods the device page offers', async () => {
    for (const method of ['pwd', 'SMART-ID', 'passkey-hardware', 'toString']) {
      const body = await expectOAuthError(
        await admin(`/tenants/${uniqueTenantId()}`, 'PUT', { acr_by_method: { [method]: 'urn:example:loa:2' } }),
        400,
        'invalid_request',
        method,
      );
      expect(body.error_description).toMatch(/^acr_by_method:/);
    }
    const acr_by_method = { 'app-biometrics': 'urn:example:loa:3', 'app-passcode': 'urn:example:loa:2', 'smart-id': 'urn:example:loa:3' };
    const id = await createTenant({ acr_by_method });
    expect(await (await admin(`/tenants/${id}`)).json()).toMatchObject({ acr_by_method });
  });
});

describe('discovery', () => {
  const discover = async (tenant: string) => {
    const res = await call(`/${tenant}/as/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it('lists only what FAPI-CIBA allows for a fapi-ciba tenant', async () => {
    const tenant = await createTenant(FAPI_TENANT);
    const issuer = issuerOf(tenant);
    const methods = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'];
    expect(await discover(tenant)).toEqual({
      issuer,
      jwks_uri: `${issuer}/jwks`,
      token_endpoint: `${issuer}/token`,
      backchannel_authentication_endpoint: `${issuer}/cibaAuthorization`,
      userinfo_endpoint: `${issuer}/userinfo`,
      introspection_endpoint: `${issuer}/introspect`,
      revocation_endpoint: `${issuer}/revoke`,
      scopes_supported: ['openid', 'profile', 'email', 'phone'],
      response_types_supported: [],
      grant_types_supported: [CIBA, 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['PS256'],
      token_endpoint_auth_methods_supported: methods,
      token_endpoint_auth_signing_alg_values_supported: ['PS256', 'ES256'],
      introspection_endpoint_auth_methods_supported: methods,
      introspection_endpoint_auth_signing_alg_values_supported: ['PS256', 'ES256'],
      revocation_endpoint_auth_methods_supported: methods,
      revocation_endpoint_auth_signing_alg_values_supported: ['PS256', 'ES256'],
      claims_supported: [
        'iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr',
        'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
        'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
        'email', 'email_verified', 'phone_number', 'phone_number_verified',
      ],
      tls_client_certificate_bound_access_tokens: true,
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      backchannel_token_delivery_modes_supported: ['poll', 'ping'],
      backchannel_user_code_parameter_supported: false,
      backchannel_authentication_request_signing_alg_values_supported: ['PS256', 'ES256'],
      backchannel_authentication_endpoint_auth_methods_supported: methods,
      dpop_signing_alg_values_supported: ['PS256', 'ES256'],
      backchannel_long_poll_supported: true,
      backchannel_authentication_cancel_endpoint: `${issuer}/ciba/cancel`,
    });
  });

  it('narrows a tenant as it switches, and widens it again as it leaves', async () => {
    const tenant = await createTenant({ signing_alg: 'ES256', access_token_ttl: 600 });
    const before = await discover(tenant);
    expect(before.backchannel_token_delivery_modes_supported).toEqual(['poll', 'ping', 'push']);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { ...FAPI_TENANT, signing_alg: 'ES256' })).status).toBe(200);
    expect((await discover(tenant)).backchannel_token_delivery_modes_supported).toEqual(['poll', 'ping']);
    expect((await admin(`/tenants/${tenant}`, 'PUT', { signing_alg: 'ES256', access_token_ttl: 600 })).status).toBe(200);
    expect(await discover(tenant)).toEqual(before);
  });
});
