// End-to-end: the CIBA poll flow against a real `wrangler dev`, driven over HTTP the way its three
// parties would: an operator (the admin API), a relying party (openid-client, or plain fetch) and a
// user (the device page's HTML form). This file owns its wrangler process: its own port, its own
// persistence directory and its own secrets, passed with `--env-file`, which makes wrangler skip any
// `.dev.vars` a developer has in the repo (see startWrangler in ./server.ts). The parties' HTTP calls
// (admin setup, plain-fetch RP, device page) are in ./http.ts.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CIBA, decideOnDevice, rpPost, setUpTenant, startBackchannel, type Client } from './http.ts';
import { startWrangler, type Server } from './server.ts';

const TENANT = `e2e-${Date.now().toString(36)}`;
const LOGIN_HINT = 'bob@example.com';
const CLIENT_NAME = 'E2E Bank';

describe('CIBA poll flow over real HTTP against wrangler dev', () => {
  let server: Server;
  let issuer: string;
  let client: Client;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startWrangler();
    issuer = `${server.origin}/${TENANT}/as`;

    client = await setUpTenant(server.origin, TENANT, [{ id: 'bob', loginHint: LOGIN_HINT, name: 'Bob' }], CLIENT_NAME);

    config = await oidc.discovery(
      new URL(issuer),
      client.client_id,
      client.client_secret,
      oidc.ClientSecretBasic(client.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** Bob approves or denies, with app-biometrics, the request showing `bindingMessage` on his device page. */
  const decide = (bindingMessage: string, decision: 'approved' | 'denied') =>
    decideOnDevice(server.origin, TENANT, {
      loginHint: LOGIN_HINT,
      bindingMessage,
      clientName: CLIENT_NAME,
      decision,
      authenticationMethod: 'app-biometrics',
    });

  test('openid-client: backchannel request, approval on the device page, tokens by polling', async () => {
    expect(config.serverMetadata()).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/token`,
      backchannel_authentication_endpoint: `${issuer}/cibaAuthorization`,
      jwks_uri: `${issuer}/jwks`,
    });

    const started = Math.floor(Date.now() / 1000);
    const response = await oidc.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: LOGIN_HINT,
      binding_message: 'E2E 42',
    });
    expect(response).toMatchObject({ auth_req_id: expect.any(String), expires_in: 300, interval: 5 });

    await decide('E2E 42', 'approved');

    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, response);
    const finished = Math.ceil(Date.now() / 1000);
    expect(tokens.token_type).toBe('bearer'); // openid-client lowercases it
    expect(tokens.scope).toBe('openid');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.authentication_method).toBe('app-biometrics');
    expect(tokens.refresh_token).toBeUndefined(); // the client is not registered for refresh_token

    // The ID token, as openid-client validated and parsed it.
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, sub: 'bob', aud: client.client_id });
    expect(claims.auth_time).toBeGreaterThanOrEqual(started);
    expect(claims.auth_time).toBeLessThanOrEqual(finished);
    expect(claims.amr).toEqual(['swk', 'user', 'mfa']);

    // Both tokens' signatures, checked against the tenant's published keys.
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const idToken = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: client.client_id });
    expect(idToken.payload).toMatchObject({ sub: 'bob', auth_time: claims.auth_time, amr: claims.amr });
    expect(idToken.payload.exp! - idToken.payload.iat!).toBe(3600);

    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const accessToken = await jwtVerify(tokens.access_token, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
    expect(accessToken.protectedHeader.kid).toBe(idToken.protectedHeader.kid);
    expect(accessToken.payload).toMatchObject({
      iss: issuer,
      sub: 'bob',
      aud: issuer,
      client_id: client.client_id,
      scope: 'openid',
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
    });
    expect(accessToken.payload.iat).toBeGreaterThanOrEqual(started);
    expect(accessToken.payload.iat).toBeLessThanOrEqual(finished);
    expect(accessToken.payload.exp! - accessToken.payload.iat!).toBe(3600);
    expect((accessToken.payload.jti as string).length).toBeGreaterThan(0);
  });

  test('an approved grant is redeemed exactly once when 20 polls race', async () => {
    const auth_req_id = await startBackchannel(issuer, client, LOGIN_HINT, 'E2E race');

    await decide('E2E race', 'approved');

    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await rpPost(issuer, '/token', client, { grant_type: CIBA, auth_req_id });
        return { status: res.status, cacheControl: res.headers.get('cache-control'), body: res.body };
      }),
    );
    const granted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(granted, JSON.stringify(answers.map((a) => a.body))).toHaveLength(1);
    expect(granted[0]!.body).toMatchObject({
      access_token: expect.any(String),
      id_token: expect.any(String),
      token_type: 'Bearer',
      authentication_method: 'app-biometrics',
    });
    expect(refused).toHaveLength(19);
    for (const answer of refused) {
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_grant', error_description: expect.any(String) });
    }
    for (const answer of answers) expect(answer.cacheControl).toBe('no-store');
  });

  test('a denial reaches openid-client as access_denied', async () => {
    const response = await oidc.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: LOGIN_HINT,
      binding_message: 'E2E deny',
    });

    await decide('E2E deny', 'denied');

    const error = await oidc.pollBackchannelAuthenticationGrant(config, response).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(oidc.ResponseBodyError);
    expect(error).toMatchObject({ error: 'access_denied', status: 400 });
  });
});
