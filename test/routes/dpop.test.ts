// DPoP (contract §9, RFC 9449): every rule a proof must pass at the token endpoint, the tokens a
// proof binds (CIBA and refresh), userinfo with a bound token, introspection, and the server's nonces.
import { env } from 'cloudflare:workers';
import { SignJWT, decodeJwt, exportJWK } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { app } from '../../src/app.ts';
import { CIBA, approve, basic, call, createClient, createTenant, createUser, poll, startRequest, type TestClient } from '../helpers/api.ts';
import {
  athOf,
  dpopKey,
  dpopProof,
  newJti,
  pollWithProof,
  refreshWithProof,
  tokenProof,
  tokenUrl,
  unsignedProof,
  userinfoProof,
  userinfoUrl,
  userinfoWithProof,
  type DpopKey,
} from '../helpers/dpop.ts';
import { ALICE, introspect, userinfo, type Tokens } from '../helpers/grants.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

const now = () => Math.floor(Date.now() / 1000);

/** A tenant with alice and a poll client for the CIBA and refresh grants. */
async function dpopSetup(settings: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  const tenant = await createTenant(settings);
  await createUser(tenant, 'alice', ALICE);
  const client = await createClient(tenant, { grant_types: [CIBA, 'refresh_token'], ...metadata });
  return { tenant, client };
}

/** An approved request of alice's. */
async function approvedRequest(tenant: string, client: TestClient): Promise<string> {
  const { auth_req_id } = await startRequest(tenant, client);
  await approve(tenant, auth_req_id);
  return auth_req_id;
}

/** The first poll of a new pending request, with `proof`: authorization_pending when the proof is good. */
async function pendingPoll(tenant: string, client: TestClient, proof?: string): Promise<Response> {
  const { auth_req_id } = await startRequest(tenant, client);
  return pollWithProof(tenant, client, auth_req_id, proof);
}

/** 400 invalid_dpop_proof, as the token endpoint refuses a proof (RFC 9449 §5). */
async function expectRefusedProof(res: Response, message?: string, description?: RegExp) {
  const body = await expectOAuthError(res, 400, 'invalid_dpop_proof', message);
  if (description) expect(body.error_description, message).toMatch(description);
}

/** 401 `code` with a DPoP challenge naming it, as userinfo refuses (RFC 9449 §7.1). */
async function expectDpopChallenge(res: Response, code: string, message?: string) {
  const challenge = res.headers.get('WWW-Authenticate');
  await expectOAuthError(res, 401, code, message);
  expect(challenge, message).toMatch(new RegExp(`^DPoP error="${code}"`));
}

/** The tokens of an approved request, polled with a proof of `key` (which must answer 200). */
async function dpopTokens(tenant: string, client: TestClient, key: DpopKey): Promise<Tokens & { token_type: string }> {
  const res = await pollWithProof(tenant, client, await approvedRequest(tenant, client), await tokenProof(key, tenant));
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Tokens & { token_type: string };
}

describe('a proof at the token endpoint', () => {
  it('is accepted signed with each algorithm discovery lists', async () => {
    const { tenant, client } = await dpopSetup();
    const listed = ((await (await call(`/${tenant}/as/.well-known/openid-configuration`)).json()) as Record<string, string[]>)
      .dpop_signing_alg_values_supported!;
    expect(listed).toEqual(expect.arrayContaining(['ES256', 'PS256']));
    for (const alg of listed) {
      const res = await pendingPoll(tenant, client, await tokenProof(await dpopKey(alg), tenant));
      await expectOAuthError(res, 400, 'authorization_pending', alg);
    }
  });

  it('must have typ dpop+jwt', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    for (const typ of ['JWT', 'at+jwt', undefined]) {
      const proof = await dpopProof(key, 'POST', tokenUrl(tenant), {}, { typ });
      await expectRefusedProof(await pendingPoll(tenant, client, proof), `typ ${typ}`, /typ/);
    }
  });

  it('must be signed with an asymmetric algorithm of the list: none, HS256 and ES384 are refused', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    const claims = { htm: 'POST', htu: tokenUrl(tenant), iat: now(), jti: newJti() };
    const none = unsignedProof({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk }, claims);
    const hs256 = await new SignJWT({ ...claims, jti: newJti() })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk })
      .sign(crypto.getRandomValues(new Uint8Array(32)));
    const es384 = await tokenProof(await dpopKey('ES384'), tenant);
    for (const [name, proof] of Object.entries({ none, hs256, es384 })) {
      await expectRefusedProof(await pendingPoll(tenant, client, proof), name, /algorithm/);
    }
  });

  it('must carry a public jwk: a private key, or a key with a private member, is refused', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    const privateJwk = await exportJWK(key.privateKey);
    expect(privateJwk).toHaveProperty('d');
    const withK = { ...key.jwk, k: 'c2VjcmV0' };
    for (const [name, jwk] of Object.entries({ privateJwk, withK })) {
      const proof = await dpopProof(key, 'POST', tokenUrl(tenant), {}, { jwk });
      await expectRefusedProof(await pendingPoll(tenant, client, proof), name, /jwk is not a public key/);
    }
    const noJwk = await dpopProof(key, 'POST', tokenUrl(tenant), {}, { jwk: undefined });
    await expectRefusedProof(await pendingPoll(tenant, client, noJwk), 'no jwk');
  });

  it('must verify with the key it carries', async () => {
    const { tenant, client } = await dpopSetup();
    const [signer, other] = await Promise.all([dpopKey(), dpopKey()]);
    const proof = await dpopProof(signer, 'POST', tokenUrl(tenant), {}, { jwk: other.jwk });
    await expectRefusedProof(await pendingPoll(tenant, client, proof), undefined, /signature/);
  });

  it('must name the request method in htm', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    for (const htm of ['GET', 'post', undefined]) {
      await expectRefusedProof(await pendingPoll(tenant, client, await tokenProof(key, tenant, { htm })), `htm ${htm}`, /htm/);
    }
  });

  it("must name the endpoint's URL in htu, without query or fragment; scheme and host compare without case", async () => {
    const { tenant, client } = await dpopSetup();
    const other = await createTenant();
    const key = await dpopKey();
    const url = tokenUrl(tenant);
    for (const htu of [userinfoUrl(tenant), tokenUrl(other), `${url}?x=1`, `${url}#f`, `${url}?`, `${url}/`, 'token', 42, undefined]) {
      await expectRefusedProof(await pendingPoll(tenant, client, await tokenProof(key, tenant, { htu })), `htu ${htu}`, /htu/);
    }
    for (const htu of [url.replace('https://as.example.test', 'HTTPS://AS.Example.TEST'), url.replace('.test/', '.test:443/')]) {
      await expectOAuthError(await pendingPoll(tenant, client, await tokenProof(key, tenant, { htu })), 400, 'authorization_pending', htu);
    }
  });

  it("behind PUBLIC_ORIGIN, htu is the public URL, not the one the Worker was called at", async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    const publicUrl = `https://auth.example.com/${tenant}/as/token`;
    const internalUrl = `http://internal.example:9999/${tenant}/as/token`;
    const viaProxy = async (htu: string) => {
      const { auth_req_id } = await startRequest(tenant, client);
      const request = new Request(internalUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client), DPoP: await dpopProof(key, 'POST', htu) },
        body: new URLSearchParams({ grant_type: CIBA, auth_req_id }),
      });
      return app.fetch(request, { ...env, PUBLIC_ORIGIN: 'https://auth.example.com/' });
    };
    await expectOAuthError(await viaProxy(publicUrl), 400, 'authorization_pending');
    await expectRefusedProof(await viaProxy(internalUrl), 'the internal URL', /htu/);
  });

  it('must have been made within 60 s of now, either way', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    for (const iat of [now() - 90, now() + 90, undefined, String(now())]) {
      await expectRefusedProof(await pendingPoll(tenant, client, await tokenProof(key, tenant, { iat })), `iat ${iat}`, /iat/);
    }
    for (const iat of [now() - 45, now() + 45]) {
      await expectOAuthError(await pendingPoll(tenant, client, await tokenProof(key, tenant, { iat })), 400, 'authorization_pending', `iat ${iat}`);
    }
  });

  it('must carry a jti', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    for (const jti of [undefined, '', 7]) {
      await expectRefusedProof(await pendingPoll(tenant, client, await tokenProof(key, tenant, { jti })), `jti ${jti}`, /jti/);
    }
  });

  it('is accepted once: the same proof again is refused', async () => {
    const { tenant, client } = await dpopSetup();
    const proof = await tokenProof(await dpopKey(), tenant);
    await expectOAuthError(await pendingPoll(tenant, client, proof), 400, 'authorization_pending');
    await expectRefusedProof(await pendingPoll(tenant, client, proof), undefined, /already used/);
  });

  it('spends its jti only once its signature verifies, and per key', async () => {
    const { tenant, client } = await dpopSetup();
    const [key, forger, another] = await Promise.all([dpopKey(), dpopKey(), dpopKey()]);
    const jti = newJti();
    // A forged proof naming key's jwk and this jti is refused and spends nothing.
    const forged = await dpopProof(forger, 'POST', tokenUrl(tenant), { jti }, { jwk: key.jwk });
    await expectRefusedProof(await pendingPoll(tenant, client, forged), undefined, /signature/);
    await expectOAuthError(await pendingPoll(tenant, client, await tokenProof(key, tenant, { jti })), 400, 'authorization_pending');
    await expectOAuthError(await pendingPoll(tenant, client, await tokenProof(another, tenant, { jti })), 400, 'authorization_pending');
  });

  it('comes in exactly one DPoP header', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    const { auth_req_id } = await startRequest(tenant, client);
    const headers = new Headers({ 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client) });
    headers.append('DPoP', await tokenProof(key, tenant));
    headers.append('DPoP', await tokenProof(key, tenant));
    const twice = await call(`/${tenant}/as/token`, { method: 'POST', headers, body: new URLSearchParams({ grant_type: CIBA, auth_req_id }) });
    await expectRefusedProof(twice, 'two headers', /exactly one DPoP header/);
    await expectRefusedProof(await pollWithProof(tenant, client, auth_req_id, ''), 'empty', /exactly one DPoP header/);
    await expectRefusedProof(await pollWithProof(tenant, client, auth_req_id, 'not a jwt'), 'not a JWT');
    // None of them reached the request: this is its first poll.
    await expectOAuthError(await pollWithProof(tenant, client, auth_req_id, await tokenProof(key, tenant)), 400, 'authorization_pending');
  });
});

describe('tokens bound by a proof', () => {
  it('the CIBA grant with a proof gives a DPoP token whose cnf.jkt is the key thumbprint', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    const res = await pollWithProof(tenant, client, await approvedRequest(tenant, client), await tokenProof(key, tenant));
    expect(res.status).toBe(200);
    // No nonces demanded, none sent.
    expect(res.headers.get('DPoP-Nonce')).toBeNull();
    const tokens = (await res.json()) as Tokens & { token_type: string };
    expect(tokens.token_type).toBe('DPoP');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('a Bearer client is unaffected: no proof, a Bearer token without cnf', async () => {
    const { tenant, client } = await dpopSetup();
    const res = await poll(tenant, client, await approvedRequest(tenant, client));
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as Tokens & { token_type: string };
    expect(tokens.token_type).toBe('Bearer');
    expect(decodeJwt(tokens.access_token)).not.toHaveProperty('cnf');
  });

  it('a refresh keeps the binding; without a proof or with another key, 400 and the refresh token unspent', async () => {
    const { tenant, client } = await dpopSetup();
    const [key, other] = await Promise.all([dpopKey(), dpopKey()]);
    const first = await dpopTokens(tenant, client, key);
    await expectRefusedProof(await refreshWithProof(tenant, client, first.refresh_token!), 'no proof');
    await expectRefusedProof(await refreshWithProof(tenant, client, first.refresh_token!, await tokenProof(other, tenant)), 'another key');
    const res = await refreshWithProof(tenant, client, first.refresh_token!, await tokenProof(key, tenant));
    expect(res.status, await res.clone().text()).toBe(200);
    const refreshed = (await res.json()) as Tokens & { token_type: string };
    expect(refreshed.token_type).toBe('DPoP');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('a grant first issued without a proof stays unbound: a refresh with one binds only that access token', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    const first = (await (await poll(tenant, client, await approvedRequest(tenant, client))).json()) as Tokens;
    const res = await refreshWithProof(tenant, client, first.refresh_token!, await tokenProof(key, tenant));
    expect(res.status, await res.clone().text()).toBe(200);
    const bound = (await res.json()) as Tokens & { token_type: string };
    expect(bound.token_type).toBe('DPoP');
    expect(decodeJwt(bound.access_token).cnf).toEqual({ jkt: key.jkt });
    const plain = await refreshWithProof(tenant, client, bound.refresh_token!);
    expect(plain.status, await plain.clone().text()).toBe(200);
    expect(((await plain.json()) as { token_type: string }).token_type).toBe('Bearer');
  });

  it('a client registered with dpop_bound_access_tokens must send a proof; its approval is not consumed without one', async () => {
    const { tenant, client } = await dpopSetup({}, { dpop_bound_access_tokens: true });
    const key = await dpopKey();
    const authReqId = await approvedRequest(tenant, client);
    await expectRefusedProof(await poll(tenant, client, authReqId), undefined, /must send a DPoP proof/);
    const res = await pollWithProof(tenant, client, authReqId, await tokenProof(key, tenant));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { token_type: string }).token_type).toBe('DPoP');
  });

  it('a bad proof is refused before the poll reaches the request: the approval stays and no poll is counted', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    const pending = (await startRequest(tenant, client)).auth_req_id;
    await expectRefusedProof(await pollWithProof(tenant, client, pending, await tokenProof(key, tenant, { htm: 'GET' })));
    // Had the refused poll reached the request, this one, at once, would be slow_down.
    await expectOAuthError(await pollWithProof(tenant, client, pending, await tokenProof(key, tenant)), 400, 'authorization_pending');
    const approved = await approvedRequest(tenant, client);
    await expectRefusedProof(await pollWithProof(tenant, client, approved, await tokenProof(key, tenant, { iat: now() - 600 })));
    expect((await pollWithProof(tenant, client, approved, await tokenProof(key, tenant))).status).toBe(200);
  });
});

describe('userinfo with a DPoP-bound token', () => {
  async function boundToken() {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    const tokens = await dpopTokens(tenant, client, key);
    return { tenant, client, key, token: tokens.access_token };
  }

  it('answers the DPoP scheme with a proof of its key carrying the token hash', async () => {
    const { tenant, key, token } = await boundToken();
    const res = await userinfoWithProof(tenant, token, await userinfoProof(key, tenant, token));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('DPoP-Nonce')).toBeNull();
    expect(await res.json()).toMatchObject({ sub: 'alice' });
  });

  it('as Bearer, without a proof, or with another key: 401 invalid_token with a DPoP challenge', async () => {
    const { tenant, key, token } = await boundToken();
    const other = await dpopKey();
    await expectDpopChallenge(await userinfo(tenant, token), 'invalid_token', 'Bearer');
    await expectDpopChallenge(await userinfoWithProof(tenant, token, await userinfoProof(key, tenant, token), 'Bearer'), 'invalid_token', 'Bearer with a proof');
    await expectDpopChallenge(await userinfoWithProof(tenant, token), 'invalid_token', 'no proof');
    await expectDpopChallenge(await userinfoWithProof(tenant, token, await userinfoProof(other, tenant, token)), 'invalid_token', 'another key');
  });

  it('a proof for another URL or method, without ath or with a wrong one: 401 invalid_dpop_proof with a DPoP challenge', async () => {
    const { tenant, key, token } = await boundToken();
    const ath = await athOf(token);
    const proofs = {
      'the token endpoint': await dpopProof(key, 'GET', tokenUrl(tenant), { ath }),
      POST: await dpopProof(key, 'POST', userinfoUrl(tenant), { ath }),
      'no ath': await userinfoProof(key, tenant, token, { ath: undefined }),
      'ath of another token': await userinfoProof(key, tenant, token, { ath: await athOf(`${token}x`) }),
    };
    for (const [name, proof] of Object.entries(proofs)) {
      await expectDpopChallenge(await userinfoWithProof(tenant, token, proof), 'invalid_dpop_proof', name);
    }
  });

  it('refuses a proof used before', async () => {
    const { tenant, key, token } = await boundToken();
    const proof = await userinfoProof(key, tenant, token);
    expect((await userinfoWithProof(tenant, token, proof)).status).toBe(200);
    await expectDpopChallenge(await userinfoWithProof(tenant, token, proof), 'invalid_dpop_proof');
  });

  it('an unbound token works as Bearer as before, proof or not, and not with the DPoP scheme', async () => {
    const { tenant, client } = await dpopSetup();
    const res = await poll(tenant, client, await approvedRequest(tenant, client));
    const { access_token: token } = (await res.json()) as Tokens;
    expect((await userinfo(tenant, token)).status).toBe(200);
    expect((await userinfoWithProof(tenant, token, await userinfoProof(await dpopKey(), tenant, token), 'Bearer')).status).toBe(200);
    await expectDpopChallenge(await userinfoWithProof(tenant, token, await userinfoProof(await dpopKey(), tenant, token)), 'invalid_token');
  });
});

describe('introspection', () => {
  it('returns cnf and token_type DPoP for a bound token, Bearer and no cnf for another', async () => {
    const { tenant, client } = await dpopSetup();
    const key = await dpopKey();
    const bound = await dpopTokens(tenant, client, key);
    expect(await (await introspect(tenant, client, bound.access_token)).json()).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: key.jkt },
    });
    const plain = (await (await poll(tenant, client, await approvedRequest(tenant, client))).json()) as Tokens;
    const body = (await (await introspect(tenant, client, plain.access_token)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(body).not.toHaveProperty('cnf');
  });
});

describe('nonces (dpop_nonce_required)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The nonce a use_dpop_nonce refusal at the token endpoint gives (which must be one). */
  async function nonceFrom(res: Response): Promise<string> {
    const nonce = res.headers.get('DPoP-Nonce');
    await expectOAuthError(res, 400, 'use_dpop_nonce');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return nonce!;
  }

  it('a proof without a nonce gets use_dpop_nonce and one; the retry with it gets the tokens and a fresh nonce', async () => {
    const { tenant, client } = await dpopSetup({ dpop_nonce_required: true });
    const key = await dpopKey();
    const authReqId = await approvedRequest(tenant, client);
    const nonce = await nonceFrom(await pollWithProof(tenant, client, authReqId, await tokenProof(key, tenant)));
    await nonceFrom(await pollWithProof(tenant, client, authReqId, await tokenProof(key, tenant, { nonce: 'made-up' })));
    const res = await pollWithProof(tenant, client, authReqId, await tokenProof(key, tenant, { nonce }));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('DPoP-Nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeJwt(((await res.json()) as Tokens).access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('userinfo: 401 use_dpop_nonce with a DPoP challenge and a nonce; the retry with it answers, with a nonce', async () => {
    const { tenant, client } = await dpopSetup({ dpop_nonce_required: true });
    const key = await dpopKey();
    const authReqId = await approvedRequest(tenant, client);
    const nonce = await nonceFrom(await pollWithProof(tenant, client, authReqId, await tokenProof(key, tenant)));
    const tokens = (await (await pollWithProof(tenant, client, authReqId, await tokenProof(key, tenant, { nonce }))).json()) as Tokens;
    const refused = await userinfoWithProof(tenant, tokens.access_token, await userinfoProof(key, tenant, tokens.access_token));
    const given = refused.headers.get('DPoP-Nonce');
    expect(given).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expectDpopChallenge(refused, 'use_dpop_nonce');
    const res = await userinfoWithProof(tenant, tokens.access_token, await userinfoProof(key, tenant, tokens.access_token, { nonce: given }));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('DPoP-Nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("another tenant's nonce is refused", async () => {
    const { tenant, client } = await dpopSetup({ dpop_nonce_required: true });
    const elsewhere = await dpopSetup({ dpop_nonce_required: true });
    const key = await dpopKey();
    const theirs = await nonceFrom(await pendingPoll(elsewhere.tenant, elsewhere.client, await tokenProof(key, elsewhere.tenant)));
    const ours = await nonceFrom(await pendingPoll(tenant, client, await tokenProof(key, tenant, { nonce: theirs })));
    expect(ours).not.toBe(theirs);
  });

  it("a nonce serves its window and the next, then is stale", async () => {
    const { tenant, client } = await dpopSetup({ dpop_nonce_required: true });
    const key = await dpopKey();
    const nonce = await nonceFrom(await pendingPoll(tenant, client, await tokenProof(key, tenant)));
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    // Five minutes on: the next window, where the nonce is the previous one's.
    vi.setSystemTime(start + 300_000);
    const next = await pendingPoll(tenant, client, await tokenProof(key, tenant, { nonce }));
    await expectOAuthError(next, 400, 'authorization_pending');
    // Ten minutes on: two windows later, stale; the refusal gives the new one.
    vi.setSystemTime(start + 600_000);
    const fresh = await nonceFrom(await pendingPoll(tenant, client, await tokenProof(key, tenant, { nonce })));
    expect(fresh).not.toBe(nonce);
    await expectOAuthError(await pendingPoll(tenant, client, await tokenProof(key, tenant, { nonce: fresh })), 400, 'authorization_pending');
  });

  it('a Bearer client of such a tenant is unaffected', async () => {
    const { tenant, client } = await dpopSetup({ dpop_nonce_required: true });
    const res = await poll(tenant, client, await approvedRequest(tenant, client));
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as Tokens & { token_type: string };
    expect(tokens.token_type).toBe('Bearer');
    expect((await userinfo(tenant, tokens.access_token)).status).toBe(200);
  });

  it('a tenant that demands none accepts a proof without a nonce and sends none', async () => {
    const { tenant, client } = await dpopSetup();
    const res = await pendingPoll(tenant, client, await tokenProof(await dpopKey(), tenant));
    expect(res.headers.get('DPoP-Nonce')).toBeNull();
    await expectOAuthError(res, 400, 'authorization_pending');
  });
});
