// Client authentication with JWTs (contract §2, RFC 7523, OpenID Connect Core §9): client_secret_jwt
// and private_key_jwt at the backchannel and token endpoints, every way an assertion can fail, the
// replay store, client keys from a real jwks_uri, and secrets at rest.
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { CLIENT_SECRETS, clientKey as clientRecordKey } from '../../src/clients/store.ts';
import { sealSecret } from '../../src/secrets.ts';
import { CIBA, admin, approve, backchannel, basic, createClient, issuerOf, postForm, putRecord, setup, tenantRef, type TestClient } from '../helpers/api.ts';
import {
  assertionClaims,
  clientKey,
  hmacAssertion,
  keyAssertion,
  postWithAssertion,
  unsecuredAssertion,
  type ClientKey,
} from '../helpers/assertions.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import { boxUrl, clientInDevelopment, newBox, received, script } from '../helpers/receiver.ts';

const ok = { scope: 'openid', login_hint: 'alice@example.com' };

async function expectInvalidClient(res: Response, tenant: string, description?: RegExp) {
  const wwwAuthenticate = res.headers.get('WWW-Authenticate');
  const body = await expectOAuthError(res, 401, 'invalid_client');
  expect(wwwAuthenticate).toBe(`Basic realm="${issuerOf(tenant)}"`);
  if (description) expect(body.error_description).toMatch(description);
}

async function hmacClient(metadata: Record<string, unknown> = {}) {
  const { tenant } = await setup();
  const client = await createClient(tenant, { token_endpoint_auth_method: 'client_secret_jwt', ...metadata });
  return { tenant, client };
}

async function keyClient(alg: ClientKey['alg'] = 'ES256', metadata: Record<string, unknown> = {}) {
  const { tenant } = await setup();
  const key = await clientKey(alg as 'ES256');
  const client = await createClient(tenant, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, ...metadata });
  expect(client).not.toHaveProperty('client_secret');
  return { tenant, client, key };
}

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

interface RsaKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: Record<string, unknown>;
}

/** An RS256 key pair of any size, made with WebCrypto (jose makes none under 2048 bits). */
async function rsaKey(modulusLength: number): Promise<RsaKey> {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const pair = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const { kty, n, e } = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey;
  const kid = `rsa${modulusLength}-${Math.random().toString(36).slice(2)}`;
  return { kid, privateKey: pair.privateKey, publicJwk: { kty, n, e, kid, alg: 'RS256', use: 'sig' } };
}

/** A compact RS256 JWS of `claims`, signed with WebCrypto, whatever the key's size. */
async function rs256ByHand(claims: Record<string, unknown>, key: RsaKey): Promise<string> {
  const part = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));
  const input = `${part({ alg: 'RS256', kid: key.kid, typ: 'JWT' })}.${part(claims)}`;
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key.privateKey, new TextEncoder().encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

describe('client_secret_jwt', () => {
  it.each(['HS256', 'HS384', 'HS512'])('authenticates with %s at the backchannel and the token endpoints', async (alg) => {
    const { tenant, client } = await hmacClient();
    const started = await postWithAssertion(tenant, '/cibaAuthorization', await hmacAssertion(assertionClaims(tenant, client.client_id), client.client_secret, alg), ok);
    expect(started.status, await started.clone().text()).toBe(200);
    const { auth_req_id } = (await started.json()) as { auth_req_id: string };
    await approve(tenant, auth_req_id);
    const tokenAud = { aud: `${issuerOf(tenant)}/token` };
    const tokens = await postWithAssertion(tenant, '/token', await hmacAssertion(assertionClaims(tenant, client.client_id, tokenAud), client.client_secret, alg), {
      grant_type: CIBA,
      auth_req_id,
    });
    expect(tokens.status, await tokens.clone().text()).toBe(200);
  });

  it('its secret has 64 octets, as HS512 needs (OpenID Connect Core §16.19); so does a rotated one', async () => {
    const { tenant, client } = await hmacClient();
    expect(new TextEncoder().encode(client.client_secret).length).toBeGreaterThanOrEqual(64);
    const rotated = await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`, 'POST');
    expect(rotated.status).toBe(200);
    const { client_secret } = (await rotated.json()) as { client_secret: string };
    expect(new TextEncoder().encode(client_secret).length).toBeGreaterThanOrEqual(64);
  });

  it('a secret too short for HS384 and HS512 (issued before secrets grew) serves HS256 only', async () => {
    const { tenant, client } = await hmacClient();
    // Put back a 43-octet secret, as registrations once issued.
    const short = client.client_secret.slice(0, 43);
    const key = clientRecordKey(await tenantRef(tenant), client.client_id);
    const record = JSON.parse((await env.CONFIG.get(key))!) as Record<string, unknown>;
    await putRecord(key, JSON.stringify({ ...record, secretJwe: await sealSecret(env, CLIENT_SECRETS, tenant, short) }));
    for (const alg of ['HS384', 'HS512']) {
      const assertion = await hmacAssertion(assertionClaims(tenant, client.client_id), short, alg);
      await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', assertion, ok), tenant, /algorithm/);
    }
    const hs256 = await hmacAssertion(assertionClaims(tenant, client.client_id), short, 'HS256');
    expect((await postWithAssertion(tenant, '/cibaAuthorization', hs256, ok)).status).toBe(200);
  });

  it('accepts only the registered algorithm when one is registered', async () => {
    const { tenant, client } = await hmacClient({ token_endpoint_auth_signing_alg: 'HS512' });
    const hs256 = await hmacAssertion(assertionClaims(tenant, client.client_id), client.client_secret, 'HS256');
    await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', hs256, ok), tenant, /algorithm/);
    const hs512 = await hmacAssertion(assertionClaims(tenant, client.client_id), client.client_secret, 'HS512');
    expect((await postWithAssertion(tenant, '/cibaAuthorization', hs512, ok)).status).toBe(200);
  });

  it('its secret is kept only encrypted; a rotated secret replaces it, and the old one fails', async () => {
    const { tenant, client } = await hmacClient();
    const stored = (await env.CONFIG.get(clientRecordKey(await tenantRef(tenant), client.client_id)))!;
    expect(stored).not.toContain(client.client_secret);
    expect(JSON.parse(stored)).toMatchObject({ secretJwe: expect.stringMatching(/^ey/) });
    expect(JSON.parse(stored)).not.toHaveProperty('secretHash');
    const rotated = (await (await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`, 'POST')).json()) as { client_secret: string };
    const old = await hmacAssertion(assertionClaims(tenant, client.client_id), client.client_secret);
    await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', old, ok), tenant, /signature/);
    const fresh = await hmacAssertion(assertionClaims(tenant, client.client_id), rotated.client_secret);
    expect((await postWithAssertion(tenant, '/cibaAuthorization', fresh, ok)).status).toBe(200);
  });
});

describe('private_key_jwt', () => {
  it.each(['ES256', 'RS256', 'PS256', 'EdDSA'] as const)('authenticates with %s', async (alg) => {
    const { tenant, client, key } = await keyClient(alg);
    const res = await postWithAssertion(tenant, '/cibaAuthorization', await keyAssertion(assertionClaims(tenant, client.client_id), key), ok);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('accepts only the registered algorithm when one is registered', async () => {
    const { tenant } = await setup();
    const [es256, ps256, rs256] = await Promise.all([clientKey('ES256'), clientKey('PS256'), clientKey('RS256')]);
    const jwks = { keys: [es256.publicJwk, ps256.publicJwk, rs256.publicJwk] };
    const pinned = await createClient(tenant, { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks });
    const free = await createClient(tenant, { token_endpoint_auth_method: 'private_key_jwt', jwks });
    for (const other of [ps256, rs256]) {
      // Signed with a key the client registered, in an algorithm it did not.
      const refused = await keyAssertion(assertionClaims(tenant, pinned.client_id), other);
      await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', refused, ok), tenant, /algorithm/);
      // The same key serves a client that registered no algorithm.
      const accepted = await keyAssertion(assertionClaims(tenant, free.client_id), other);
      expect((await postWithAssertion(tenant, '/cibaAuthorization', accepted, ok)).status, other.alg).toBe(200);
    }
    const es = await keyAssertion(assertionClaims(tenant, pinned.client_id), es256);
    expect((await postWithAssertion(tenant, '/cibaAuthorization', es, ok)).status).toBe(200);
  });

  it('refuses an RSA key under 2048 bits (FAPI 1.0 Part 1 §5.2.2-5): at registration, and in a jwks_uri', async () => {
    // jose will not sign with such a key, so the assertions are signed with WebCrypto by hand.
    const [short, long] = await Promise.all([rsaKey(1024), rsaKey(2048)]);
    const { tenant } = await setup();
    const refused = await admin(`/tenants/${tenant}/clients`, 'POST', {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [short.publicJwk] },
    });
    const body = await expectOAuthError(refused, 400, 'invalid_client_metadata');
    expect(body.error_description).toMatch(/2048 bits/);
    // Keys the RP serves at its jwks_uri are only seen when they are used.
    const box = newBox();
    await script(box, [{ status: 200, body: { keys: [short.publicJwk, long.publicJwk] } }]);
    const client = await clientInDevelopment(tenant, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: boxUrl(box) });
    const claims = () => assertionClaims(tenant, client.client_id);
    // Signed the same way with 2048 bits, the assertion passes: what is refused is the key's size.
    expect((await postWithAssertion(tenant, '/cibaAuthorization', await rs256ByHand(claims(), long), ok)).status).toBe(200);
    await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', await rs256ByHand(claims(), short), ok), tenant, /under 2048 bits/);
  });

  it('a private_key_jwt client has no secret to rotate', async () => {
    const { tenant, client } = await keyClient();
    await expectOAuthError(await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`, 'POST'), 400, 'invalid_request');
  });
});

describe('the assertion’s aud: the issuer, the token endpoint or the endpoint it is sent to (CIBA §7.1)', () => {
  const clients = {
    client_secret_jwt: async () => {
      const { tenant, client } = await hmacClient();
      return { tenant, client, sign: (claims: Record<string, unknown>) => hmacAssertion(claims, client.client_secret) };
    },
    private_key_jwt: async () => {
      const { tenant, client, key } = await keyClient();
      return { tenant, client, sign: (claims: Record<string, unknown>) => keyAssertion(claims, key) };
    },
  };

  it.each(['client_secret_jwt', 'private_key_jwt'] as const)(
    '%s: the backchannel endpoint’s URL is accepted there, and refused at the token endpoint',
    async (method) => {
      const { tenant, client, sign } = await clients[method]();
      const issuer = issuerOf(tenant);
      const signedFor = (aud: string) => sign(assertionClaims(tenant, client.client_id, { aud }));
      const started = await postWithAssertion(tenant, '/cibaAuthorization', await signedFor(`${issuer}/cibaAuthorization`), ok);
      expect(started.status, await started.clone().text()).toBe(200);
      const { auth_req_id } = (await started.json()) as { auth_req_id: string };
      // The token endpoint's URL is taken there too; another endpoint's is not.
      expect((await postWithAssertion(tenant, '/cibaAuthorization', await signedFor(`${issuer}/token`), ok)).status).toBe(200);
      await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', await signedFor(`${issuer}/introspect`), ok), tenant, /aud/);

      await approve(tenant, auth_req_id);
      const grant = { grant_type: CIBA, auth_req_id };
      await expectInvalidClient(await postWithAssertion(tenant, '/token', await signedFor(`${issuer}/cibaAuthorization`), grant), tenant, /aud/);
      // The refusal spent nothing: with the token endpoint's URL, the grant is redeemed.
      const tokens = await postWithAssertion(tenant, '/token', await signedFor(`${issuer}/token`), grant);
      expect(tokens.status, await tokens.clone().text()).toBe(200);
    },
  );
});

describe('every failure is 401 invalid_client with WWW-Authenticate', () => {
  it('client_secret_jwt assertions', async () => {
    const { tenant, client } = await hmacClient();
    const claims = (o: Record<string, unknown> = {}) => assertionClaims(tenant, client.client_id, o);
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ['another secret', hmacAssertion(claims(), 'not the secret'), /signature/],
      ['alg none', Promise.resolve(unsecuredAssertion(claims())), /not valid|algorithm/],
      ['an asymmetric algorithm', clientKey().then((k) => keyAssertion(claims(), k)), /algorithm/],
      ['expired', hmacAssertion(claims({ exp: now - 5 }), client.client_secret), /expired/],
      ['no exp', hmacAssertion(claims({ exp: undefined }), client.client_secret), /exp/],
      ['exp more than 5 minutes ahead', hmacAssertion(claims({ exp: now + 600 }), client.client_secret), /5 minutes/],
      ['iat in the future beyond the skew', hmacAssertion(claims({ iat: now + 120 }), client.client_secret), /iat/],
      ['nbf in the future beyond the skew', hmacAssertion(claims({ nbf: now + 120 }), client.client_secret), /nbf/],
      ['no jti', hmacAssertion(claims({ jti: undefined }), client.client_secret), /jti/],
      ['iss not the client', hmacAssertion(claims({ iss: 'someone-else' }), client.client_secret), /iss/],
      ['aud another server', hmacAssertion(claims({ aud: 'https://elsewhere.example/as' }), client.client_secret), /aud/],
      ['aud another tenant', hmacAssertion(claims({ aud: issuerOf('other-tenant') }), client.client_secret), /aud/],
    ];
    for (const [, made, description] of cases) {
      await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', await made, ok), tenant, description);
    }
    // Skew within 60 s is tolerated.
    const skewed = await hmacAssertion(claims({ iat: now + 30, nbf: now + 30 }), client.client_secret);
    expect((await postWithAssertion(tenant, '/cibaAuthorization', skewed, ok)).status).toBe(200);
  });

  it('private_key_jwt assertions', async () => {
    const { tenant, client, key } = await keyClient();
    const claims = () => assertionClaims(tenant, client.client_id);
    const stranger = await clientKey();
    // An HMAC "signature" made with the public key as the secret: the classic algorithm confusion.
    const confused = await hmacAssertion(claims(), JSON.stringify(key.publicJwk));
    await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', confused, ok), tenant, /algorithm/);
    await expectInvalidClient(
      await postWithAssertion(tenant, '/cibaAuthorization', await keyAssertion(claims(), stranger), ok),
      tenant,
      /No key/,
    );
    await expectInvalidClient(
      await postWithAssertion(tenant, '/cibaAuthorization', await keyAssertion(claims(), { ...stranger, kid: key.kid }), ok),
      tenant,
      /signature/,
    );
    await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', unsecuredAssertion(claims()), ok), tenant);
  });

  it('the form around the assertion', async () => {
    const { tenant, client } = await hmacClient();
    const assertion = () => hmacAssertion(assertionClaims(tenant, client.client_id), client.client_secret);
    const post = (params: Record<string, string>) => postForm(`/${tenant}/as/cibaAuthorization`, { ...ok, ...params });
    await expectInvalidClient(await post({ client_assertion: await assertion() }), tenant, /client_assertion_type/);
    await expectInvalidClient(await post({ client_assertion: await assertion(), client_assertion_type: 'urn:x' }), tenant, /client_assertion_type/);
    await expectInvalidClient(
      await post({ client_assertion: await assertion(), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_id: 'another' }),
      tenant,
      /client_id/,
    );
    await expectInvalidClient(await post({ client_assertion: 'not.a.jwt', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' }), tenant);
    // Credentials for two methods at once.
    const basicToo = await postWithAssertion(tenant, '/cibaAuthorization', await assertion(), ok, { Authorization: basic(client) });
    await expectInvalidClient(basicToo, tenant, /more than one/);
    await expectInvalidClient(await post({ client_id: client.client_id, client_secret: client.client_secret, client_assertion: await assertion() }), tenant, /more than one/);
  });

  it('only the registered method: a secret client may not send assertions, a JWT client may not send its secret', async () => {
    const { tenant, client: basicClient } = await setup();
    const asAssertion = await hmacAssertion(assertionClaims(tenant, basicClient.client_id), basicClient.client_secret);
    await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', asAssertion, ok), tenant, /client_secret_basic/);
    const jwtClient = await createClient(tenant, { token_endpoint_auth_method: 'client_secret_jwt' });
    await expectInvalidClient(await backchannel(tenant, jwtClient, ok), tenant);
  });
});

describe('replay', () => {
  it('an assertion is accepted once, and not again at another endpoint', async () => {
    const { tenant, client, key } = await keyClient();
    const assertion = await keyAssertion(assertionClaims(tenant, client.client_id), key);
    const first = await postWithAssertion(tenant, '/cibaAuthorization', assertion, ok);
    expect(first.status).toBe(200);
    const { auth_req_id } = (await first.json()) as { auth_req_id: string };
    await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', assertion, ok), tenant, /already used/);
    await expectInvalidClient(await postWithAssertion(tenant, '/token', assertion, { grant_type: CIBA, auth_req_id }), tenant, /already used/);
  });

  it('is spent once the signature verifies, whatever the request’s outcome', async () => {
    const { tenant, client } = await hmacClient();
    const assertion = await hmacAssertion(assertionClaims(tenant, client.client_id), client.client_secret);
    // The request itself fails (no hint), after client authentication passed.
    await expectOAuthError(await postWithAssertion(tenant, '/cibaAuthorization', assertion, { scope: 'openid' }), 400, 'invalid_request');
    await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', assertion, ok), tenant, /already used/);
  });

  it('the same jti from two clients are two assertions', async () => {
    const { tenant, client } = await hmacClient();
    const other: TestClient = await createClient(tenant, { token_endpoint_auth_method: 'client_secret_jwt' });
    const jti = `shared-${Math.random()}`;
    const mine = await hmacAssertion(assertionClaims(tenant, client.client_id, { jti }), client.client_secret);
    const theirs = await hmacAssertion(assertionClaims(tenant, other.client_id, { jti }), other.client_secret);
    expect((await postWithAssertion(tenant, '/cibaAuthorization', mine, ok)).status).toBe(200);
    expect((await postWithAssertion(tenant, '/cibaAuthorization', theirs, ok)).status).toBe(200);
  });
});

describe('keys from a jwks_uri on a real server', () => {
  async function remoteClient(keys: ClientKey[]) {
    const box = newBox();
    await script(box, [{ status: 200, body: { keys: keys.map((k) => k.publicJwk) } }]);
    const { tenant } = await setup();
    const client = await clientInDevelopment(tenant, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: boxUrl(box) });
    return { box, tenant, client };
  }

  it('fetches the key set, caches it, follows a rotation on the RP’s side, and is not hammered by unknown kids', async () => {
    const first = await clientKey();
    const { box, tenant, client } = await remoteClient([first]);
    const sign = (key: ClientKey) => keyAssertion(assertionClaims(tenant, client.client_id), key);
    expect((await postWithAssertion(tenant, '/cibaAuthorization', await sign(first), ok)).status).toBe(200);
    expect((await postWithAssertion(tenant, '/cibaAuthorization', await sign(first), ok)).status).toBe(200);
    expect(await received(box)).toHaveLength(1);

    // Random kids right after a fetch: refused, and the RP's server is not asked again.
    for (let i = 0; i < 5; i++) {
      const random = await clientKey();
      await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', await sign(random), ok), tenant, /No key/);
    }
    expect(await received(box)).toHaveLength(1);

    // The RP rotates: a new key is published. Past the cooldown, its unknown kid triggers one refetch.
    const second = await clientKey();
    await script(box, [{ status: 200, body: { keys: [second.publicJwk] } }]);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      expect((await postWithAssertion(tenant, '/cibaAuthorization', await sign(second), ok)).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
    expect(await received(box)).toHaveLength(2);
  });

  it.each([
    ['answers more than 64 KiB', [{ status: 200, body: { keys: [], padding: 'x'.repeat(70 * 1024) } }]],
    ['answers 500', [{ status: 500 }]],
    ['answers HTML', [{ status: 200, body: '<html></html>' }]],
    ['redirects', [{ status: 302, headers: { Location: '/elsewhere' } }]],
  ])('a jwks_uri that %s authenticates no one', async (_name, answers) => {
    const key = await clientKey();
    const { box, tenant, client } = await remoteClient([key]);
    await script(box, answers);
    await expectInvalidClient(
      await postWithAssertion(tenant, '/cibaAuthorization', await keyAssertion(assertionClaims(tenant, client.client_id), key), ok),
      tenant,
    );
  });

  it('a jwks_uri that does not answer is given up at 5 s', async () => {
    const key = await clientKey();
    const { box, tenant, client } = await remoteClient([key]);
    await script(box, [{ status: 200, body: { keys: [key.publicJwk] }, delayMs: 8000 }]);
    const started = Date.now();
    await expectInvalidClient(
      await postWithAssertion(tenant, '/cibaAuthorization', await keyAssertion(assertionClaims(tenant, client.client_id), key), ok),
      tenant,
      /in time/,
    );
    expect(Date.now() - started).toBeLessThan(7500);
  }, 15_000);
});

describe('secrets at rest', () => {
  it('basic and post secrets are kept only as hashes', async () => {
    const { tenant, client } = await setup();
    const stored = (await env.CONFIG.get(clientRecordKey(await tenantRef(tenant), client.client_id)))!;
    expect(stored).not.toContain(client.client_secret);
    expect(JSON.parse(stored)).toMatchObject({ secretHash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(JSON.parse(stored)).not.toHaveProperty('secretJwe');
  });

  it('switching a client to client_secret_jwt drops a hashed secret until a new one is issued; back to basic keeps working', async () => {
    const { tenant, client } = await setup();
    expect((await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', { client_name: 'X', token_endpoint_auth_method: 'client_secret_jwt' })).status).toBe(200);
    const withOld = await hmacAssertion(assertionClaims(tenant, client.client_id), client.client_secret);
    await expectInvalidClient(await postWithAssertion(tenant, '/cibaAuthorization', withOld, ok), tenant, /no secret/);
    const { client_secret } = (await (await admin(`/tenants/${tenant}/clients/${client.client_id}/secret`, 'POST')).json()) as { client_secret: string };
    const withNew = await hmacAssertion(assertionClaims(tenant, client.client_id), client_secret);
    expect((await postWithAssertion(tenant, '/cibaAuthorization', withNew, ok)).status).toBe(200);
    // Back to client_secret_basic: the sealed secret serves as its hash.
    expect((await admin(`/tenants/${tenant}/clients/${client.client_id}`, 'PUT', { client_name: 'X' })).status).toBe(200);
    expect((await backchannel(tenant, { client_id: client.client_id, client_secret }, ok)).status).toBe(200);
    const stored = JSON.parse((await env.CONFIG.get(clientRecordKey(await tenantRef(tenant), client.client_id)))!) as Record<string, unknown>;
    expect(stored).not.toHaveProperty('secretJwe');
  });
});
