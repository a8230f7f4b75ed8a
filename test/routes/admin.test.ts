// The admin API (contract §6, errors §1): the bearer guard, tenants, clients, users, keys and request
// timelines, driven through the Worker's public HTTP surface.
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  CIBA,
  admin,
  approve,
  backchannel,
  basic,
  call,
  callbackTokenFor,
  createClient,
  createTenant,
  createUser,
  issuerOf,
  poll,
  postForm,
  requestIdOf,
  setup,
  startRequest,
  uniqueTenantId,
  type TestClient,
} from '../helpers/api.ts';
import { sha256 } from '../../src/lib/crypto.ts';

const BIG_BODY = 'x'.repeat(100 * 1024);
const B64URL = /^[A-Za-z0-9_-]+$/;

/** Asserts an RFC 6749 §5.2 error body and the no-store header; returns the body. */
async function expectError(res: Response, status: number, error: string): Promise<{ error: string; error_description: string }> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
  expect(res.headers.get('Cache-Control')).toBe('no-store');
  const body = JSON.parse(text) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe('string');
  expect(body.error_description.length).toBeGreaterThan(0);
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  return body;
}

/** The Allow header's methods, sorted (their order carries no meaning). */
const allowOf = (res: Response) => (res.headers.get('Allow') ?? '').split(/\s*,\s*/).sort();

/** Sends a raw request to the admin API with the given headers. */
function rawAdmin(path: string, init: RequestInit = {}) {
  return call(`/admin${path}`, init);
}

/** A token request with a bogus auth_req_id: 400 invalid_grant once client auth passes, else 401. */
function bogusTokenRequest(tenant: string, client: TestClient, secret = client.client_secret) {
  return postForm(
    `/${tenant}/as/token`,
    { grant_type: CIBA, auth_req_id: 'not-a-real-auth-req-id' },
    { Authorization: basic({ ...client, client_secret: secret }) },
  );
}

async function expectClientAuthPasses(tenant: string, client: TestClient, secret?: string) {
  await expectError(await bogusTokenRequest(tenant, client, secret), 400, 'invalid_grant');
}

async function expectClientAuthFails(tenant: string, client: TestClient, secret?: string) {
  const res = await bogusTokenRequest(tenant, client, secret);
  await expectError(res, 401, 'invalid_client');
  expect(res.headers.get('WWW-Authenticate')).toBe(`Basic realm="${issuerOf(tenant)}"`);
}

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
      await expectError(res, 401, 'invalid_token');
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer\b/);
    });
  }

  it('accepts the auth scheme case-insensitively (RFC 7235 §2.1)', async () => {
    const tenant = await createTenant();
    const res = await rawAdmin(`/tenants/${tenant}`, { headers: { Authorization: `bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it('answers 401 before 404 on an unknown admin path', async () => {
    await expectError(await rawAdmin('/no-such-thing'), 401, 'invalid_token');
    await expectError(await rawAdmin('/no-such-thing', { headers: { Authorization: 'Bearer nope' } }), 401, 'invalid_token');
    await expectError(await rawAdmin(''), 401, 'invalid_token');
    await expectError(await rawAdmin('/tenants/no-such-tenant'), 401, 'invalid_token');
  });

  it('answers 404 for an unknown admin path once the token is right', async () => {
    await expectError(await admin('/no-such-thing'), 404, 'invalid_request');
    await expectError(await admin(''), 404, 'invalid_request');
  });

  it('answers 401 before 405 on a method the path does not take', async () => {
    const tenant = await createTenant();
    await expectError(await rawAdmin(`/tenants/${tenant}`, { method: 'POST' }), 401, 'invalid_token');
    const res = await admin(`/tenants/${tenant}`, 'POST');
    await expectError(res, 405, 'invalid_request');
    expect(allowOf(res)).toEqual(['DELETE', 'GET', 'HEAD', 'PUT']);
  });

  it('answers 401 before 413 on a 100 KiB body with a wrong token', async () => {
    const tenant = uniqueTenantId();
    const res = await rawAdmin(`/tenants/${tenant}`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer wrong-token', 'Content-Type': 'application/json' },
      body: BIG_BODY,
    });
    await expectError(res, 401, 'invalid_token');
    // Nothing was created.
    await expectError(await admin(`/tenants/${tenant}`), 404, 'invalid_request');
  });

  it('answers 413 on a 100 KiB body with the right token', async () => {
    const tenant = uniqueTenantId();
    const res = await rawAdmin(`/tenants/${tenant}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ scopes: ['openid'], padding: BIG_BODY }),
    });
    await expectError(res, 413, 'invalid_request');
  });

  it('with the right token, 404 and 405 still come before 413', async () => {
    const tenant = await createTenant();
    const big = (path: string, method: string) =>
      rawAdmin(path, {
        method,
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: BIG_BODY,
      });
    await expectError(await big('/no-such-thing', 'PUT'), 404, 'invalid_request');
    await expectError(await big(`/tenants/${tenant}/clients/no-such-client`, 'PUT'), 404, 'invalid_request');
    const res = await big(`/tenants/${tenant}`, 'POST');
    await expectError(res, 405, 'invalid_request');
    expect(allowOf(res)).toEqual(['DELETE', 'GET', 'HEAD', 'PUT']);
  });
});

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
      await expectError(await admin(`/tenants/${id}`, 'PUT', {}), 400, 'invalid_request');
      await expectError(await admin(`/tenants/${id}`), 400, 'invalid_request');
      await expectError(await admin(`/tenants/${id}`, 'DELETE'), 400, 'invalid_request');
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
      const body = await expectError(await admin(`/tenants/${id}`, 'PUT', settings), 400, 'invalid_request');
      expect(body.error_description).toContain(field);
      await expectError(await admin(`/tenants/${id}`), 404, 'invalid_request');
    });
  }

  it('refuses the webhook authenticator as not supported yet', async () => {
    const id = uniqueTenantId();
    const body = await expectError(
      await admin(`/tenants/${id}`, 'PUT', {
        authenticator: { type: 'webhook', url: 'https://hooks.example.test/ciba', secret: 'whsec_c2VjcmV0' },
      }),
      400,
      'invalid_request',
    );
    expect(body.error_description).toContain('authenticator');
    expect(body.error_description).toContain('not supported yet');
  });

  it('refuses a bad settings body on an existing tenant and leaves it unchanged', async () => {
    const id = await createTenant({ poll_interval: 9 });
    await expectError(await admin(`/tenants/${id}`, 'PUT', { poll_interval: -3 }), 400, 'invalid_request');
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
    await expectError(await put('{"scopes": ['), 400, 'invalid_request');
    await expectError(await put(''), 400, 'invalid_request');
    await expectError(await put('scopes=openid', 'application/x-www-form-urlencoded'), 400, 'invalid_request');
    await expectError(await put('[]'), 400, 'invalid_request');
    await expectError(await put('null'), 400, 'invalid_request');
    await expectError(await admin(`/tenants/${id}`), 404, 'invalid_request');
  });

  it('answers 404 for an unknown tenant', async () => {
    await expectError(await admin(`/tenants/${uniqueTenantId()}`), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${uniqueTenantId()}`, 'DELETE'), 404, 'invalid_request');
  });

  it('deletes a tenant (204): then the admin API and its /as/ endpoints answer 404', async () => {
    const { tenant, client } = await setup();
    expect((await call(`/${tenant}/as/.well-known/openid-configuration`)).status).toBe(200);

    const res = await admin(`/tenants/${tenant}`, 'DELETE');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');

    await expectError(await admin(`/tenants/${tenant}`), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/clients/${client.client_id}`), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/users/alice`), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}`, 'DELETE'), 404, 'invalid_request');
    await expectError(await call(`/${tenant}/as/.well-known/openid-configuration`), 404, 'invalid_request');
    await expectError(await call(`/${tenant}/as/jwks`), 404, 'invalid_request');
    await expectError(await bogusTokenRequest(tenant, client), 404, 'invalid_request');
    await expectError(
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
    await expectError(await admin(`/tenants/${tenant}/clients/${client.client_id}`), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/users/alice`), 404, 'invalid_request');
  });
});

describe('clients', () => {
  it('registers a client: 201, client_id, a 256-bit client_secret, no-store', async () => {
    const tenant = await createTenant();
    const res = await admin(`/tenants/${tenant}/clients`, 'POST', { client_name: 'Acme Bank' });
    expect(res.status).toBe(201);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      client_id: expect.stringMatching(/^[A-Za-z0-9._~-]+$/),
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
      client_name: 'Acme Bank',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA],
      backchannel_token_delivery_mode: 'poll',
      client_id_issued_at: expect.any(Number),
    });
    expect(Object.keys(body).filter((k) => /hash/i.test(k))).toEqual([]);
    expect(JSON.stringify(body)).not.toContain(await sha256(body.client_secret as string));
    await expectClientAuthPasses(tenant, body as unknown as TestClient);
  });

  it('issues a different client_id and secret for every client', async () => {
    const tenant = await createTenant();
    const a = await createClient(tenant);
    const b = await createClient(tenant);
    expect(a.client_id).not.toBe(b.client_id);
    expect(a.client_secret).not.toBe(b.client_secret);
  });

  it('never shows the secret or its hash on GET', async () => {
    const tenant = await createTenant();
    const client = await createClient(tenant, { client_name: 'Shown Bank' });
    const res = await admin(`/tenants/${tenant}/clients/${client.client_id}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toMatchObject({ client_id: client.client_id, client_name: 'Shown Bank', token_endpoint_auth_method: 'client_secret_basic' });
    expect(body).not.toHaveProperty('client_secret');
    expect(text).not.toContain(client.client_secret);
    expect(text).not.toContain(await sha256(client.client_secret));
    expect(Object.keys(body).filter((k) => /secret|hash/i.test(k))).toEqual([]);
  });

  it('PUT replaces the metadata (200) but not the secret', async () => {
    const tenant = await createTenant();
    const client = await createClient(tenant, { client_name: 'Before', contacts: ['ops@example.test'] });
    const res = await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', { client_name: 'After' });
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toMatchObject({ client_id: client.client_id, client_name: 'After' });
    expect(body).not.toHaveProperty('contacts');
    expect(Object.keys(body).filter((k) => /secret|hash/i.test(k))).toEqual([]);
    expect(text).not.toContain(await sha256(client.client_secret));
    expect(await (await admin(`/tenants/${tenant}/clients/${client.client_id}`)).json()).toEqual(body);
    await expectClientAuthPasses(tenant, client);
  });

  it('PUT can switch the auth method; the same secret then works only with the new method', async () => {
    const tenant = await createTenant();
    const client = await createClient(tenant);
    const res = await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', {
      token_endpoint_auth_method: 'client_secret_post',
    });
    expect(res.status).toBe(200);
    await expectClientAuthFails(tenant, client);
    const post = await postForm(`/${tenant}/as/token`, {
      grant_type: CIBA,
      auth_req_id: 'not-a-real-auth-req-id',
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    await expectError(post, 400, 'invalid_grant');
  });

  it('the old secret keeps working for a backchannel request after PUT', async () => {
    const { tenant, client } = await setup();
    expect((await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', { client_name: 'Renamed' })).status).toBe(200);
    const started = await startRequest(tenant, client);
    expect(started.auth_req_id).toMatch(B64URL);
  });

  it('POST .../secret rotates: 200 with the new secret, the old one fails with 401', async () => {
    const tenant = await createTenant();
    const client = await createClient(tenant);
    const res = await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`, 'POST');
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as { client_id: string; client_secret: string };
    expect(body).toEqual({ client_id: client.client_id, client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/) });
    expect(body.client_secret).not.toBe(client.client_secret);

    await expectClientAuthFails(tenant, client);
    await expectClientAuthPasses(tenant, client, body.client_secret);
  });

  it('answers 405 with Allow for a GET on .../secret', async () => {
    const tenant = await createTenant();
    const client = await createClient(tenant);
    const res = await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`);
    await expectError(res, 405, 'invalid_request');
    expect(res.headers.get('Allow')).toBe('POST');
  });

  it('deletes a client (204); then it is 404 and its secret fails', async () => {
    const tenant = await createTenant();
    const client = await createClient(tenant);
    const res = await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'DELETE');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectError(await admin(`/tenants/${tenant}/clients/${client.client_id}`), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'DELETE'), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', {}), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`, 'POST'), 404, 'invalid_request');
    await expectClientAuthFails(tenant, client);
  });

  it('answers 404 for an unknown client', async () => {
    const tenant = await createTenant();
    await expectError(await admin(`/tenants/${tenant}/clients/no-such-client`), 404, 'invalid_request');
  });

  it('answers 400 for a malformed client id', async () => {
    const tenant = await createTenant();
    await expectError(await admin(`/tenants/${tenant}/clients/bad%20id`), 400, 'invalid_request');
  });

  it('does not find a client through another tenant', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const client = await createClient(tenant);
    await expectError(await admin(`/tenants/${other}/clients/${client.client_id}`), 404, 'invalid_request');
    await expectClientAuthFails(other, client);
  });

  it('answers 404 for clients of an unknown tenant', async () => {
    const tenant = uniqueTenantId();
    await expectError(await admin(`/tenants/${tenant}/clients`, 'POST', {}), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/clients/abc`), 404, 'invalid_request');
  });

  const badMetadata: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown auth method', { token_endpoint_auth_method: 'magic' }, /token_endpoint_auth_method/],
    ['auth method none', { token_endpoint_auth_method: 'none' }, /token_endpoint_auth_method/],
    ['client_secret_jwt (not supported yet)', { token_endpoint_auth_method: 'client_secret_jwt' }, /token_endpoint_auth_method.*not supported yet/],
    ['private_key_jwt (not supported yet)', { token_endpoint_auth_method: 'private_key_jwt' }, /token_endpoint_auth_method.*not supported yet/],
    [
      'ping delivery (not supported yet)',
      { backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'https://rp.example.test/cb' },
      /backchannel_token_delivery_mode.*not supported yet/,
    ],
    [
      'push delivery (not supported yet)',
      { backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'https://rp.example.test/cb' },
      /backchannel_token_delivery_mode.*not supported yet/,
    ],
    ['an unknown delivery mode', { backchannel_token_delivery_mode: 'carrier-pigeon' }, /backchannel_token_delivery_mode/],
    ['the refresh_token grant (not supported yet)', { grant_types: [CIBA, 'refresh_token'] }, /grant_types.*not supported yet/],
    ['an unknown grant', { grant_types: ['authorization_code'] }, /grant_types/],
    ['grant_types not an array', { grant_types: CIBA }, /grant_types/],
    ['a client_name that is not a string', { client_name: 42 }, /client_name/],
    ['an http notification endpoint outside development', { backchannel_client_notification_endpoint: 'http://rp.example.test/cb' }, /backchannel_client_notification_endpoint/],
  ];
  for (const [name, metadata, description] of badMetadata) {
    it(`refuses client metadata with ${name} → 400 invalid_client_metadata`, async () => {
      const tenant = await createTenant();
      const body = await expectError(await admin(`/tenants/${tenant}/clients`, 'POST', metadata), 400, 'invalid_client_metadata');
      expect(body.error_description).toMatch(description);
    });
  }

  it('refuses bad metadata on PUT and keeps the client unchanged', async () => {
    const tenant = await createTenant();
    const client = await createClient(tenant, { client_name: 'Steady' });
    const body = await expectError(
      await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', { token_endpoint_auth_method: 'client_secret_jwt' }),
      400,
      'invalid_client_metadata',
    );
    expect(body.error_description).toContain('not supported yet');
    const got = (await (await admin(`/tenants/${tenant}/clients/${client.client_id}`)).json()) as Record<string, unknown>;
    expect(got).toMatchObject({ client_name: 'Steady', token_endpoint_auth_method: 'client_secret_basic' });
  });

  it('refuses a client body that is not JSON with 400 invalid_request', async () => {
    const tenant = await createTenant();
    const res = await rawAdmin(`/tenants/${tenant}/clients`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: '{not json',
    });
    await expectError(res, 400, 'invalid_request');
  });
});

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
    const taken = await expectError(
      await admin(`/tenants/${tenant}/users/mallory`, 'PUT', { login_hints: ['alice@example.com'] }),
      409,
      'invalid_request',
    );
    expect(taken.error_description).toContain('login_hints');
    await expectError(
      await admin(`/tenants/${tenant}/users/mallory`, 'PUT', { login_hints: ['mallory@example.com', 'ALICE@Example.com'] }),
      409,
      'invalid_request',
    );
    await expectError(await admin(`/tenants/${tenant}/users/mallory`), 404, 'invalid_request');
    // alice keeps her hint.
    const { client } = { client: await createClient(tenant) };
    expect((await startRequest(tenant, client)).auth_req_id).toMatch(B64URL);
  });

  it('deletes a user (204); the login hint then no longer resolves', async () => {
    const { tenant, client } = await setup();
    const res = await admin(`/tenants/${tenant}/users/alice`, 'DELETE');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectError(await admin(`/tenants/${tenant}/users/alice`), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/users/alice`, 'DELETE'), 404, 'invalid_request');
    const bc = await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com' });
    await expectError(bc, 400, 'unknown_user_id');
    // The hint is free again.
    expect((await admin(`/tenants/${tenant}/users/alice2`, 'PUT', { login_hints: ['alice@example.com'] })).status).toBe(201);
  });

  it('a login hint dropped on replacement stops resolving and becomes free', async () => {
    const { tenant, client } = await setup();
    expect((await admin(`/tenants/${tenant}/users/alice`, 'PUT', { login_hints: ['alice@new.example'] })).status).toBe(200);
    await expectError(await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com' }), 400, 'unknown_user_id');
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
      await expectError(await admin(`/tenants/${tenant}/users/bob`, 'PUT', body), 400, 'invalid_request');
      await expectError(await admin(`/tenants/${tenant}/users/bob`), 404, 'invalid_request');
    });
  }

  it('refuses a user body that is not JSON, and an invalid sub', async () => {
    const tenant = await createTenant();
    const res = await rawAdmin(`/tenants/${tenant}/users/bob`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: 'login_hints=bob',
    });
    await expectError(res, 400, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/users/b%20b`, 'PUT', { login_hints: ['bb@example.com'] }), 400, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/users/${'x'.repeat(256)}`), 400, 'invalid_request');
  });

  it('answers 404 for users of an unknown tenant', async () => {
    const tenant = uniqueTenantId();
    await expectError(await admin(`/tenants/${tenant}/users/bob`, 'PUT', { login_hints: ['bob@example.com'] }), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${tenant}/users/bob`), 404, 'invalid_request');
  });
});

describe('keys', () => {
  it('rotates: 200 {kid}; /jwks lists both keys and new tokens carry the new kid', async () => {
    const { tenant, client } = await setup();
    const oldKid = ((await (await call(`/${tenant}/as/jwks`)).json()) as { keys: { kid: string }[] }).keys[0]!.kid;

    const res = await admin(`/tenants/${tenant}/keys/rotate`, 'POST');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { kid: string };
    expect(body).toEqual({ kid: expect.stringMatching(B64URL) });
    expect(body.kid).not.toBe(oldKid);

    const jwks = (await (await call(`/${tenant}/as/jwks`)).json()) as { keys: { kid: string; alg: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([body.kid, oldKid]);
    expect(jwks.keys.every((k) => k.alg === 'ES256')).toBe(true);

    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const tokenRes = await poll(tenant, client, auth_req_id);
    expect(tokenRes.status).toBe(200);
    const tokens = (await tokenRes.json()) as { access_token: string; id_token: string };
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ kid: body.kid, alg: 'ES256', typ: 'at+jwt' });
    expect(decodeProtectedHeader(tokens.id_token)).toMatchObject({ kid: body.kid, alg: 'ES256' });
  });

  it('rotates with the tenant signing_alg', async () => {
    const tenant = await createTenant({ signing_alg: 'PS256' });
    const { kid } = (await (await admin(`/tenants/${tenant}/keys/rotate`, 'POST')).json()) as { kid: string };
    const jwks = (await (await call(`/${tenant}/as/jwks`)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys[0]).toMatchObject({ kid, alg: 'PS256', kty: 'RSA' });
    expect(jwks.keys).toHaveLength(2);
  });

  it('answers 404 for an unknown tenant and 405 for GET', async () => {
    await expectError(await admin(`/tenants/${uniqueTenantId()}/keys/rotate`, 'POST'), 404, 'invalid_request');
    const tenant = await createTenant();
    const res = await admin(`/tenants/${tenant}/keys/rotate`);
    await expectError(res, 405, 'invalid_request');
    expect(res.headers.get('Allow')).toBe('POST');
  });
});

describe('request timelines', () => {
  it('answers 400 for a malformed request id', async () => {
    const tenant = await createTenant();
    for (const id of ['short', 'x'.repeat(23), '!!!!!!!!!!!!!!!!!!!!!!']) {
      await expectError(await admin(`/tenants/${tenant}/requests/${encodeURIComponent(id)}`), 400, 'invalid_request');
    }
  });

  it('answers 400 for a full auth_req_id given as the request id (it is not one)', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    await expectError(await admin(`/tenants/${tenant}/requests/${auth_req_id}`), 400, 'invalid_request');
  });

  it('answers 404 for an unknown request id', async () => {
    const tenant = await createTenant();
    await expectError(await admin(`/tenants/${tenant}/requests/AAAAAAAAAAAAAAAAAAAAAA`), 404, 'invalid_request');
  });

  it('answers 404 for a request of another tenant, and for an unknown tenant', async () => {
    const { tenant, client } = await setup();
    const other = await createTenant();
    const requestId = requestIdOf((await startRequest(tenant, client)).auth_req_id);
    await expectError(await admin(`/tenants/${other}/requests/${requestId}`), 404, 'invalid_request');
    await expectError(await admin(`/tenants/${uniqueTenantId()}/requests/${requestId}`), 404, 'invalid_request');
  });

  it('shows a real request timeline (created, polled) with no token, secret or hash', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    const pollRes = await poll(tenant, client, auth_req_id);
    await expectError(pollRes, 400, 'authorization_pending');
    const requestId = requestIdOf(auth_req_id);
    const callbackToken = await callbackTokenFor(tenant, auth_req_id);

    const res = await admin(`/tenants/${tenant}/requests/${requestId}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { request_id: string; status: string; events: { at: string; event: string }[] };
    expect(body.request_id).toBe(requestId);
    expect(body.status).toBe('pending');
    const names = body.events.map((e) => e.event);
    expect(names).toContain('created');
    expect(names).toContain('polled');
    expect(names.indexOf('created')).toBeLessThan(names.indexOf('polled'));
    for (const e of body.events) expect(new Date(e.at).toISOString()).toBe(e.at);

    expect(text).not.toContain(auth_req_id);
    expect(text).not.toContain(auth_req_id.slice(22));
    expect(text).not.toContain(callbackToken);
    expect(text).not.toContain(callbackToken.slice(22));
    expect(text).not.toContain(await sha256(auth_req_id));
    expect(text).not.toContain(await sha256(callbackToken));
    expect(text).not.toMatch(/hash|auth_req_id|callback_token|secret/i);
  });

  it('records the approval and the redemption, still without tokens', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { access_token: string; id_token: string };
    const text = await (await admin(`/tenants/${tenant}/requests/${requestIdOf(auth_req_id)}`)).text();
    const body = JSON.parse(text) as { status: string; events: { event: string }[] };
    expect(body.status).toBe('redeemed');
    expect(body.events.map((e) => e.event)).toEqual(expect.arrayContaining(['created', 'approved', 'redeemed']));
    expect(text).not.toContain(auth_req_id.slice(22));
    expect(text).not.toContain(tokens.access_token);
    expect(text).not.toContain(tokens.id_token);
    expect(text).not.toContain(tokens.access_token.split('.')[2]!);
  });
});

describe('dev seed', () => {
  it('answers 404 outside development', async () => {
    await expectError(await admin('/dev/seed', 'POST'), 404, 'invalid_request');
    await expectError(await call('/demo/as/.well-known/openid-configuration'), 404, 'invalid_request');
  });

  it('still answers 401 first without the admin token', async () => {
    await expectError(await call('/admin/dev/seed', { method: 'POST' }), 401, 'invalid_token');
  });
});
