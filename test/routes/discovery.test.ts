// Discovery (OpenID Connect Discovery 1.0 §3, CIBA §4; contract §1) and the public JWK Set.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/app.ts';
import { CIBA, ORIGIN, admin, call, createTenant, issuerOf, postForm, uniqueTenantId } from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

const WELL_KNOWN = '/.well-known/openid-configuration';
/** The client authentication methods of a ciba tenant (a fapi-ciba one lists fewer: routes/fapi-profile.test.ts). */
const METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
];

const discover = async (tenant: string) => {
  const res = await call(`/${tenant}/as${WELL_KNOWN}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};

describe('discovery document', () => {
  it('publishes exactly what is built, for a fresh tenant', async () => {
    const tenant = await createTenant();
    const issuer = issuerOf(tenant);
    expect(issuer).toBe(`https://as.example.test/${tenant}/as`);
    const res = await call(`/${tenant}/as${WELL_KNOWN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
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
      id_token_signing_alg_values_supported: ['ES256'],
      token_endpoint_auth_methods_supported: METHODS,
      token_endpoint_auth_signing_alg_values_supported: ['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'EdDSA'],
      introspection_endpoint_auth_methods_supported: METHODS,
      introspection_endpoint_auth_signing_alg_values_supported: ['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'EdDSA'],
      revocation_endpoint_auth_methods_supported: METHODS,
      revocation_endpoint_auth_signing_alg_values_supported: ['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'EdDSA'],
      tls_client_certificate_bound_access_tokens: true,
      claims_supported: [
        'iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr',
        'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile',
        'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
        'email', 'email_verified', 'phone_number', 'phone_number_verified',
      ],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      backchannel_token_delivery_modes_supported: ['poll', 'ping', 'push'],
      backchannel_user_code_parameter_supported: false,
      backchannel_authentication_request_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      backchannel_authentication_endpoint_auth_methods_supported: METHODS,
      dpop_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      backchannel_long_poll_supported: true,
      backchannel_authentication_cancel_endpoint: `${issuer}/ciba/cancel`,
    });
  });

  it('advertises no endpoint that is not built', async () => {
    const tenant = await createTenant();
    const doc = await discover(tenant);
    for (const name of [
      'authorization_endpoint',
      'registration_endpoint',
      'end_session_endpoint',
      'pushed_authorization_request_endpoint',
      'device_authorization_endpoint',
    ]) {
      expect(doc).not.toHaveProperty(name);
    }
    expect(doc.grant_types_supported).not.toContain('authorization_code');
    // Members of features a tenant has not configured are left out.
    expect(doc).not.toHaveProperty('authorization_details_types_supported');
    expect(doc).not.toHaveProperty('acr_values_supported');
    // And those paths really are absent.
    await expectOAuthError(await call(`/${tenant}/as/authorize`), 404, 'invalid_request');
    await expectOAuthError(await postForm(`/${tenant}/as/register`, { client_name: 'x' }), 404, 'invalid_request');
  });

  it('every advertised endpoint is served under the issuer', async () => {
    const tenant = await createTenant();
    const doc = await discover(tenant);
    const path = (url: unknown) => {
      const u = new URL(url as string);
      expect(u.origin).toBe(ORIGIN);
      expect(u.pathname.startsWith(`/${tenant}/as/`)).toBe(true);
      return u.pathname;
    };
    expect((await call(path(doc.jwks_uri))).status).toBe(200);
    // Client-authenticated endpoints answer 401 invalid_client (not 404) without credentials.
    await expectOAuthError(await postForm(path(doc.token_endpoint), { grant_type: CIBA, auth_req_id: 'x' }), 401, 'invalid_client');
    await expectOAuthError(
      await postForm(path(doc.backchannel_authentication_endpoint), { scope: 'openid', login_hint: 'a@example.com' }),
      401,
      'invalid_client',
    );
  });

  it('reflects the tenant settings: signing_alg, scopes, user code support', async () => {
    const tenant = await createTenant({
      signing_alg: 'PS256',
      scopes: ['openid', 'accounts', 'payments'],
      backchannel_user_code_parameter_supported: true,
    });
    const doc = await discover(tenant);
    expect(doc).toMatchObject({
      id_token_signing_alg_values_supported: ['PS256'],
      scopes_supported: ['openid', 'accounts', 'payments'],
      backchannel_user_code_parameter_supported: true,
    });
    expect((await admin(`/tenants/${tenant}`, 'PUT', { signing_alg: 'EdDSA' })).status).toBe(200);
    // Until the EdDSA key starts signing (once /jwks caches have expired), PS256 still signs.
    expect((await discover(tenant)).id_token_signing_alg_values_supported).toEqual(['EdDSA', 'PS256']);
  });

  it('answers HEAD like GET without a body', async () => {
    const tenant = await createTenant();
    const res = await call(`/${tenant}/as${WELL_KNOWN}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('answers 404 JSON for an unknown tenant', async () => {
    await expectOAuthError(await call(`/${uniqueTenantId()}/as${WELL_KNOWN}`), 404, 'invalid_request');
    await expectOAuthError(await call(`/${uniqueTenantId()}/as/jwks`), 404, 'invalid_request');
  });

  it('answers 404 JSON for an invalid tenant id', async () => {
    for (const id of ['Upper', `a${'b'.repeat(63)}`, '-dash', 'a_b', 'a%20b']) {
      await expectOAuthError(await call(`/${id}/as${WELL_KNOWN}`), 404, 'invalid_request');
      await expectOAuthError(await call(`/${id}/as/jwks`), 404, 'invalid_request');
    }
  });

  it('answers 404 for a path near discovery', async () => {
    const tenant = await createTenant();
    await expectOAuthError(await call(`/${tenant}/as/.well-known/openid-configuration/`), 404, 'invalid_request');
    await expectOAuthError(await call(`/${tenant}/as/.well-known/oauth-authorization-server`), 404, 'invalid_request');
    await expectOAuthError(await call(`/${tenant}/.well-known/openid-configuration`), 404, 'invalid_request');
  });

  it('answers POST with 405 and Allow: GET, HEAD; an unknown tenant still 404 first', async () => {
    const tenant = await createTenant();
    const res = await call(`/${tenant}/as${WELL_KNOWN}`, { method: 'POST' });
    await expectOAuthError(res, 405, 'invalid_request');
    expect(res.headers.get('Allow')).toBe('GET, HEAD');

    const put = await call(`/${tenant}/as/jwks`, { method: 'PUT' });
    await expectOAuthError(put, 405, 'invalid_request');
    expect(put.headers.get('Allow')).toBe('GET, HEAD');

    await expectOAuthError(await call(`/${uniqueTenantId()}/as${WELL_KNOWN}`, { method: 'POST' }), 404, 'invalid_request');
  });
});

describe('issuer origin', () => {
  it('follows the request origin when PUBLIC_ORIGIN is unset', async () => {
    expect(env.PUBLIC_ORIGIN ?? '').toBe('');
    const tenant = await createTenant();
    const res = await exports.default.fetch(new Request(`http://other.example.test:8787/${tenant}/as${WELL_KNOWN}`));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, string>;
    const issuer = `http://other.example.test:8787/${tenant}/as`;
    expect(doc.issuer).toBe(issuer);
    expect(doc.jwks_uri).toBe(`${issuer}/jwks`);
    expect(doc.token_endpoint).toBe(`${issuer}/token`);
    expect(doc.backchannel_authentication_endpoint).toBe(`${issuer}/cibaAuthorization`);
    // The default origin still gives its own issuer.
    expect((await discover(tenant)).issuer).toBe(issuerOf(tenant));
  });

  it('uses PUBLIC_ORIGIN when set, whatever the request origin', async () => {
    const tenant = await createTenant();
    const res = await app.fetch(new Request(`http://internal.example:9999/${tenant}/as${WELL_KNOWN}`), {
      ...env,
      PUBLIC_ORIGIN: 'https://auth.example.com/',
    });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, string>;
    expect(doc.issuer).toBe(`https://auth.example.com/${tenant}/as`);
    expect(doc.token_endpoint).toBe(`https://auth.example.com/${tenant}/as/token`);
  });
});

describe('jwks', () => {
  const shapes: [string, string[], Record<string, string>][] = [
    ['ES256', ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'], { kty: 'EC', crv: 'P-256' }],
    ['RS256', ['alg', 'e', 'kid', 'kty', 'n', 'use'], { kty: 'RSA', e: 'AQAB' }],
    ['PS256', ['alg', 'e', 'kid', 'kty', 'n', 'use'], { kty: 'RSA', e: 'AQAB' }],
    ['EdDSA', ['alg', 'crv', 'kid', 'kty', 'use', 'x'], { kty: 'OKP', crv: 'Ed25519' }],
  ];
  for (const [alg, members, fixed] of shapes) {
    it(`publishes only the public members of a ${alg} key, with kid, alg and use`, async () => {
      const tenant = await createTenant({ signing_alg: alg });
      const res = await call(`/${tenant}/as/jwks`);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toMatch(/^application\/(jwk-set\+)?json/);
      const text = await res.text();
      const body = JSON.parse(text) as { keys: Record<string, string>[] };
      expect(Object.keys(body)).toEqual(['keys']);
      expect(body.keys).toHaveLength(1);
      const key = body.keys[0]!;
      expect(Object.keys(key).sort()).toEqual(members);
      expect(key).toMatchObject({ alg, use: 'sig', ...fixed });
      const tenantView = (await (await admin(`/tenants/${tenant}`)).json()) as { signing_keys: { kid: string }[] };
      expect(key.kid).toBe(tenantView.signing_keys[0]!.kid);
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) expect(key).not.toHaveProperty(secret);
      expect(text).not.toMatch(/privateJwe|"d"/);
    });
  }

  it('serves the key set of its own tenant only', async () => {
    const a = await createTenant();
    const b = await createTenant();
    const ka = ((await (await call(`/${a}/as/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const kb = ((await (await call(`/${b}/as/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(ka).toHaveLength(1);
    expect(kb).toHaveLength(1);
    expect(ka[0]).not.toBe(kb[0]);
  });
});
