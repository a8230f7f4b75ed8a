// End-to-end: a FAPI-CIBA tenant (docs/protocol.md §10) against a real `wrangler dev`, openid-client
// as the relying party. Two clients, each as FAPI-CIBA wants it: private_key_jwt with signed requests
// and DPoP-bound tokens (poll and ping, the ping reaching a real HTTP receiver), and
// self_signed_tls_client_auth with certificate-bound tokens, its certificate made at test time by
// openssl and handed over as an RFC 9440 Client-Cert header (how `wrangler dev` sees it; on a
// Cloudflare zone with mTLS it comes in request.cf.tlsClientAuth). Each gets its tokens, calls
// userinfo, and refreshes, keeping the binding; a bound token without its key or certificate is refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SignJWT,
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  jwtVerify,
  type CryptoKey,
} from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver } from '../receiver/server.ts';
import { adminCall, decideOnDevice } from './http.ts';
import { startWrangler, type Server } from './server.ts';

const TENANT = `e2e-fapi-sc-${Date.now().toString(36)}`;
const LOA3 = 'urn:example:loa:3';
const NOTIFICATION_TOKEN = 'e2e-fapi-notification-token';

/** A self-signed EC P-256 certificate made by openssl: its DER and its private key (PKCS #8 PEM). */
function selfSignedCertificate(cn: string): { der: Buffer; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-cert-'));
  try {
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.der')];
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
    execFileSync('openssl', ['req', '-new', '-x509', '-key', keyFile, '-subj', `/CN=${cn}`, '-days', '2', '-outform', 'DER', '-out', certFile]);
    const pkcs8 = createPrivateKey(readFileSync(keyFile)).export({ format: 'pem', type: 'pkcs8' }).toString();
    return { der: readFileSync(certFile), keyPem: pkcs8 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('FAPI-CIBA over DPoP and over mutual TLS, openid-client as the RP', () => {
  let server: Server;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let issuer: string;
  const admin = (method: string, path: string, body: unknown, status: number) => adminCall(server.origin, method, path, body, status);

  /** A request object (CIBA §7.1.1) with FAPI-CIBA's claims, signed with the client's key. */
  const requestObject = (clientId: string, key: CryptoKey, alg: 'PS256' | 'ES256', kid: string, claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg, kid })
      .setIssuer(clientId)
      .setAudience(issuer)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 300)
      .sign(key);
  };

  beforeAll(async () => {
    [server, receiver] = await Promise.all([startWrangler(), startReceiver()]);
    issuer = `${server.origin}/${TENANT}/as`;
    await admin(
      'PUT',
      `/tenants/${TENANT}`,
      {
        profile: 'fapi-ciba',
        signing_alg: 'PS256',
        access_token_ttl: 600,
        poll_interval: 1,
        device_page: true,
        dpop_nonce_required: true,
        acr_values_supported: [LOA3],
        acr_by_method: { 'app-biometrics': LOA3 },
      },
      201,
    );
    await admin('PUT', `/tenants/${TENANT}/users/erin`, { login_hints: ['erin@example.com'], claims: { name: 'Erin' } }, 201);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), receiver?.stop()]);
  });

  describe('private_key_jwt, signed requests and DPoP', () => {
    let signingKey: CryptoKey;
    let jwk: Record<string, unknown>;

    beforeAll(async () => {
      const keys = await generateKeyPair('PS256', { extractable: true });
      signingKey = keys.privateKey;
      jwk = { ...(await exportJWK(keys.publicKey)), kid: 'rp-ps', alg: 'PS256', use: 'sig' };
    });

    const register = async (extra: Record<string, unknown>) => {
      const client = await admin(
        'POST',
        `/tenants/${TENANT}/clients`,
        {
          client_name: 'E2E DPoP Bank',
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'PS256',
          backchannel_authentication_request_signing_alg: 'PS256',
          dpop_bound_access_tokens: true,
          grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'],
          jwks: { keys: [jwk] },
          ...extra,
        },
        201,
      );
      const config = await oidc.discovery(new URL(issuer), client.client_id as string, {}, oidc.PrivateKeyJwt({ key: signingKey, kid: 'rp-ps' }), {
        execute: [oidc.allowInsecureRequests],
      });
      return config;
    };

    test('discovery tells the truth about the profile', async () => {
      const metadata = (await register({})).serverMetadata();
      expect(metadata.token_endpoint_auth_methods_supported).toEqual(
        expect.arrayContaining(['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']),
      );
      expect(metadata.token_endpoint_auth_methods_supported).not.toContain('client_secret_basic');
      expect(metadata.backchannel_token_delivery_modes_supported).toEqual(['poll', 'ping']);
      expect(metadata.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['PS256', 'ES256']));
      expect(metadata.tls_client_certificate_bound_access_tokens).toBe(true);
    });

    test('poll: DPoP-bound tokens, userinfo with a proof, a refresh keeping the key; the token as Bearer is refused', async () => {
      const config = await register({});
      const clientId = config.clientMetadata().client_id;
      const dpopKeys = await oidc.randomDPoPKeyPair('ES256');
      const DPoP = oidc.getDPoPHandle(config, dpopKeys);
      const jkt = await calculateJwkThumbprint(await exportJWK(dpopKeys.publicKey));

      const bindingMessage = 'Sign in to E2E DPoP Bank';
      const request = await requestObject(clientId, signingKey, 'PS256', 'rp-ps', {
        scope: 'openid profile',
        login_hint: 'erin@example.com',
        binding_message: bindingMessage,
        acr_values: LOA3,
      });
      const started = await oidc.initiateBackchannelAuthentication(config, { request });
      await decideOnDevice(server.origin, TENANT, {
        loginHint: 'erin@example.com',
        bindingMessage,
        clientName: 'E2E DPoP Bank',
        decision: 'approved',
        authenticationMethod: 'app-biometrics',
      });
      const tokens = await oidc.pollBackchannelAuthenticationGrant(config, started, undefined, { DPoP });
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
      const access = await jwtVerify(tokens.access_token, jwks, { issuer, typ: 'at+jwt' });
      expect(access.protectedHeader.alg).toBe('PS256');
      expect(access.payload.cnf).toEqual({ jkt });
      expect(tokens.claims()).toMatchObject({ sub: 'erin', acr: LOA3 });
      expect((access.payload.exp as number) - (access.payload.iat as number)).toBeLessThanOrEqual(600);

      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, 'erin', { DPoP });
      expect(userinfo).toMatchObject({ sub: 'erin', name: 'Erin' });
      // Without its key: openid-client presents it as Bearer, and the server refuses it.
      await expect(oidc.fetchUserInfo(config, tokens.access_token, 'erin')).rejects.toMatchObject({ status: 401 });

      // A refresh without a proof is refused and spends nothing; one with the key keeps the binding.
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_dpop_proof' });
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
      expect(refreshed.token_type.toLowerCase()).toBe('dpop');
      expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
      // Another key cannot refresh the grant.
      const thief = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP: thief })).rejects.toMatchObject({
        error: 'invalid_dpop_proof',
      });
    });

    test('ping: the RP is pinged at its endpoint, then redeems DPoP-bound tokens', async () => {
      const config = await register({
        backchannel_token_delivery_mode: 'ping',
        backchannel_client_notification_endpoint: `${receiver.origin}/fapi-ping`,
      });
      const clientId = config.clientMetadata().client_id;
      const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('PS256'));
      const bindingMessage = 'Approve the E2E ping';
      const request = await requestObject(clientId, signingKey, 'PS256', 'rp-ps', {
        scope: 'openid',
        login_hint: 'erin@example.com',
        binding_message: bindingMessage,
        client_notification_token: NOTIFICATION_TOKEN,
      });
      const started = await oidc.initiateBackchannelAuthentication(config, { request });
      await decideOnDevice(server.origin, TENANT, {
        loginHint: 'erin@example.com',
        bindingMessage,
        clientName: 'E2E DPoP Bank',
        decision: 'approved',
        authenticationMethod: 'app-passcode',
      });
      let pings: { headers: Record<string, string>; body: string }[] = [];
      for (let i = 0; i < 100 && pings.length === 0; i++) {
        pings = (await (await fetch(`${receiver.origin}/_log/fapi-ping`)).json()) as typeof pings;
        if (pings.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(pings[0]?.headers.authorization).toBe(`Bearer ${NOTIFICATION_TOKEN}`);
      expect(JSON.parse(pings[0]!.body)).toEqual({ auth_req_id: started.auth_req_id });
      const tokens = await oidc.pollBackchannelAuthenticationGrant(config, started, undefined, { DPoP });
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      expect(await oidc.fetchUserInfo(config, tokens.access_token, 'erin', { DPoP })).toMatchObject({ sub: 'erin' });
    });

    test('the profile refuses what FAPI-CIBA forbids: a secret client, an unsigned request, no binding_message', async () => {
      await admin('POST', `/tenants/${TENANT}/clients`, { token_endpoint_auth_method: 'client_secret_basic' }, 400);
      await admin('POST', `/tenants/${TENANT}/clients`, { ...jwkClientWithout('dpop_bound_access_tokens', jwk) }, 400);
      const config = await register({});
      const clientId = config.clientMetadata().client_id;
      await expect(
        oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'erin@example.com', binding_message: 'x' }),
      ).rejects.toMatchObject({ error: 'invalid_request' });
      const unbound = await requestObject(clientId, signingKey, 'PS256', 'rp-ps', { scope: 'openid', login_hint: 'erin@example.com' });
      await expect(oidc.initiateBackchannelAuthentication(config, { request: unbound })).rejects.toMatchObject({
        error: 'invalid_binding_message',
      });
    });
  });

  describe('self_signed_tls_client_auth and certificate-bound tokens', () => {
    test('tokens bound to the certificate, userinfo only over it, a refresh keeping it', async () => {
      const { der, keyPem } = selfSignedCertificate('e2e-mtls-rp');
      const signingKey = await importPKCS8(keyPem, 'ES256');
      const publicJwk = await exportJWK(await publicOf(keyPem));
      const x5t = createHash('sha256').update(der).digest('base64url');
      const client = await admin(
        'POST',
        `/tenants/${TENANT}/clients`,
        {
          client_name: 'E2E mTLS Bank',
          token_endpoint_auth_method: 'self_signed_tls_client_auth',
          tls_client_certificate_bound_access_tokens: true,
          backchannel_authentication_request_signing_alg: 'ES256',
          grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'],
          jwks: { keys: [{ ...publicJwk, kid: 'rp-cert', alg: 'ES256', use: 'sig', x5c: [der.toString('base64')] }] },
        },
        201,
      );
      const clientId = client.client_id as string;
      const withCertificate = async (certificate: Buffer | undefined) => {
        const config = await oidc.discovery(new URL(issuer), clientId, {}, oidc.TlsClientAuth(), { execute: [oidc.allowInsecureRequests] });
        // RFC 9440: what a TLS-terminating proxy in front of the server forwards; wrangler dev has no mTLS.
        config[oidc.customFetch] = (url, options) => {
          const headers = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
          if (certificate) headers.set('Client-Cert', `:${certificate.toString('base64')}:`);
          return fetch(url, { ...(options as RequestInit), headers });
        };
        return config;
      };
      const config = await withCertificate(der);

      const bindingMessage = 'Sign in to E2E mTLS Bank';
      const request = await requestObject(clientId, signingKey, 'ES256', 'rp-cert', {
        scope: 'openid profile',
        login_hint: 'erin@example.com',
        binding_message: bindingMessage,
      });
      // Without the certificate the client cannot authenticate at all: 401 invalid_client, which
      // openid-client reports by its WWW-Authenticate challenge.
      await expect(oidc.initiateBackchannelAuthentication(await withCertificate(undefined), { request })).rejects.toMatchObject({
        status: 401,
        cause: [expect.objectContaining({ scheme: 'basic' })],
      });
      const started = await oidc.initiateBackchannelAuthentication(config, {
        request: await requestObject(clientId, signingKey, 'ES256', 'rp-cert', {
          scope: 'openid profile',
          login_hint: 'erin@example.com',
          binding_message: bindingMessage,
        }),
      });
      await decideOnDevice(server.origin, TENANT, {
        loginHint: 'erin@example.com',
        bindingMessage,
        clientName: 'E2E mTLS Bank',
        decision: 'approved',
        authenticationMethod: 'app-biometrics',
      });
      const tokens = await oidc.pollBackchannelAuthenticationGrant(config, started);
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ 'x5t#S256': x5t });

      expect(await oidc.fetchUserInfo(config, tokens.access_token, 'erin')).toMatchObject({ sub: 'erin', name: 'Erin' });
      // Another certificate, or none: the token is refused.
      const other = selfSignedCertificate('e2e-someone-else');
      await expect(oidc.fetchUserInfo(await withCertificate(other.der), tokens.access_token, 'erin')).rejects.toMatchObject({ status: 401 });
      await expect(oidc.fetchUserInfo(await withCertificate(undefined), tokens.access_token, 'erin')).rejects.toMatchObject({ status: 401 });

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(decodeJwt(refreshed.access_token).cnf).toEqual({ 'x5t#S256': x5t });
      expect(await oidc.fetchUserInfo(config, refreshed.access_token, 'erin')).toMatchObject({ sub: 'erin' });
    });
  });
});

/** A private_key_jwt client's metadata for this tenant without one member. */
function jwkClientWithout(member: string, jwk: Record<string, unknown>): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    token_endpoint_auth_method: 'private_key_jwt',
    backchannel_authentication_request_signing_alg: 'PS256',
    dpop_bound_access_tokens: true,
    jwks: { keys: [jwk] },
  };
  delete metadata[member];
  return metadata;
}

/** The public key of a PKCS #8 PEM private key. */
const publicOf = (pem: string) =>
  importSPKI(createPublicKey(pem).export({ format: 'pem', type: 'spki' }).toString(), 'ES256', { extractable: true });
