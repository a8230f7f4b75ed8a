// The signed ways to name the user at POST /cibaAuthorization (contract §3): id_token_hint (an ID
// token this tenant issued to the calling client, even expired) and login_hint_token (signed by the
// client or a trusted hint issuer, with an RFC 9493 sub_id), what a webhook is told of each
// (contract §5), and the built-in directory's user_code lockout (src/users/user-guard.ts).
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, type JWTPayload } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  admin,
  backchannel,
  callback,
  callbackTokenFor,
  createClient,
  createTenant,
  createUser,
  issuerOf,
  poll,
  setup,
  startRequest,
  uniqueTenantId,
  type TestClient,
} from '../helpers/api.ts';
import { assertionClaims, clientKey, keyAssertion, postWithAssertion, unsecuredAssertion, type ClientKey } from '../helpers/assertions.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import { adminInDevelopment, boxUrl, newBox, received, script, webhookTenant, type Received } from '../helpers/receiver.ts';

afterEach(() => {
  vi.useRealTimers();
});

const now = () => Math.floor(Date.now() / 1000);
const BOB = { login_hints: ['bob@example.com', '+37255550002'], claims: { name: 'Bob' } };
const ALICE = { login_hints: ['alice@example.com', '+37255550001'], claims: { name: 'Alice' } };

/** Asserts a 400 with `error` and, when given, a description matching `description`. */
async function expectRefused(res: Response, error: string, description?: RegExp, label?: string) {
  const body = await expectOAuthError(res, 400, error, label);
  if (description) expect(body.error_description, label).toMatch(description);
}

/**
 * Asserts the request opened (200) and went to `sub`'s device inbox; returns its auth_req_id. Unless
 * `keep`, the user denies it at once, so it stops counting against the user's pending limit.
 */
async function expectOpenedFor(tenant: string, res: Response, sub: string, keep = false): Promise<string> {
  expect(res.status, await res.clone().text()).toBe(200);
  const { auth_req_id } = (await res.json()) as { auth_req_id: string };
  const callbackToken = await callbackTokenFor(tenant, auth_req_id, sub);
  if (!keep) expect((await callback(tenant, callbackToken, { status: 'denied' })).status).toBe(204);
  return auth_req_id;
}

/** Approves `sub`'s request on the device and redeems it by polling: the token response. */
async function redeem(tenant: string, client: TestClient, authReqId: string, sub: string) {
  const decided = await callback(tenant, await callbackTokenFor(tenant, authReqId, sub), { status: 'approved', authentication_method: 'smart-id' });
  expect(decided.status).toBe(204);
  const res = await poll(tenant, client, authReqId);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { id_token: string; access_token: string };
}

/** A real flow for the user `loginHint` names: the ID token the tenant issues to `client`. */
async function idTokenFor(tenant: string, client: TestClient, loginHint: string, sub: string): Promise<string> {
  const { auth_req_id } = await startRequest(tenant, client, { login_hint: loginHint });
  return (await redeem(tenant, client, auth_req_id, sub)).id_token;
}

/** The same header and claims as `token`, signed by a fresh key under the same kid and alg. */
async function forged(token: string): Promise<string> {
  const header = decodeProtectedHeader(token);
  const { privateKey } = await generateKeyPair(header.alg!, header.alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  return new SignJWT(decodeJwt(token)).setProtectedHeader(header as { alg: string }).sign(privateKey);
}

describe('id_token_hint', () => {
  let tenant: string;
  let client: TestClient;
  let other: TestClient;
  let bobToken: string;
  const withHint = (c: TestClient, id_token_hint: string) => backchannel(tenant, c, { scope: 'openid', id_token_hint });

  beforeAll(async () => {
    ({ tenant, client } = await setup({ id_token_ttl: 60 }));
    other = await createClient(tenant);
    await createUser(tenant, 'bob', BOB);
    bobToken = await idTokenFor(tenant, client, 'bob@example.com', 'bob');
  });

  it('an ID token the tenant issued to the client names its user, in a request whose tokens are for that user', async () => {
    const authReqId = await expectOpenedFor(tenant, await withHint(client, bobToken), 'bob', true);
    const tokens = await redeem(tenant, client, authReqId, 'bob');
    expect(decodeJwt(tokens.id_token).sub).toBe('bob');
    expect(decodeJwt(tokens.access_token).sub).toBe('bob');
  });

  it('is still accepted once its exp has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    expect(decodeJwt(bobToken).exp!).toBeLessThan(now());
    await expectOpenedFor(tenant, await withHint(client, bobToken), 'bob');
  });

  it('a malformed hint is invalid_request', async () => {
    for (const hint of ['not-a-jwt', 'a.b.c', bobToken.split('.').slice(0, 2).join('.'), `${bobToken}x`]) {
      await expectRefused(await withHint(client, hint), 'invalid_request', undefined, hint);
    }
  });

  it('an ID token issued to another client of the tenant is invalid_request', async () => {
    await expectRefused(await withHint(other, bobToken), 'invalid_request', /aud/);
    const othersToken = await idTokenFor(tenant, other, 'bob@example.com', 'bob');
    await expectRefused(await withHint(client, othersToken), 'invalid_request', /aud/);
    await expectOpenedFor(tenant, await withHint(other, othersToken), 'bob');
  });

  it('an ID token issued by another tenant is invalid_request', async () => {
    const foreign = await setup();
    const foreignToken = await idTokenFor(foreign.tenant, foreign.client, 'alice@example.com', 'alice');
    await expectRefused(await withHint(client, foreignToken), 'invalid_request', /No key/);
  });

  it('the same claims signed by a key the tenant does not publish (same kid) are invalid_request', async () => {
    await expectRefused(await withHint(client, await forged(bobToken)), 'invalid_request', /signature/);
  });

  it("an access token (typ at+jwt) is not an ID token: invalid_request", async () => {
    const { auth_req_id } = await startRequest(tenant, client, { login_hint: 'bob@example.com' });
    const { access_token } = await redeem(tenant, client, auth_req_id, 'bob');
    expect(decodeProtectedHeader(access_token).typ).toBe('at+jwt');
    await expectRefused(await withHint(client, access_token), 'invalid_request', /typ/);
  });

  it('an unsecured token (alg none) with the same claims is invalid_request', async () => {
    await expectRefused(await withHint(client, unsecuredAssertion(decodeJwt(bobToken))), 'invalid_request', /algorithm/);
  });

  it('an ID token of a user since deleted is unknown_user_id', async () => {
    await createUser(tenant, 'carol', { login_hints: ['carol@example.com'] });
    const carolToken = await idTokenFor(tenant, client, 'carol@example.com', 'carol');
    expect((await admin(`/tenants/${tenant}/users/carol`, 'DELETE')).status).toBe(204);
    await expectRefused(await withHint(client, carolToken), 'unknown_user_id');
  });
});

/** A webhook tenant whose box always answers 200 with `sub`, and a poll client. */
async function hooked(sub: string, settings: Record<string, unknown> = {}) {
  const box = newBox();
  await script(box, [{ status: 200, body: { sub } }]);
  const tenant = await webhookTenant(box, settings);
  const client = await createClient(tenant);
  return { box, tenant, client };
}

const eventData = (request: Received | undefined) => (JSON.parse(request!.body) as { data: Record<string, unknown> }).data;

describe('id_token_hint with a webhook authenticator', () => {
  it("the webhook receives the ID token's sub as id_token_hint_sub, and no login_hint", async () => {
    const { box, tenant, client } = await hooked('bank-user-7');
    const first = await startRequest(tenant, client, { login_hint: '+372 5555 0001' });
    const callbackToken = eventData((await received(box))[0]).callback_token as string;
    expect((await callback(tenant, callbackToken, { status: 'approved', authentication_method: 'smart-id' })).status).toBe(204);
    const tokens = (await (await poll(tenant, client, first.auth_req_id)).json()) as { id_token: string };
    expect(decodeJwt(tokens.id_token).sub).toBe('bank-user-7');

    expect((await backchannel(tenant, client, { scope: 'openid', id_token_hint: tokens.id_token })).status).toBe(200);
    const log = await received(box);
    expect(log).toHaveLength(2);
    const data = eventData(log[1]);
    expect(data.id_token_hint_sub).toBe('bank-user-7');
    expect(data).not.toHaveProperty('login_hint');
    expect(data).not.toHaveProperty('login_hint_token_sub_id');
  });
});

const HINT_ISSUER = 'https://hints.example.test';
const ALICE_EMAIL = { format: 'email', email: 'alice@example.com' };

/** login_hint_token claims from `iss` naming alice by e-mail, with overrides (undefined removes a claim). */
function hintClaims(iss: string, overrides: Record<string, unknown> = {}): JWTPayload {
  const claims: Record<string, unknown> = { iss, sub_id: ALICE_EMAIL, iat: now(), exp: now() + 300, ...overrides };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims as JWTPayload;
}

describe('login_hint_token', () => {
  let tenant: string;
  let client: TestClient;
  let issuerKey: ClientKey;
  let keyed: TestClient;
  let keyedKey: ClientKey;
  const withToken = (login_hint_token: string, c = client) => backchannel(tenant, c, { scope: 'openid', login_hint_token });
  const fromIssuer = (overrides: Record<string, unknown> = {}, key = issuerKey) => keyAssertion(hintClaims(HINT_ISSUER, overrides), key, { typ: 'JWT' });
  /** A backchannel request of the private_key_jwt client, authenticated by its assertion. */
  const fromKeyed = async (login_hint_token: string) =>
    postWithAssertion(tenant, '/cibaAuthorization', await keyAssertion(assertionClaims(tenant, keyed.client_id), keyedKey), {
      scope: 'openid',
      login_hint_token,
    });

  beforeAll(async () => {
    issuerKey = await clientKey('ES256');
    keyedKey = await clientKey('PS256');
    tenant = await createTenant({ trusted_hint_issuers: [{ issuer: HINT_ISSUER, jwks: { keys: [issuerKey.publicJwk] } }] });
    client = await createClient(tenant);
    keyed = await createClient(tenant, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [keyedKey.publicJwk] } });
    await createUser(tenant, 'alice', ALICE);
    await createUser(tenant, 'bob', BOB);
  });

  it("signed by the client's registered key with iss = client_id, it names the user by e-mail", async () => {
    await expectOpenedFor(tenant, await fromKeyed(await keyAssertion(hintClaims(keyed.client_id), keyedKey)), 'alice');
    const bobs = await keyAssertion(hintClaims(keyed.client_id, { sub_id: { format: 'email', email: 'bob@example.com' } }), keyedKey);
    await expectOpenedFor(tenant, await fromKeyed(bobs), 'bob');
  });

  it('a client without registered keys, or a token another client signed, is invalid_request', async () => {
    await expectRefused(await withToken(await keyAssertion(hintClaims(client.client_id), keyedKey)), 'invalid_request', /no registered keys/);
    await expectRefused(await withToken(await keyAssertion(hintClaims(keyed.client_id), keyedKey)), 'invalid_request', /neither/);
  });

  it('signed by a trusted hint issuer with inline jwks, it names the user', async () => {
    await expectOpenedFor(tenant, await withToken(await fromIssuer()), 'alice');
  });

  it('signed by a trusted hint issuer whose jwks_uri is served by a real server, it names the user', async () => {
    const box = newBox();
    const remoteKey = await clientKey('EdDSA');
    await script(box, [{ status: 200, body: { keys: [remoteKey.publicJwk] } }]);
    const id = uniqueTenantId('jwks');
    const issuer = 'https://remote-hints.example.test';
    const created = await adminInDevelopment(`/tenants/${id}`, 'PUT', { trusted_hint_issuers: [{ issuer, jwks_uri: boxUrl(box) }] });
    expect(created.status, await created.clone().text()).toBe(201);
    const remoteClient = await createClient(id);
    await createUser(id, 'alice', ALICE);
    const token = await keyAssertion(hintClaims(issuer), remoteKey);
    await expectOpenedFor(id, await backchannel(id, remoteClient, { scope: 'openid', login_hint_token: token }), 'alice');
    expect((await received(box)).map((r) => r.method)).toEqual(['GET']);
    const wrongKey = await keyAssertion(hintClaims(issuer), await clientKey('EdDSA'));
    await expectRefused(await backchannel(id, remoteClient, { scope: 'openid', login_hint_token: wrongKey }), 'invalid_request');
  });

  it('reads the sub_id formats phone_number, iss_sub (with the tenant issuer) and opaque', async () => {
    await expectOpenedFor(tenant, await withToken(await fromIssuer({ sub_id: { format: 'phone_number', phone_number: '+37255550002' } })), 'bob');
    await expectOpenedFor(tenant, await withToken(await fromIssuer({ sub_id: { format: 'iss_sub', iss: issuerOf(tenant), sub: 'bob' } })), 'bob');
    await expectOpenedFor(tenant, await withToken(await fromIssuer({ sub_id: { format: 'opaque', id: 'bob' } })), 'bob');
  });

  it('past its exp but well signed, it is expired_login_hint_token', async () => {
    await expectRefused(await withToken(await fromIssuer({ iat: now() - 900, exp: now() - 600 })), 'expired_login_hint_token');
    const clientSigned = await keyAssertion(hintClaims(keyed.client_id, { iat: now() - 900, exp: now() - 600 }), keyedKey);
    await expectRefused(await fromKeyed(clientSigned), 'expired_login_hint_token');
  });

  it('past its exp and badly signed, it is invalid_request', async () => {
    const impostor = { ...(await clientKey('ES256')), kid: issuerKey.kid };
    await expectRefused(await withToken(await fromIssuer({ iat: now() - 900, exp: now() - 600 }, impostor)), 'invalid_request', /signature/);
  });

  it('without exp, unsecured, HMAC-signed, or from an unknown issuer, it is invalid_request', async () => {
    await expectRefused(await withToken(await fromIssuer({ exp: undefined })), 'invalid_request', /exp/, 'no exp');
    await expectRefused(await withToken(unsecuredAssertion(hintClaims(HINT_ISSUER))), 'invalid_request', /algorithm/, 'alg none');
    const hs256 = await new SignJWT(hintClaims(HINT_ISSUER)).setProtectedHeader({ alg: 'HS256', kid: issuerKey.kid }).sign(new TextEncoder().encode('a shared secret of thirty-two bytes'));
    await expectRefused(await withToken(hs256), 'invalid_request', /algorithm/, 'HS256');
    const unknown = await keyAssertion(hintClaims('https://unknown.example.test'), issuerKey);
    await expectRefused(await withToken(unknown), 'invalid_request', /neither/, 'unknown issuer');
  });

  it('an aud must hold the issuer', async () => {
    await expectRefused(await withToken(await fromIssuer({ aud: 'https://elsewhere.example.test' })), 'invalid_request', /aud/);
    await expectRefused(await withToken(await fromIssuer({ aud: [`${issuerOf(tenant)}/token`] })), 'invalid_request', /aud/);
    await expectOpenedFor(tenant, await withToken(await fromIssuer({ aud: issuerOf(tenant) })), 'alice');
    await expectOpenedFor(tenant, await withToken(await fromIssuer({ aud: ['https://elsewhere.example.test', issuerOf(tenant)] })), 'alice');
  });

  it('a bad or missing sub_id is invalid_request', async () => {
    const bad: [string, unknown][] = [
      ['missing', undefined],
      ['a string', 'alice@example.com'],
      ['an array', [ALICE_EMAIL]],
      ['an unsupported format', { format: 'account', uri: 'acct:alice@example.com' }],
      ['email without email', { format: 'email' }],
      ['an empty email', { format: 'email', email: '' }],
      ['phone_number without phone_number', { format: 'phone_number', email: 'alice@example.com' }],
      ['iss_sub without sub', { format: 'iss_sub', iss: 'x' }],
      ['opaque without id', { format: 'opaque' }],
    ];
    for (const [label, sub_id] of bad) {
      await expectRefused(await withToken(await fromIssuer({ sub_id })), 'invalid_request', /subject identifier/, label);
    }
  });

  it('a value that is not a JWT is invalid_request', async () => {
    for (const value of ['hello', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9..']) {
      await expectRefused(await withToken(value), 'invalid_request', undefined, value);
    }
    await expectRefused(await withToken('hello'), 'invalid_request', /not a JWT/);
  });

  it('a sub_id naming no user is unknown_user_id', async () => {
    await expectRefused(await withToken(await fromIssuer({ sub_id: { format: 'email', email: 'nobody@example.com' } })), 'unknown_user_id');
    await expectRefused(await withToken(await fromIssuer({ sub_id: { format: 'opaque', id: 'nobody' } })), 'unknown_user_id');
    const foreignIss = { format: 'iss_sub', iss: 'https://other.example.test', sub: 'alice' };
    await expectRefused(await withToken(await fromIssuer({ sub_id: foreignIss })), 'unknown_user_id');
  });
});

describe('login_hint_token with a webhook authenticator', () => {
  it('the webhook receives the verified sub_id as login_hint_token_sub_id, and no login_hint', async () => {
    const key = await clientKey('ES256');
    const { box, tenant, client } = await hooked('bank-user-9', { trusted_hint_issuers: [{ issuer: HINT_ISSUER, jwks: { keys: [key.publicJwk] } }] });
    const token = await keyAssertion(hintClaims(HINT_ISSUER), key);
    expect((await backchannel(tenant, client, { scope: 'openid', login_hint_token: token })).status).toBe(200);
    const log = await received(box);
    expect(log).toHaveLength(1);
    const data = eventData(log[0]);
    expect(data.login_hint_token_sub_id).toEqual(ALICE_EMAIL);
    expect(data).not.toHaveProperty('login_hint');
    expect(data).not.toHaveProperty('id_token_hint_sub');
  });
});

describe('user_code lockout in the built-in directory', () => {
  const LOCK_MS = 15 * 60_000;

  /** A tenant and client using user codes; alice's code is 4711, bob's 0815. */
  async function codes() {
    const t = await setup({ backchannel_user_code_parameter_supported: true }, { backchannel_user_code_parameter: true });
    await createUser(t.tenant, 'alice', { ...ALICE, user_code: '4711' });
    await createUser(t.tenant, 'bob', { ...BOB, user_code: '0815' });
    const attempt = (user_code: string, login_hint = 'alice@example.com') => backchannel(t.tenant, t.client, { scope: 'openid', login_hint, user_code });
    const wrong = async (times: number, login_hint?: string) => {
      for (let i = 0; i < times; i++) await expectRefused(await attempt('0000', login_hint), 'invalid_user_code', undefined, `wrong #${i + 1}`);
    };
    return { ...t, attempt, wrong };
  }

  it('the right code opens the request; a wrong one is invalid_user_code', async () => {
    const { tenant, attempt, wrong } = await codes();
    await expectOpenedFor(tenant, await attempt('4711'), 'alice');
    await wrong(1);
  });

  it('five wrong codes lock the code: even the right one is invalid_user_code until 15 minutes have passed', async () => {
    const { tenant, attempt, wrong } = await codes();
    await wrong(5);
    await expectRefused(await attempt('4711'), 'invalid_user_code');
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    vi.setSystemTime(start + LOCK_MS - 60_000);
    await expectRefused(await attempt('4711'), 'invalid_user_code');
    vi.setSystemTime(start + LOCK_MS + 1_000);
    await expectOpenedFor(tenant, await attempt('4711'), 'alice');
  });

  it('attempts while locked are not counted, so they do not extend the lock', async () => {
    const { tenant, attempt, wrong } = await codes();
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    await wrong(5);
    vi.setSystemTime(start + 10 * 60_000);
    await wrong(5);
    vi.setSystemTime(start + LOCK_MS + 1_000);
    await expectOpenedFor(tenant, await attempt('4711'), 'alice');
  });

  it('a right code before the fifth failure clears the count', async () => {
    const { tenant, attempt, wrong } = await codes();
    await wrong(4);
    await expectOpenedFor(tenant, await attempt('4711'), 'alice');
    await wrong(4);
    await expectOpenedFor(tenant, await attempt('4711'), 'alice');
    // Counted afresh: five failures in a row now lock it.
    await wrong(5);
    await expectRefused(await attempt('4711'), 'invalid_user_code');
  });

  it("the lock is the user's: another user of the tenant is unaffected", async () => {
    const { tenant, attempt, wrong } = await codes();
    await wrong(5);
    await expectOpenedFor(tenant, await attempt('0815', 'bob@example.com'), 'bob');
    await wrong(4, 'bob@example.com');
    await expectOpenedFor(tenant, await attempt('0815', 'bob@example.com'), 'bob');
    await expectRefused(await attempt('4711'), 'invalid_user_code');
  });
});
