// Signed authentication requests (CIBA §7.1.1, FAPI-CIBA §5.2.2; contract §3 `request`): the request
// object's signature, algorithm, claims and bounds, replay, what may stand beside it, what a refused
// one leaves behind, the client metadata that demands it, and what discovery says about it.
import { env } from 'cloudflare:workers';
import { listDurableObjectIds, runInDurableObject } from 'cloudflare:test';
import { decodeJwt, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceInboxStub, inboxEntryKey, type InboxEntry } from '../../src/authenticators/device-inbox.ts';
import {
  admin,
  approve,
  backchannel,
  call,
  createClient,
  createTenant,
  createUser,
  devicePage,
  issuerOf,
  poll,
  postForm,
  requestIdOf,
  setup,
  tenantRef,
  uniqueTenantId,
  type TestClient,
} from '../helpers/api.ts';
import { assertionClaims, clientKey, hmacAssertion, keyAssertion, postWithAssertion, unsecuredAssertion, type ClientKey } from '../helpers/assertions.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

const now = () => Math.floor(Date.now() / 1000);
let jtis = 0;
const freshJti = () => `ro-${Date.now().toString(36)}-${(jtis++).toString(36)}-${Math.random().toString(36).slice(2)}`;

/** A good request object's claims for `clientId` at `tenant`, with overrides (undefined removes a claim). */
function requestClaims(tenant: string, clientId: string, overrides: Record<string, unknown> = {}): JWTPayload {
  const claims: Record<string, unknown> = {
    iss: clientId,
    aud: issuerOf(tenant),
    iat: now(),
    nbf: now(),
    exp: now() + 300,
    jti: freshJti(),
    scope: 'openid',
    login_hint: 'alice@example.com',
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims as JWTPayload;
}

/** The user's device inbox entry for a request (what the built-in authenticator shows the user). */
async function inboxEntry(tenant: string, authReqId: string, sub = 'alice'): Promise<InboxEntry | undefined> {
  const requestId = requestIdOf(authReqId);
  return runInDurableObject(deviceInboxStub(env, await tenantRef(tenant), sub), (_instance, state) =>
    state.storage.kv.get<InboxEntry>(inboxEntryKey(requestId)),
  );
}

const requestsOpened = async () => (await listDurableObjectIds(env.AUTH_REQUESTS)).length;

// One tenant with alice and the clients most tests use.
let tenant: string;
/** client_secret_basic with its own keys and ES256 registered (a PS256 key is registered too, but not its alg). */
let basicClient: TestClient;
let es: ClientKey;
let psBeside: ClientKey;
/** private_key_jwt with PS256 registered for request objects. */
let pkjClient: TestClient;
let ps: ClientKey;
/** private_key_jwt with keys but no request object algorithm. */
let freeClient: TestClient;
let free: ClientKey;

beforeAll(async () => {
  ({ tenant } = await setup());
  [es, psBeside, ps, free] = await Promise.all([clientKey('ES256'), clientKey('PS256'), clientKey('PS256'), clientKey('ES256')]);
  basicClient = await createClient(tenant, {
    backchannel_authentication_request_signing_alg: 'ES256',
    jwks: { keys: [es.publicJwk, psBeside.publicJwk] },
  });
  pkjClient = await createClient(tenant, {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [ps.publicJwk] },
    backchannel_authentication_request_signing_alg: 'PS256',
  });
  freeClient = await createClient(tenant, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [free.publicJwk] } });
});

/** The basic client sends a request object with these claim overrides. */
async function sendSigned(overrides: Record<string, unknown> = {}, extra: Record<string, string> = {}) {
  const request = await keyAssertion(requestClaims(tenant, basicClient.client_id, overrides), es);
  return backchannel(tenant, basicClient, { request, ...extra });
}

/** A private_key_jwt client sends `params` authenticated by a fresh client assertion (overrides for it). */
async function sendWithAssertion(client: TestClient, key: ClientKey, params: Record<string, string>, assertion: Record<string, unknown> = {}) {
  const signed = await keyAssertion(assertionClaims(tenant, client.client_id, assertion), key);
  return postWithAssertion(tenant, '/cibaAuthorization', signed, params);
}

async function expectStarted(res: Response): Promise<{ auth_req_id: string; expires_in: number; interval: number }> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status: 200 });
  return JSON.parse(text) as { auth_req_id: string; expires_in: number; interval: number };
}

describe('a client registered with a request object algorithm sends a signed request, and its parameters take effect', () => {
  it('client_secret_basic with keys and ES256: requested_expiry as a number, binding_message, acr_values and scope reach the request and the tokens', async () => {
    const started = await expectStarted(
      await sendSigned({ scope: 'openid email', requested_expiry: 120, binding_message: 'Pay 10 €', acr_values: 'urn:x:loa:high' }),
    );
    expect(started.expires_in).toBe(120);
    expect(started.interval).toBe(5);
    const entry = await inboxEntry(tenant, started.auth_req_id);
    expect(entry).toMatchObject({ clientId: basicClient.client_id, consent: { scope: 'openid email', bindingMessage: 'Pay 10 €', acrValues: ['urn:x:loa:high'] } });
    expect(await devicePage(tenant)).toContain('Pay 10 €');

    await approve(tenant, started.auth_req_id);
    const tokens = await poll(tenant, basicClient, started.auth_req_id);
    expect(tokens.status).toBe(200);
    const body = (await tokens.json()) as { scope: string; id_token: string };
    expect(body.scope).toBe('openid email');
    expect(decodeJwt(body.id_token)).toMatchObject({ sub: 'alice', aud: basicClient.client_id });
  });

  it('private_key_jwt with PS256: requested_expiry as a string is honoured, and the client assertion beside the request is fine', async () => {
    const request = await keyAssertion(requestClaims(tenant, pkjClient.client_id, { requested_expiry: '90', binding_message: 'Code 4711' }), ps);
    const started = await expectStarted(await sendWithAssertion(pkjClient, ps, { request }));
    expect(started.expires_in).toBe(90);
    expect((await inboxEntry(tenant, started.auth_req_id))?.consent.bindingMessage).toBe('Code 4711');
  });

  it('without requested_expiry the tenant default applies, and a larger one is capped at the tenant maximum', async () => {
    expect((await expectStarted(await sendSigned())).expires_in).toBe(300);
    expect((await expectStarted(await sendSigned({ requested_expiry: 7200 }))).expires_in).toBe(3600);
  });

  it('client_secret_post with keys and an algorithm sends client_id and client_secret beside the request', async () => {
    const key = await clientKey('ES256');
    const post = await createClient(tenant, {
      token_endpoint_auth_method: 'client_secret_post',
      jwks: { keys: [key.publicJwk] },
      backchannel_authentication_request_signing_alg: 'ES256',
    });
    const request = await keyAssertion(requestClaims(tenant, post.client_id), key);
    const res = await postForm(`/${tenant}/as/cibaAuthorization`, { request, client_id: post.client_id, client_secret: post.client_secret });
    await expectStarted(res);
  });

  it('a client_secret_basic client may also repeat its client_id in the body beside the request', async () => {
    await expectStarted(await sendSigned({}, { client_id: basicClient.client_id }));
  });

  it('an aud array holding the issuer is accepted', async () => {
    await expectStarted(await sendSigned({ aud: ['https://elsewhere.example', issuerOf(tenant)] }));
  });

  it('a lifetime of exactly 60 minutes after nbf, and an iat within the clock skew, are accepted', async () => {
    await expectStarted(await sendSigned({ nbf: now(), exp: now() + 3600 }));
    await expectStarted(await sendSigned({ iat: now() + 30 }));
  });

  it('the parameters inside are checked like form parameters, with the same codes', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ binding_message: 'pay 💸' }, 'invalid_binding_message'],
      [{ scope: 'profile' }, 'invalid_scope'],
      [{ scope: undefined }, 'invalid_request'],
      [{ login_hint: 'mallory@example.com' }, 'unknown_user_id'],
      [{ login_hint: undefined }, 'invalid_request'],
      [{ requested_expiry: 10.5 }, 'invalid_request'],
      [{ requested_expiry: 0 }, 'invalid_request'],
      [{ requested_expiry: true }, 'invalid_request'],
      [{ binding_message: 42 }, 'invalid_request'],
    ];
    for (const [overrides, error] of cases) {
      await expectOAuthError(await sendSigned(overrides), 400, error, JSON.stringify(overrides));
    }
  });
});

describe('with a request object, nothing but client authentication stands outside it', () => {
  it('a client with a registered algorithm sending plain form parameters is refused', async () => {
    const body = await expectOAuthError(await backchannel(tenant, basicClient, { scope: 'openid', login_hint: 'alice@example.com' }), 400, 'invalid_request');
    expect(body.error_description).toMatch(/signed request object/);
    const asserted = await sendWithAssertion(pkjClient, ps, { scope: 'openid', login_hint: 'alice@example.com' });
    expect((await expectOAuthError(asserted, 400, 'invalid_request')).error_description).toMatch(/signed request object/);
  });

  it.each([
    ['scope', 'openid'],
    ['login_hint', 'alice@example.com'],
    ['binding_message', 'Pay 10'],
    ['requested_expiry', '120'],
    ['acr_values', 'loa2'],
    ['client_notification_token', 'abc'],
    ['user_code', '4711'],
    ['resource', 'https://api.example.com'],
    ['authorization_details', '[{"type":"payment_initiation"}]'],
    ['id_token_hint', 'a.b.c'],
  ])('%s beside the request → invalid_request', async (name, value) => {
    const body = await expectOAuthError(await sendSigned({}, { [name]: value }), 400, 'invalid_request');
    expect(body.error_description).toContain(name);
  });

  it('a parameter outside is refused also for a client with no registered algorithm', async () => {
    const request = await keyAssertion(requestClaims(tenant, freeClient.client_id), free);
    await expectOAuthError(await sendWithAssertion(freeClient, free, { request, binding_message: 'x' }), 400, 'invalid_request');
  });

  it('a parameter sent empty beside the request counts as absent (contract §1)', async () => {
    await expectStarted(await sendSigned({}, { binding_message: '' }));
  });
});

describe('the request object’s claims: iss, aud, exp, iat, nbf and jti, within FAPI-CIBA’s bounds', () => {
  const t = () => now();
  const cases: Array<[string, () => Record<string, unknown>, RegExp]> = [
    ['iss missing', () => ({ iss: undefined }), /iss/],
    ['aud missing', () => ({ aud: undefined }), /aud/],
    ['exp missing', () => ({ exp: undefined }), /exp/],
    ['iat missing', () => ({ iat: undefined }), /iat/],
    ['nbf missing', () => ({ nbf: undefined }), /nbf/],
    ['jti missing', () => ({ jti: undefined }), /jti/],
    ['jti empty', () => ({ jti: '' }), /jti/],
    ['jti a number', () => ({ jti: 12345 }), /jti/],
    ['iss another client', () => ({ iss: pkjClient.client_id }), /iss/],
    ['aud another tenant’s issuer', () => ({ aud: issuerOf('elsewhere') }), /aud/],
    ['aud the token endpoint', () => ({ aud: `${issuerOf(tenant)}/token` }), /aud/],
    ['aud an array without the issuer', () => ({ aud: ['https://elsewhere.example'] }), /aud/],
    ['exp more than 60 minutes after nbf', () => ({ nbf: t(), exp: t() + 3601 }), /60 minutes/],
    ['nbf older than 60 minutes', () => ({ iat: t() - 3700, nbf: t() - 3700, exp: t() + 60 }), /60 minutes/],
    ['exp just past', () => ({ exp: t() - 10 }), /expired/],
    ['exp long past', () => ({ iat: t() - 1000, nbf: t() - 1000, exp: t() - 600 }), /expired/],
    ['iat in the future beyond 60 s', () => ({ iat: t() + 120 }), /iat/],
    ['nbf in the future beyond 60 s', () => ({ nbf: t() + 120, exp: t() + 600 }), /nbf/],
  ];
  it.each(cases)('%s → invalid_request', async (_name, overrides, description) => {
    const body = await expectOAuthError(await sendSigned(overrides()), 400, 'invalid_request');
    expect(body.error_description).toMatch(/request object/);
    expect(body.error_description).toMatch(description);
  });
});

describe('the request object’s signature and algorithm', () => {
  const claims = () => requestClaims(tenant, basicClient.client_id);
  const cases: Array<[string, () => Promise<string>]> = [
    ['alg none', async () => unsecuredAssertion(claims())],
    ['HS256 signed with the client secret', () => hmacAssertion(claims(), basicClient.client_secret, 'HS256')],
    ['PS256 with a registered key, when ES256 is the registered algorithm', () => keyAssertion(claims(), psBeside)],
    ['a key not registered, under a registered kid', async () => keyAssertion(claims(), { ...(await clientKey('ES256')), kid: es.kid })],
    ['a key not registered, under a kid of its own', async () => keyAssertion(claims(), await clientKey('ES256'))],
    ['another client’s registered key', () => keyAssertion(claims(), ps)],
    ['a JWE-looking request', async () => 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn'],
    ['garbage', async () => 'not a jwt at all'],
    ['a signed JWT with its signature cut off', async () => `${(await keyAssertion(claims(), es)).split('.').slice(0, 2).join('.')}.`],
  ];
  it.each(cases)('%s → invalid_request', async (_name, make) => {
    await expectOAuthError(await backchannel(tenant, basicClient, { request: await make() }), 400, 'invalid_request');
  });

  it('a client with no registered algorithm may still not use none or HS256', async () => {
    const c = () => requestClaims(tenant, freeClient.client_id);
    for (const request of [unsecuredAssertion(c()), await hmacAssertion(c(), 'a-secret-nobody-registered-0123456789', 'HS256')]) {
      await expectOAuthError(await sendWithAssertion(freeClient, free, { request }), 400, 'invalid_request');
    }
  });

  it('a client without keys cannot send a request object at all', async () => {
    const plain = await createClient(tenant);
    const request = await keyAssertion(requestClaims(tenant, plain.client_id), es);
    await expectOAuthError(await backchannel(tenant, plain, { request }), 400, 'invalid_request');
  });
});

describe('a request object’s jti is used once', () => {
  it('the same jti twice: the second is invalid_request, even when the first request was refused later', async () => {
    const jti = freshJti();
    await expectStarted(await sendSigned({ jti }));
    const again = await expectOAuthError(await sendSigned({ jti, binding_message: 'other' }), 400, 'invalid_request');
    expect(again.error_description).toMatch(/already used/);

    // The jti is spent once the signature verifies, whatever the request's outcome (contract §3).
    const refused = await keyAssertion(requestClaims(tenant, basicClient.client_id, { login_hint: 'mallory@example.com' }), es);
    await expectOAuthError(await backchannel(tenant, basicClient, { request: refused }), 400, 'unknown_user_id');
    await expectOAuthError(await backchannel(tenant, basicClient, { request: refused }), 400, 'invalid_request');
  });

  it('the same object replayed verbatim is refused', async () => {
    const request = await keyAssertion(requestClaims(tenant, pkjClient.client_id), ps);
    await expectStarted(await sendWithAssertion(pkjClient, ps, { request }));
    await expectOAuthError(await sendWithAssertion(pkjClient, ps, { request }), 400, 'invalid_request');
  });

  it('a request object may carry the same jti as the client assertion it comes with', async () => {
    const jti = freshJti();
    const request = await keyAssertion(requestClaims(tenant, pkjClient.client_id, { jti }), ps);
    await expectStarted(await sendWithAssertion(pkjClient, ps, { request }, { jti }));
  });

  it('two clients may use the same jti', async () => {
    const jti = freshJti();
    await expectStarted(await sendSigned({ jti }));
    const request = await keyAssertion(requestClaims(tenant, pkjClient.client_id, { jti }), ps);
    await expectStarted(await sendWithAssertion(pkjClient, ps, { request }));
  });
});

describe('a client with keys but no registered algorithm may choose', () => {
  it('a signed request object is accepted and takes effect', async () => {
    const request = await keyAssertion(requestClaims(tenant, freeClient.client_id, { binding_message: 'Free 1', requested_expiry: 200 }), free);
    const started = await expectStarted(await sendWithAssertion(freeClient, free, { request }));
    expect(started.expires_in).toBe(200);
    expect((await inboxEntry(tenant, started.auth_req_id))?.consent.bindingMessage).toBe('Free 1');
  });

  it('plain form parameters are accepted too', async () => {
    const started = await expectStarted(
      await sendWithAssertion(freeClient, free, { scope: 'openid', login_hint: 'alice@example.com', binding_message: 'Free 2' }),
    );
    expect((await inboxEntry(tenant, started.auth_req_id))?.consent.bindingMessage).toBe('Free 2');
  });

  it('dropping the algorithm from a client’s metadata lets it send plain form parameters again', async () => {
    const key = await clientKey('ES256');
    const metadata = { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } };
    const strict = await createClient(tenant, { ...metadata, backchannel_authentication_request_signing_alg: 'ES256' });
    const form = { scope: 'openid', login_hint: 'alice@example.com' };
    await expectOAuthError(await sendWithAssertion(strict, key, form), 400, 'invalid_request');
    const put = await admin(`/tenants/${tenant}/clients/${strict.client_id}`, 'PUT', metadata);
    expect(put.status).toBe(200);
    await expectStarted(await sendWithAssertion(strict, key, form));
  });
});

describe('a refused request object leaves nothing behind', () => {
  it('opens no request, shows nothing on the device, and answers nothing to the admin', async () => {
    const t = await setup();
    const key = await clientKey('ES256');
    const client = await createClient(t.tenant, { jwks: { keys: [key.publicJwk] }, backchannel_authentication_request_signing_alg: 'ES256' });
    const claims = (overrides: Record<string, unknown> = {}) => requestClaims(t.tenant, client.client_id, { binding_message: 'Refused', ...overrides });
    const before = await requestsOpened();

    const used = await keyAssertion(claims(), key);
    const attempts: Array<[string, Record<string, string>]> = [
      ['plain form', { scope: 'openid', login_hint: 'alice@example.com' }],
      ['bad signature', { request: await keyAssertion(claims(), { ...(await clientKey('ES256')), kid: key.kid }) }],
      ['alg none', { request: unsecuredAssertion(claims()) }],
      ['expired', { request: await keyAssertion(claims({ exp: now() - 10 }), key) }],
      ['too long-lived', { request: await keyAssertion(claims({ exp: now() + 3700 }), key) }],
      ['parameter outside', { request: await keyAssertion(claims(), key), scope: 'openid' }],
    ];
    for (const [name, params] of attempts) await expectOAuthError(await backchannel(t.tenant, client, params), 400, 'invalid_request', name);
    // A replay of an object that opened a request opens no second one.
    const first = await expectStarted(await backchannel(t.tenant, client, { request: used }));
    await expectOAuthError(await backchannel(t.tenant, client, { request: used }), 400, 'invalid_request', 'replay');

    expect(await requestsOpened()).toBe(before + 1);
    const html = await devicePage(t.tenant);
    expect(html.split('Refused').length - 1).toBe(1);
    expect(html).toContain(requestIdOf(first.auth_req_id));
  });

  it('with only refusals, the device page stays empty', async () => {
    const t = await setup();
    const key = await clientKey('PS256');
    const client = await createClient(t.tenant, { jwks: { keys: [key.publicJwk] }, backchannel_authentication_request_signing_alg: 'PS256' });
    const before = await requestsOpened();
    await expectOAuthError(await backchannel(t.tenant, client, { request: await keyAssertion(requestClaims(t.tenant, client.client_id, { aud: 'https://x' }), key) }), 400, 'invalid_request');
    await expectOAuthError(await backchannel(t.tenant, client, { scope: 'openid', login_hint: 'alice@example.com' }), 400, 'invalid_request');
    expect(await requestsOpened()).toBe(before);
    expect(await devicePage(t.tenant)).toContain('No pending requests');
  });
});

describe('client metadata: backchannel_authentication_request_signing_alg', () => {
  let metaTenant: string;
  let key: ClientKey;
  beforeAll(async () => {
    metaTenant = await createTenant();
    key = await clientKey('ES256');
  });
  const register = (metadata: Record<string, unknown>) => admin(`/tenants/${metaTenant}/clients`, 'POST', { client_name: 'Bank', ...metadata });

  it.each(['HS256', 'none', 'RS512', ''])('%j is 400 invalid_client_metadata naming the member', async (alg) => {
    const res = await register({ jwks: { keys: [key.publicJwk] }, backchannel_authentication_request_signing_alg: alg });
    const body = await expectOAuthError(res, 400, 'invalid_client_metadata');
    expect(body.error_description).toContain('backchannel_authentication_request_signing_alg');
  });

  it('the algorithm without jwks or jwks_uri is 400 invalid_client_metadata', async () => {
    const body = await expectOAuthError(await register({ backchannel_authentication_request_signing_alg: 'ES256' }), 400, 'invalid_client_metadata');
    expect(body.error_description).toMatch(/jwks/);
    expect(body.error_description).toContain('backchannel_authentication_request_signing_alg');
  });

  it('a secret client with keys but no algorithm is 400 invalid_client_metadata', async () => {
    const body = await expectOAuthError(await register({ jwks: { keys: [key.publicJwk] } }), 400, 'invalid_client_metadata');
    expect(body.error_description).toMatch(/jwks/);
  });

  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'])('%s is accepted and echoed back by GET', async (alg) => {
    const res = await register({ jwks: { keys: [key.publicJwk] }, backchannel_authentication_request_signing_alg: alg });
    expect(res.status).toBe(201);
    const created = (await res.json()) as TestClient;
    expect(created.backchannel_authentication_request_signing_alg).toBe(alg);
    const got = (await (await admin(`/tenants/${metaTenant}/clients/${created.client_id}`)).json()) as Record<string, unknown>;
    expect(got.backchannel_authentication_request_signing_alg).toBe(alg);
    expect(got.jwks).toEqual({ keys: [key.publicJwk] });
  });

  it('with a jwks_uri instead of jwks it is accepted too', async () => {
    const res = await register({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://rp.example.com/jwks',
      backchannel_authentication_request_signing_alg: 'PS256',
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as TestClient;
    const got = (await (await admin(`/tenants/${metaTenant}/clients/${created.client_id}`)).json()) as Record<string, unknown>;
    expect(got).toMatchObject({ jwks_uri: 'https://rp.example.com/jwks', backchannel_authentication_request_signing_alg: 'PS256' });
  });
});

describe('discovery', () => {
  const discover = async (id: string) => {
    const res = await call(`/${id}/as/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it('lists the request object algorithms: never none or HS*', async () => {
    const doc = await discover(await createTenant());
    expect(doc.backchannel_authentication_request_signing_alg_values_supported).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
  });

  it('lists authorization_details_types_supported and acr_values_supported exactly when the tenant lists some', async () => {
    const listed = await discover(
      await createTenant({ authorization_details_types_supported: ['payment_initiation', 'account_information'], acr_values_supported: ['urn:x:loa:high', 'loa2'] }),
    );
    expect(listed.authorization_details_types_supported).toEqual(['payment_initiation', 'account_information']);
    expect(listed.acr_values_supported).toEqual(['urn:x:loa:high', 'loa2']);

    for (const settings of [{}, { authorization_details_types_supported: [], acr_values_supported: [] }]) {
      const doc = await discover(await createTenant(settings));
      expect(doc, JSON.stringify(settings)).not.toHaveProperty('authorization_details_types_supported');
      expect(doc, JSON.stringify(settings)).not.toHaveProperty('acr_values_supported');
    }

    const onlyAcr = await discover(await createTenant({ acr_values_supported: ['loa3'] }));
    expect(onlyAcr.acr_values_supported).toEqual(['loa3']);
    expect(onlyAcr).not.toHaveProperty('authorization_details_types_supported');
  });

  it.each([
    ['acr_values_supported', ['loa 2']],
    ['acr_values_supported', ['']],
    ['acr_values_supported', ['niveau-élevé']],
    ['acr_values_supported', 'loa2'],
    ['authorization_details_types_supported', ['']],
    ['authorization_details_types_supported', [42]],
  ])('tenant settings with %s %j are 400 invalid_request naming the member', async (member, value) => {
    const res = await admin(`/tenants/${uniqueTenantId('bad')}`, 'PUT', { [member]: value });
    const body = await expectOAuthError(res, 400, 'invalid_request');
    expect(body.error_description).toContain(member);
  });
});

// Keep the helpers honest: a user other than alice would make the inbox reads above meaningless.
describe('the observation used above', () => {
  it('reads the inbox entry of the request that was opened, and nothing for another user', async () => {
    await createUser(tenant, 'bob', { login_hints: ['bob@example.com'], claims: {} });
    const started = await expectStarted(await sendSigned({ login_hint: 'bob@example.com', binding_message: 'For Bob' }));
    expect(await inboxEntry(tenant, started.auth_req_id)).toBeUndefined();
    expect((await inboxEntry(tenant, started.auth_req_id, 'bob'))?.consent.bindingMessage).toBe('For Bob');
  });
});
