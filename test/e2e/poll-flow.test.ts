// End-to-end: the CIBA poll flow against a real `wrangler dev`, driven over HTTP the way its three
// parties would: an operator (the admin API), a relying party (openid-client, or plain fetch) and a
// user (the device page's HTML form). This file owns its wrangler process: its own port, its own
// persistence directory and its own secrets, passed with `--env-file`, which makes wrangler skip any
// `.dev.vars` a developer has in the repo (see startWrangler in ./server.ts).
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, startWrangler, type Server } from './server.ts';

const CIBA = 'urn:openid:params:grant-type:ciba';

// ---------------------------------------------------------------------------------------------
// The three parties
// ---------------------------------------------------------------------------------------------

/** The operator: a JSON call to the admin API that must answer `status`. */
async function adminCall(origin: string, method: string, path: string, body: unknown, status: number) {
  const res = await fetch(`${origin}/admin${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${method} /admin${path}: ${text}`).toBe(status);
  return JSON.parse(text) as Record<string, unknown>;
}

/** RFC 6749 §2.3.1 Basic credentials (each part form-urlencoded first). */
function basicAuth(clientId: string, clientSecret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}

/** The RP without a library: a form POST to an endpoint under the issuer with Basic auth. */
function rpPost(issuer: string, endpoint: string, client: Client, params: Record<string, string>) {
  return fetch(`${issuer}${endpoint}`, {
    method: 'POST',
    headers: {
      Authorization: basicAuth(client.client_id, client.client_secret),
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params),
  });
}

/**
 * The user: opens the device page, finds the request showing `bindingMessage`, checks what it shows,
 * and submits its form with `decision` as the browser would (the chosen button's name and value).
 */
async function decideOnDevice(
  origin: string,
  tenant: string,
  loginHint: string,
  expected: { clientName: string; bindingMessage: string },
  decision: 'approved' | 'denied',
): Promise<void> {
  const pageUrl = `${origin}/${tenant}/device?login_hint=${encodeURIComponent(loginHint)}`;
  const page = await fetch(pageUrl);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await page.text();
  const card = html
    .split('<section class="request"')
    .slice(1)
    .find((section) => section.includes(expected.bindingMessage));
  expect(card, `no pending request showing "${expected.bindingMessage}" on the device page:\n${html}`).toBeDefined();
  expect(card).toContain(expected.clientName);
  const requestId = /<input type="hidden" name="request_id" value="([^"]+)">/.exec(card!)?.[1];
  expect(requestId).toMatch(/^[A-Za-z0-9_-]+$/);

  const res = await fetch(`${origin}/${tenant}/device`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      login_hint: loginHint,
      request_id: requestId!,
      authentication_method: 'app-biometrics',
      decision,
    }),
    redirect: 'manual',
  });
  expect(res.status, await res.clone().text()).toBe(303);
  const location = new URL(res.headers.get('location')!, origin);
  expect(location.pathname).toBe(`/${tenant}/device`);
  expect(location.searchParams.get('done')).toBe(decision);
  await res.body?.cancel();

  // Back on the page: the notice shows and the request is no longer pending.
  const after = await (await fetch(location)).text();
  expect(after).toContain(`Request ${decision}.`);
  expect(after).not.toContain(requestId!);
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

interface Client {
  client_id: string;
  client_secret: string;
}

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

    await adminCall(server.origin, 'PUT', `/tenants/${TENANT}`, {}, 201);
    await adminCall(
      server.origin,
      'PUT',
      `/tenants/${TENANT}/users/bob`,
      { login_hints: [LOGIN_HINT], claims: { name: 'Bob' } },
      201,
    );
    const created = await adminCall(
      server.origin,
      'POST',
      `/tenants/${TENANT}/clients`,
      { client_name: CLIENT_NAME, token_endpoint_auth_method: 'client_secret_basic' },
      201,
    );
    expect(created).toMatchObject({ client_id: expect.any(String), client_secret: expect.any(String) });
    client = { client_id: created.client_id as string, client_secret: created.client_secret as string };

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

    await decideOnDevice(
      server.origin,
      TENANT,
      LOGIN_HINT,
      { clientName: CLIENT_NAME, bindingMessage: 'E2E 42' },
      'approved',
    );

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
    const start = await rpPost(issuer, '/cibaAuthorization', client, {
      scope: 'openid',
      login_hint: LOGIN_HINT,
      binding_message: 'E2E race',
    });
    expect(start.status).toBe(200);
    const { auth_req_id } = (await start.json()) as { auth_req_id: string };

    await decideOnDevice(
      server.origin,
      TENANT,
      LOGIN_HINT,
      { clientName: CLIENT_NAME, bindingMessage: 'E2E race' },
      'approved',
    );

    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await rpPost(issuer, '/token', client, { grant_type: CIBA, auth_req_id });
        return { status: res.status, cacheControl: res.headers.get('cache-control'), body: await res.json() };
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

    await decideOnDevice(
      server.origin,
      TENANT,
      LOGIN_HINT,
      { clientName: CLIENT_NAME, bindingMessage: 'E2E deny' },
      'denied',
    );

    const error = await oidc.pollBackchannelAuthenticationGrant(config, response).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(oidc.ResponseBodyError);
    expect(error).toMatchObject({ error: 'access_denied', status: 400 });
  });
});
