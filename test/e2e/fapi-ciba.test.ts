// End-to-end: a FAPI-CIBA-style flow against a real `wrangler dev`, openid-client as the RP.
// private_key_jwt; a signed authentication request (PS256) carrying binding_message,
// authorization_details and resource; the user sees the details on the device page and approves;
// PS256 tokens, verified against /jwks, carry what was asked for.
import { SignJWT, createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, startWrangler, type Server } from './server.ts';
import { decideOnDevice } from './http.ts';

const TENANT = `e2e-fapi-${Date.now().toString(36)}`;
const PAYMENTS = 'https://pay.example.com/';
const DETAILS = [
  {
    type: 'payment_initiation',
    actions: ['initiate'],
    locations: [PAYMENTS],
    instructedAmount: { currency: 'EUR', amount: '123.50' },
    creditorName: 'Merchant A',
  },
];

describe('FAPI-CIBA: a signed request with authorization_details, openid-client as the RP', () => {
  let server: Server;
  let issuer: string;
  let config: oidc.Configuration;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  const adminCall = async (method: string, path: string, body: unknown, status: number) => {
    const res = await fetch(`${server.origin}/admin${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBe(status);
    return (await res.json()) as Record<string, unknown>;
  };

  /** The request object (CIBA §7.1.1) with FAPI-CIBA's claims, signed with the client's key. */
  const requestObject = (claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'PS256', kid: 'rp-1' })
      .setIssuer(config.clientMetadata().client_id)
      .setAudience(issuer)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
  };

  beforeAll(async () => {
    server = await startWrangler();
    issuer = `${server.origin}/${TENANT}/as`;
    await adminCall(
      'PUT',
      `/tenants/${TENANT}`,
      { signing_alg: 'PS256', resources: [PAYMENTS], authorization_details_types_supported: ['payment_initiation'], device_page: true },
      201,
    );
    await adminCall('PUT', `/tenants/${TENANT}/users/dave`, { login_hints: ['dave@example.com'], claims: { name: 'Dave' } }, 201);
    const keys = await generateKeyPair('PS256', { extractable: true });
    privateKey = keys.privateKey;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'rp-1', alg: 'PS256', use: 'sig' };
    const client = await adminCall(
      'POST',
      `/tenants/${TENANT}/clients`,
      {
        client_name: 'E2E FAPI Bank',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'PS256',
        backchannel_authentication_request_signing_alg: 'PS256',
        authorization_details_types: ['payment_initiation'],
        jwks: { keys: [jwk] },
      },
      201,
    );
    config = await oidc.discovery(
      new URL(issuer),
      client.client_id as string,
      {},
      oidc.PrivateKeyJwt({ key: privateKey, kid: 'rp-1' }),
      { execute: [oidc.allowInsecureRequests] },
    );
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('discovery says what the flow needs', () => {
    const metadata = config.serverMetadata();
    expect(metadata.backchannel_authentication_request_signing_alg_values_supported).toContain('PS256');
    expect(metadata.authorization_details_types_supported).toEqual(['payment_initiation']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['PS256']);
  });

  test('signed request → details on the device → approval → PS256 tokens carrying the details and the resource', async () => {
    const bindingMessage = 'Pay Merchant A 123.50';
    const request = await requestObject({
      scope: 'openid',
      login_hint: 'dave@example.com',
      binding_message: bindingMessage,
      authorization_details: DETAILS,
      resource: PAYMENTS,
      requested_expiry: 120,
    });
    const started = await oidc.initiateBackchannelAuthentication(config, { request });
    expect(started.expires_in).toBe(120);

    const page = await (await fetch(`${server.origin}/${TENANT}/device?login_hint=dave%40example.com`)).text();
    expect(page).toContain('payment_initiation');
    expect(page).toContain('Merchant A');
    await decideOnDevice(server.origin, TENANT, {
      loginHint: 'dave@example.com',
      bindingMessage,
      clientName: 'E2E FAPI Bank',
      decision: 'approved',
      authenticationMethod: 'app-biometrics',
    });

    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, started);
    expect(tokens.claims()).toMatchObject({ iss: issuer, sub: 'dave', aud: config.clientMetadata().client_id });
    expect(tokens.authorization_details).toEqual(DETAILS);
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const idToken = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: config.clientMetadata().client_id });
    expect(idToken.protectedHeader.alg).toBe('PS256');
    const accessToken = await jwtVerify(tokens.access_token, jwks, { issuer, audience: PAYMENTS, typ: 'at+jwt' });
    expect(accessToken.protectedHeader.alg).toBe('PS256');
    expect(accessToken.payload.authorization_details).toEqual(DETAILS);
    expect(decodeJwt(tokens.access_token).amr).toBeDefined();
  });

  test('a request object is honoured once; plain parameters are refused for this client', async () => {
    const request = await requestObject({ scope: 'openid', login_hint: 'dave@example.com' });
    await oidc.initiateBackchannelAuthentication(config, { request });
    await expect(oidc.initiateBackchannelAuthentication(config, { request })).rejects.toMatchObject({ error: 'invalid_request' });
    await expect(
      oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'dave@example.com' }),
    ).rejects.toMatchObject({ error: 'invalid_request' });
  });
});
