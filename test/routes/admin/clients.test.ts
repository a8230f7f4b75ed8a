// Admin API: clients (contract §6, §2): registration with a 256-bit secret shown once and stored hashed,
// metadata validation (invalid_client_metadata), secret rotation and deletion.
import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  CIBA,
  admin,
  createClient,
  createTenant,
  postForm,
  setup,
  startRequest,
  uniqueTenantId,
  type TestClient,
} from '../../helpers/api.ts';
import { B64URL, rawAdmin, expectClientAuthPasses, expectClientAuthFails } from '../../helpers/admin.ts';
import { expectOAuthError } from '../../helpers/oauth.ts';
import { sha256 } from '../../../src/lib/crypto.ts';

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
    await expectOAuthError(post, 400, 'invalid_grant');
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
    await expectOAuthError(res, 405, 'invalid_request');
    expect(res.headers.get('Allow')).toBe('POST');
  });

  it('deletes a client (204); then it is 404 and its secret fails', async () => {
    const tenant = await createTenant();
    const client = await createClient(tenant);
    const res = await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'DELETE');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/${client.client_id}`), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'DELETE'), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', {}), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`, 'POST'), 404, 'invalid_request');
    await expectClientAuthFails(tenant, client);
  });

  it('answers 404 for an unknown client', async () => {
    const tenant = await createTenant();
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/no-such-client`), 404, 'invalid_request');
  });

  it('answers 400 for a malformed client id', async () => {
    const tenant = await createTenant();
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/bad%20id`), 400, 'invalid_request');
  });

  it('does not find a client through another tenant', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const client = await createClient(tenant);
    await expectOAuthError(await admin(`/tenants/${other}/clients/${client.client_id}`), 404, 'invalid_request');
    await expectClientAuthFails(other, client);
  });

  it('answers 404 for clients of an unknown tenant', async () => {
    const tenant = uniqueTenantId();
    await expectOAuthError(await admin(`/tenants/${tenant}/clients`, 'POST', {}), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/abc`), 404, 'invalid_request');
  });

  const badMetadata: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown auth method', { token_endpoint_auth_method: 'magic' }, /token_endpoint_auth_method/],
    ['auth method none', { token_endpoint_auth_method: 'none' }, /token_endpoint_auth_method/],
    ['private_key_jwt without keys', { token_endpoint_auth_method: 'private_key_jwt' }, /jwks or jwks_uri: required/],
    ['private_key_jwt with an HMAC algorithm', { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'HS256', jwks_uri: 'https://rp.example.test/jwks' }, /token_endpoint_auth_signing_alg/],
    ['private_key_jwt with alg none', { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'none', jwks_uri: 'https://rp.example.test/jwks' }, /token_endpoint_auth_signing_alg/],
    ['both jwks and jwks_uri', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://rp.example.test/jwks', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } }, /jwks and jwks_uri/],
    ['a private key in jwks', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret' }] } }, /jwks/],
    ['a symmetric key in jwks', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /jwks/],
    ['an http jwks_uri outside development', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://rp.example.test/jwks' }, /jwks_uri/],
    ['keys for a secret method', { token_endpoint_auth_method: 'client_secret_basic', jwks_uri: 'https://rp.example.test/jwks' }, /jwks and jwks_uri: not used/],
    ['keys for client_secret_jwt', { token_endpoint_auth_method: 'client_secret_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } }, /jwks and jwks_uri: not used/],
    ['client_secret_jwt with an asymmetric algorithm', { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'RS256' }, /token_endpoint_auth_signing_alg/],
    ['an algorithm for client_secret_basic', { token_endpoint_auth_method: 'client_secret_basic', token_endpoint_auth_signing_alg: 'HS256' }, /token_endpoint_auth_signing_alg/],
    ['ping delivery without a notification endpoint', { backchannel_token_delivery_mode: 'ping' }, /backchannel_client_notification_endpoint.*required/],
    ['push delivery without a notification endpoint', { backchannel_token_delivery_mode: 'push' }, /backchannel_client_notification_endpoint.*required/],
    [
      'push delivery to an http endpoint outside development',
      { backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: 'http://rp.example.test/cb' },
      /backchannel_client_notification_endpoint/,
    ],
    ['an unknown delivery mode', { backchannel_token_delivery_mode: 'carrier-pigeon' }, /backchannel_token_delivery_mode/],
    ['the password grant', { grant_types: [CIBA, 'password'] }, /grant_types: password is not supported/],
    ['an unknown grant', { grant_types: ['authorization_code'] }, /grant_types/],
    ['grant_types not an array', { grant_types: CIBA }, /grant_types/],
    ['a client_name that is not a string', { client_name: 42 }, /client_name/],
    ['an http notification endpoint outside development', { backchannel_client_notification_endpoint: 'http://rp.example.test/cb' }, /backchannel_client_notification_endpoint/],
  ];
  for (const [name, metadata, description] of badMetadata) {
    it(`refuses client metadata with ${name} → 400 invalid_client_metadata`, async () => {
      const tenant = await createTenant();
      const body = await expectOAuthError(await admin(`/tenants/${tenant}/clients`, 'POST', metadata), 400, 'invalid_client_metadata');
      expect(body.error_description).toMatch(description);
    });
  }

  it('refuses bad metadata on PUT and keeps the client unchanged', async () => {
    const tenant = await createTenant();
    const client = await createClient(tenant, { client_name: 'Steady' });
    const body = await expectOAuthError(
      await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', { token_endpoint_auth_method: 'private_key_jwt' }),
      400,
      'invalid_client_metadata',
    );
    expect(body.error_description).toContain('jwks or jwks_uri');
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
    await expectOAuthError(res, 400, 'invalid_request');
  });
});
