// Mutual TLS (contract §9, RFC 8705; docs/protocol.md §10): tls_client_auth and
// self_signed_tls_client_auth, certificate-bound access tokens at the token endpoint, the refresh
// grant, userinfo and introspection, and where the certificate comes from: Cloudflare's
// request.cf.tlsClientAuth (production), or the RFC 9440 Client-Cert header only where the deployment
// allows it. The certificates are openssl's (test/fixtures, scripts/make-test-certs.sh).
import { env, exports } from 'cloudflare:workers';
import { createExecutionContext } from 'cloudflare:test';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/app.ts';
import certs from '../fixtures/client-certs.json';
import { clientKey as clientRecordKey } from '../../src/clients/store.ts';
import { CIBA, ORIGIN, admin, approve, basic, createClient, createUser, issuerOf, setup, tenantRef, type TestClient } from '../helpers/api.ts';
import { ASSERTION_TYPE, assertionClaims, clientKey, keyAssertion } from '../helpers/assertions.ts';
import { ALICE, expectInvalidToken } from '../helpers/grants.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

type Cert = keyof typeof certs;
const byteSequence = (cert: Cert) => `:${certs[cert].der}:`;
const CLIENT_DN = 'CN=bank-client,O=Bank\\, Inc.,C=EE';

/** base64url(SHA-256(DER)), computed here: RFC 8705 §3.1's x5t#S256. */
async function thumbprintOf(cert: Cert): Promise<string> {
  const der = Uint8Array.from(atob(certs[cert].der), (ch) => ch.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** What the connection presents: a certificate (as Cloudflare saw it), or none. */
interface Presenting {
  cert?: Cert;
  /** Cloudflare's certVerified: SUCCESS for one its trust verified. */
  verified?: string;
  revoked?: boolean;
}

/** On Cloudflare: the connection's certificate in request.cf.tlsClientAuth. */
function viaCloudflare(path: string, init: RequestInit, { cert, verified = 'SUCCESS', revoked = false }: Presenting = {}) {
  const tlsClientAuth = cert
    ? { certPresented: '1', certVerified: verified, certRevoked: revoked ? '1' : '0', certRFC9440: byteSequence(cert), certRFC9440TooLarge: false }
    : { certPresented: '0', certVerified: 'NONE', certRevoked: '0', certRFC9440: '', certRFC9440TooLarge: false };
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, cf: { tlsClientAuth } }));
}

/** Behind a proxy that sets Client-Cert, with the deployment's bindings (by default CLIENT_CERT_HEADER=rfc9440). */
async function viaHeader(path: string, init: RequestInit, { cert }: Presenting = {}, bindings: Record<string, string> = { CLIENT_CERT_HEADER: 'rfc9440' }) {
  const headers = new Headers(init.headers);
  if (cert) headers.set('Client-Cert', byteSequence(cert));
  return app.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers }), { ...env, ...bindings }, createExecutionContext());
}

const TRANSPORTS = { 'request.cf.tlsClientAuth': viaCloudflare, 'the Client-Cert header': viaHeader };
type Transport = (path: string, init: RequestInit, presenting?: Presenting) => Promise<Response>;

const form = (params: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(params).toString(),
});

async function expectInvalidClient(res: Response, tenant: string) {
  const challenge = res.headers.get('WWW-Authenticate');
  const body = await expectOAuthError(res, 401, 'invalid_client');
  expect(challenge).toBe(`Basic realm="${issuerOf(tenant)}"`);
  return body;
}

/** A tenant with alice and a client registered with `metadata` (no secret comes back for mTLS). */
async function mtlsSetup(metadata: Record<string, unknown>) {
  const { tenant } = await setup();
  await createUser(tenant, 'alice', ALICE);
  const client = await createClient(tenant, { grant_types: [CIBA, 'refresh_token'], ...metadata });
  return { tenant, client };
}

const TLS_CLIENT = { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: CLIENT_DN };
const SELF_SIGNED_CLIENT = () => ({
  token_endpoint_auth_method: 'self_signed_tls_client_auth',
  jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', x5c: [certs.self_signed.der] }] },
});

/** The backchannel request of a client authenticating by client_id and its certificate. */
const backchannelBy = (send: Transport, tenant: string, client: TestClient, presenting: Presenting) =>
  send(`/${tenant}/as/cibaAuthorization`, form({ client_id: client.client_id, scope: 'openid', login_hint: 'alice@example.com' }), presenting);

/** A request of alice's, approved, and the token request that redeems it, by client_id and the certificate. */
async function approvedTokenRequest(send: Transport, tenant: string, client: TestClient, presenting: Presenting) {
  const started = await backchannelBy(send, tenant, client, presenting);
  expect(started.status, await started.clone().text()).toBe(200);
  const { auth_req_id } = (await started.json()) as { auth_req_id: string };
  await approve(tenant, auth_req_id);
  return (tokenPresenting: Presenting = presenting) =>
    send(`/${tenant}/as/token`, form({ grant_type: CIBA, auth_req_id, client_id: client.client_id }), tokenPresenting);
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
}

async function tokensOf(res: Response): Promise<Tokens> {
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Tokens;
}

describe.each(Object.entries(TRANSPORTS))('tls_client_auth, the certificate from %s', (_name, send) => {
  it('registers without a secret, and authenticates at the backchannel and token endpoints by client_id and its certificate', async () => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    expect(client).not.toHaveProperty('client_secret');
    const redeem = await approvedTokenRequest(send, tenant, client, { cert: 'client' });
    const tokens = await tokensOf(await redeem());
    expect(tokens.token_type).toBe('Bearer');
    // Not registered for bound tokens: the access token is a bearer token.
    expect(decodeJwt(tokens.access_token)).not.toHaveProperty('cnf');
  });

  it.each([
    ['tls_client_auth_subject_dn', 'cn=Bank-Client, o=bank\\2c inc., c=ee'],
    ['tls_client_auth_san_dns', 'CLIENT.Bank.Example'],
    ['tls_client_auth_san_uri', 'https://bank.example/client'],
    ['tls_client_auth_san_email', 'ops@bank.example'],
  ])('matches the certificate on %s; a certificate of another client: 401 invalid_client', async (member, value) => {
    const { tenant, client } = await mtlsSetup({ token_endpoint_auth_method: 'tls_client_auth', [member]: value });
    expect((await backchannelBy(send, tenant, client, { cert: 'client' })).status).toBe(200);
    const body = await expectInvalidClient(await backchannelBy(send, tenant, client, { cert: 'other' }), tenant);
    expect(body.error_description).toMatch(/does not match this client/);
  });

  it('a URI or email SAN matches exactly, not in another case', async () => {
    const { tenant, client } = await mtlsSetup({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_uri: 'https://BANK.example/client' });
    await expectInvalidClient(await backchannelBy(send, tenant, client, { cert: 'client' }), tenant);
    const byEmail = await createClient(tenant, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_email: 'OPS@bank.example' });
    await expectInvalidClient(await backchannelBy(send, tenant, byEmail, { cert: 'client' }), tenant);
  });

  it('without a certificate: 401 invalid_client', async () => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    const body = await expectInvalidClient(await backchannelBy(send, tenant, client, {}), tenant);
    expect(body.error_description).toMatch(/No client certificate/);
  });

  it('a secret or an assertion instead of the certificate: 401 invalid_client, even with the certificate', async () => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    const params = { scope: 'openid', login_hint: 'alice@example.com' };
    const path = `/${tenant}/as/cibaAuthorization`;
    const asSecret = { ...client, client_secret: 'guess' };
    await expectInvalidClient(await send(path, form(params, { Authorization: basic(asSecret) }), { cert: 'client' }), tenant);
    await expectInvalidClient(await send(path, form({ ...params, client_id: client.client_id, client_secret: 'guess' }), { cert: 'client' }), tenant);
    const key = await clientKey();
    const assertion = await keyAssertion(assertionClaims(tenant, client.client_id), key);
    const withAssertion = form({ ...params, client_assertion: assertion, client_assertion_type: ASSERTION_TYPE });
    expect((await expectInvalidClient(await send(path, withAssertion, { cert: 'client' }), tenant)).error_description).toBe(
      'This client authenticates with tls_client_auth',
    );
  });

  it('a client of another method sending client_id alone with a certificate: 401, as before', async () => {
    const { tenant, client } = await setup();
    const body = await expectInvalidClient(await backchannelBy(send, tenant, client, { cert: 'client' }), tenant);
    expect(body.error_description).toBe('Client authentication is required');
  });
});

describe('tls_client_auth on Cloudflare: the deployment’s trust', () => {
  it('a certificate Cloudflare could not verify (self-signed, unknown issuer) or found revoked: 401 invalid_client', async () => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    for (const presenting of [
      { cert: 'client', verified: 'FAILED:self signed certificate' },
      { cert: 'client', verified: 'FAILED:unable to get local issuer certificate' },
      { cert: 'client', revoked: true },
    ] as Presenting[]) {
      const body = await expectInvalidClient(await backchannelBy(viaCloudflare, tenant, client, presenting), tenant);
      expect(body.error_description).toMatch(/not verified/);
    }
    expect((await backchannelBy(viaCloudflare, tenant, client, { cert: 'client' })).status).toBe(200);
  });

  it('a certRFC9440 that is empty (too large) or not a certificate: 401 invalid_client', async () => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    for (const certRFC9440 of ['', ':bm90IGEgY2VydGlmaWNhdGU=:', ':!!:', certs.client.der]) {
      const tlsClientAuth = { certPresented: '1', certVerified: 'SUCCESS', certRevoked: '0', certRFC9440, certRFC9440TooLarge: certRFC9440 === '' };
      const res = await exports.default.fetch(
        new Request(`${ORIGIN}/${tenant}/as/cibaAuthorization`, { ...form({ client_id: client.client_id, scope: 'openid', login_hint: 'alice@example.com' }), cf: { tlsClientAuth } }),
      );
      await expectInvalidClient(res, tenant);
    }
  });
});

describe.each(Object.entries(TRANSPORTS))('self_signed_tls_client_auth, the certificate from %s', (_name, send) => {
  it('authenticates with the certificate of its x5c, which Cloudflare could not verify; any other: 401 invalid_client', async () => {
    const { tenant, client } = await mtlsSetup(SELF_SIGNED_CLIENT());
    expect(client).not.toHaveProperty('client_secret');
    const redeem = await approvedTokenRequest(send, tenant, client, { cert: 'self_signed', verified: 'FAILED:self signed certificate' });
    await tokensOf(await redeem());
    // The same subject and the same kind of key, but not the registered certificate; a verified CA-issued one.
    for (const cert of ['self_signed_2', 'client'] as Cert[]) {
      const body = await expectInvalidClient(await backchannelBy(send, tenant, client, { cert }), tenant);
      expect(body.error_description).toMatch(/not one this client registered/);
    }
    await expectInvalidClient(await backchannelBy(send, tenant, client, {}), tenant);
  });
});

describe('the Client-Cert header', () => {
  it('is never read by default: not in tests, not in production, not with another CLIENT_CERT_HEADER', async () => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    const params = { client_id: client.client_id, scope: 'openid', login_hint: 'alice@example.com' };
    const path = `/${tenant}/as/cibaAuthorization`;
    const withHeader = form(params, { 'Client-Cert': byteSequence('client') });
    await expectInvalidClient(await exports.default.fetch(new Request(`${ORIGIN}${path}`, withHeader)), tenant);
    for (const bindings of [{ ENVIRONMENT: 'production' }, { ENVIRONMENT: 'production', CLIENT_CERT_HEADER: 'yes' }, { CLIENT_CERT_HEADER: 'RFC 9440' }] as Record<string, string>[]) {
      await expectInvalidClient(await viaHeader(path, form(params), { cert: 'client' }, bindings), tenant);
    }
    // Where it is allowed, the same request authenticates.
    expect((await viaHeader(path, form(params), { cert: 'client' }, { ENVIRONMENT: 'production', CLIENT_CERT_HEADER: 'rfc9440' })).status).toBe(200);
  });

  it('is read in development', async () => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    expect((await backchannelBy((p, i, c) => viaHeader(p, i, c, { ENVIRONMENT: 'development' }), tenant, client, { cert: 'client' })).status).toBe(200);
  });

  it('is not read when Cloudflare handed over the connection’s certificate', async () => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    const params = { client_id: client.client_id, scope: 'openid', login_hint: 'alice@example.com' };
    const tlsClientAuth = { certPresented: '1', certVerified: 'SUCCESS', certRevoked: '0', certRFC9440: byteSequence('other'), certRFC9440TooLarge: false };
    const request = new Request(`${ORIGIN}/${tenant}/as/cibaAuthorization`, { ...form(params, { 'Client-Cert': byteSequence('client') }), cf: { tlsClientAuth } });
    await expectInvalidClient(await app.fetch(request, { ...env, CLIENT_CERT_HEADER: 'rfc9440' }, createExecutionContext()), tenant);
  });

  it.each([
    ['no colons', certs.client.der],
    ['not base64', ':not base64!:'],
    ['base64 of something else', `:${btoa('a certificate, it is not')}:`],
    ['a truncated certificate', `:${certs.client.der.slice(0, 400)}:`],
    ['two certificates', `${byteSequence('client')}, ${byteSequence('other')}`],
  ])('malformed (%s): no certificate, 401 invalid_client', async (_name, header) => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    const res = await viaHeader(`/${tenant}/as/cibaAuthorization`, form({ client_id: client.client_id, scope: 'openid', login_hint: 'alice@example.com' }, { 'Client-Cert': header }));
    await expectInvalidClient(res, tenant);
  });
});

describe('client metadata for mutual TLS', () => {
  it.each([
    ['tls_client_auth without a certificate name', { token_endpoint_auth_method: 'tls_client_auth' }, /exactly one of/],
    ['tls_client_auth with two names', { ...TLS_CLIENT, tls_client_auth_san_dns: 'client.bank.example' }, /exactly one of/],
    ['a certificate name with another method', { tls_client_auth_san_dns: 'client.bank.example' }, /tls_client_auth_san_dns: used only by tls_client_auth/],
    ['a subject DN that does not parse', { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=a,,O=b' }, /RFC 4514/],
    ['self_signed_tls_client_auth without jwks', { token_endpoint_auth_method: 'self_signed_tls_client_auth' }, /x5c/],
    ['self_signed_tls_client_auth with jwks_uri', { token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks_uri: 'https://bank.example/jwks' }, /x5c/],
    ['self_signed_tls_client_auth with a key without x5c', { token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } }, /x5c/],
    ['self_signed_tls_client_auth with an x5c that is no certificate', { token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [{ kty: 'EC', x5c: ['bm90IGEgY2VydA=='] }] } }, /x5c/],
    ['self_signed_tls_client_auth with a signing alg', { ...SELF_SIGNED_CLIENT(), token_endpoint_auth_signing_alg: 'ES256' }, /not used/],
    ['tls_client_auth with jwks it does not use', { ...TLS_CLIENT, jwks: SELF_SIGNED_CLIENT().jwks }, /authenticates with a certificate/],
  ])('%s: 400 invalid_client_metadata', async (_name, metadata, description) => {
    const { tenant } = await setup();
    const res = await admin(`/tenants/${tenant}/clients`, 'POST', { client_name: 'Bank', ...metadata });
    expect((await expectOAuthError(res, 400, 'invalid_client_metadata')).error_description).toMatch(description);
  });

  it('an mTLS client has no secret to rotate: 400 invalid_request naming its method', async () => {
    const { tenant, client } = await mtlsSetup(TLS_CLIENT);
    const res = await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`, 'POST');
    expect((await expectOAuthError(res, 400, 'invalid_request')).error_description).toBe('This client authenticates with tls_client_auth and has no secret');
  });

  it('a secret client switched to tls_client_auth keeps no secret, nor its hash', async () => {
    const { tenant, client } = await setup();
    const stored = async () => (await env.CONFIG.get<Record<string, unknown>>(clientRecordKey(await tenantRef(tenant), client.client_id), 'json'))!;
    expect(await stored()).toHaveProperty('secretHash');
    const res = await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', { client_name: 'Bank', ...TLS_CLIENT });
    expect(res.status).toBe(200);
    expect(await stored()).not.toHaveProperty('secretHash');
    expect(await stored()).not.toHaveProperty('secretJwe');
    expect((await backchannelBy(viaCloudflare, tenant, client, { cert: 'client' })).status).toBe(200);
  });
});

describe.each(Object.entries(TRANSPORTS))('certificate-bound access tokens, the certificate from %s', (_name, send) => {
  const userinfo = (tenant: string, token: string, presenting: Presenting) => send(`/${tenant}/as/userinfo`, { headers: { Authorization: `Bearer ${token}` } }, presenting);

  it('carry cnf x5t#S256 of the certificate; introspection shows it; userinfo takes them only with that certificate', async () => {
    const { tenant, client } = await mtlsSetup({ ...TLS_CLIENT, tls_client_certificate_bound_access_tokens: true });
    const tokens = await tokensOf(await (await approvedTokenRequest(send, tenant, client, { cert: 'client' }))());
    const cnf = { 'x5t#S256': await thumbprintOf('client') };
    expect(tokens.token_type).toBe('Bearer');
    expect(decodeJwt(tokens.access_token).cnf).toEqual(cnf);

    const introspected = await send(`/${tenant}/as/introspect`, form({ token: tokens.access_token, client_id: client.client_id }), { cert: 'client' });
    expect(await introspected.json()).toMatchObject({ active: true, token_type: 'Bearer', cnf });

    const answered = await userinfo(tenant, tokens.access_token, { cert: 'client' });
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ sub: 'alice' });
    await expectInvalidToken(await userinfo(tenant, tokens.access_token, { cert: 'other' }));
    await expectInvalidToken(await userinfo(tenant, tokens.access_token, {}));
  });

  it('the refresh grant binds the new access token to the certificate again', async () => {
    const { tenant, client } = await mtlsSetup({ ...TLS_CLIENT, tls_client_certificate_bound_access_tokens: true });
    const tokens = await tokensOf(await (await approvedTokenRequest(send, tenant, client, { cert: 'client' }))());
    const refresh = (presenting: Presenting) =>
      send(`/${tenant}/as/token`, form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id }), presenting);
    await expectInvalidClient(await refresh({}), tenant);
    const refreshed = await tokensOf(await refresh({ cert: 'client' }));
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ 'x5t#S256': await thumbprintOf('client') });
    expect((await userinfo(tenant, refreshed.access_token, { cert: 'client' })).status).toBe(200);
    await expectInvalidToken(await userinfo(tenant, refreshed.access_token, { cert: 'other' }));
  });

  it('a private_key_jwt client registered for them must present a certificate at the token endpoint; without, 401 and nothing spent', async () => {
    const key = await clientKey();
    const { tenant, client } = await mtlsSetup({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, tls_client_certificate_bound_access_tokens: true });
    const signed = async (params: Record<string, string>, endpoint = '/token') =>
      form({ ...params, client_assertion_type: ASSERTION_TYPE, client_assertion: await keyAssertion(assertionClaims(tenant, client.client_id, { aud: `${issuerOf(tenant)}${endpoint}` }), key) });
    const started = await send(`/${tenant}/as/cibaAuthorization`, await signed({ scope: 'openid', login_hint: 'alice@example.com' }, '/cibaAuthorization'), {});
    expect(started.status, await started.clone().text()).toBe(200);
    const { auth_req_id } = (await started.json()) as { auth_req_id: string };
    await approve(tenant, auth_req_id);

    const body = await expectInvalidClient(await send(`/${tenant}/as/token`, await signed({ grant_type: CIBA, auth_req_id }), {}), tenant);
    expect(body.error_description).toMatch(/certificate/);
    // The approval was not consumed: with a certificate (any, even self-signed) the tokens come, bound to it.
    const tokens = await tokensOf(await send(`/${tenant}/as/token`, await signed({ grant_type: CIBA, auth_req_id }), { cert: 'self_signed', verified: 'FAILED:self signed certificate' }));
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ 'x5t#S256': await thumbprintOf('self_signed') });

    const refresh = async (presenting: Presenting) => send(`/${tenant}/as/token`, await signed({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }), presenting);
    await expectInvalidClient(await refresh({}), tenant);
    // The refresh token was not spent by the refusal.
    expect(decodeJwt((await tokensOf(await refresh({ cert: 'self_signed' }))).access_token).cnf).toEqual({ 'x5t#S256': await thumbprintOf('self_signed') });
  });
});
