// End-to-end: the token lifecycle with openid-client as the RP against a real `wrangler dev`: CIBA
// login, userinfo, refresh, introspection and revocation, with a planned key rotation in the middle
// that breaks nothing.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decideOnDevice, setUpTenant } from './http.ts';
import { ADMIN_TOKEN, startWrangler, type Server } from './server.ts';

const TENANT = `e2e-life-${Date.now().toString(36)}`;

describe('refresh, userinfo, introspection and revocation with openid-client, across a key rotation', () => {
  let server: Server;
  let issuer: string;
  let config: oidc.Configuration;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.origin}/admin${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    server = await startWrangler();
    issuer = `${server.origin}/${TENANT}/as`;
    await setUpTenant(server.origin, TENANT, [{ id: 'dave', loginHint: 'dave@example.com', name: 'Dave' }], 'unused');
    await admin('PUT', `/tenants/${TENANT}/users/dave`, {
      login_hints: ['dave@example.com'],
      claims: { name: 'Dave Example', email: 'dave@example.com', email_verified: true },
    });
    const client = (await admin('POST', `/tenants/${TENANT}/clients`, {
      client_name: 'E2E Lifecycle',
      grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'],
    })) as { client_id: string; client_secret: string };
    config = await oidc.discovery(new URL(issuer), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), {
      execute: [oidc.allowInsecureRequests],
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('the whole lifecycle', async () => {
    const response = await oidc.initiateBackchannelAuthentication(config, {
      scope: 'openid profile email',
      login_hint: 'dave@example.com',
      binding_message: 'E2E lifecycle',
    });
    await decideOnDevice(server.origin, TENANT, {
      loginHint: 'dave@example.com',
      bindingMessage: 'E2E lifecycle',
      clientName: 'E2E Lifecycle',
      decision: 'approved',
      authenticationMethod: 'app-passcode',
    });
    const first = await oidc.pollBackchannelAuthenticationGrant(config, response);
    expect(first.refresh_token).toEqual(expect.any(String));
    const sub = first.claims()!.sub;
    expect(await oidc.fetchUserInfo(config, first.access_token, sub)).toEqual({
      sub: 'dave',
      name: 'Dave Example',
      email: 'dave@example.com',
      email_verified: true,
    });

    // A planned rotation in the middle: the new key is published at once, signs later.
    const oldKid = decodeProtectedHeader(first.access_token).kid;
    const rotated = await admin('POST', `/tenants/${TENANT}/keys/rotate`);
    expect(rotated.immediate).toBe(false);

    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.claims()!.sub).toBe('dave');
    expect(decodeProtectedHeader(second.access_token).kid).toBe(oldKid);
    // Tokens signed before the rotation still verify through /jwks, which now lists both keys.
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    await jwtVerify(first.access_token, jwks, { issuer, typ: 'at+jwt' });
    const keys = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(keys.keys.map((k) => k.kid)).toEqual([rotated.kid, oldKid]);

    const narrowed = await oidc.refreshTokenGrant(config, second.refresh_token!, { scope: 'openid email' });
    expect(narrowed.scope).toBe('openid email');
    expect(await oidc.fetchUserInfo(config, narrowed.access_token, sub)).toEqual({
      sub: 'dave',
      email: 'dave@example.com',
      email_verified: true,
    });

    const active = await oidc.tokenIntrospection(config, narrowed.access_token);
    expect(active).toMatchObject({ active: true, sub: 'dave', scope: 'openid email', client_id: config.clientMetadata().client_id });
    expect(await oidc.tokenIntrospection(config, narrowed.refresh_token!)).toMatchObject({ active: true, token_type: 'refresh_token' });

    await oidc.tokenRevocation(config, narrowed.refresh_token!);
    expect((await oidc.tokenIntrospection(config, narrowed.access_token)).active).toBe(false);
    const refused = await oidc.refreshTokenGrant(config, narrowed.refresh_token!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ error: 'invalid_grant' });
    const userinfoRefused = await oidc.fetchUserInfo(config, narrowed.access_token, sub).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(userinfoRefused).toBeInstanceOf(Error);
  });
});
