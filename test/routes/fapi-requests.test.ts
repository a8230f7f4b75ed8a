// The FAPI-CIBA profile's requests (contract §9, docs/protocol.md §10): a fapi-ciba tenant takes only
// signed backchannel requests that carry a binding_message, only acr_values it can achieve, and only
// approvals that report an acr for them, so the ID token carries acr; and acr_by_method, the acr an
// approval on the device page reports.
import { env } from 'cloudflare:workers';
import { decodeJwt, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientKey as clientRecordKey, type ClientRecord } from '../../src/clients/store.ts';
import {
  CIBA,
  approve,
  callback,
  callbackTokenFor,
  createClient,
  createTenant,
  createUser,
  deviceDecide,
  devicePage,
  issuerOf,
  poll,
  putRecord,
  requestIdOf,
  setup,
  startRequest,
  tenantRef,
  timelineOf,
  type TestClient,
} from '../helpers/api.ts';
import { assertionClaims, clientKey, keyAssertion, postWithAssertion, type ClientKey } from '../helpers/assertions.ts';
import { FAPI_TENANT, fapiClientMetadata } from '../helpers/fapi.ts';
import { dpopKey, tokenProof } from '../helpers/dpop.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

const LOA2 = 'urn:example:loa:2';
const LOA3 = 'urn:example:loa:3';
const now = () => Math.floor(Date.now() / 1000);
let jtis = 0;

interface Party {
  tenant: string;
  client: TestClient;
  key: ClientKey;
}

/** A tenant with alice and a client that fits FAPI-CIBA, whatever the tenant's profile. */
async function party(settings: Record<string, unknown> = FAPI_TENANT): Promise<Party> {
  const tenant = await createTenant(settings);
  await createUser(tenant);
  const key = await clientKey('PS256');
  const client = await createClient(tenant, await fapiClientMetadata(key));
  return { tenant, client, key };
}

/** FAPI-CIBA's request object (CIBA §7.1.1) for alice, with `claims` beside the standard ones. */
function requestObject({ tenant, client, key }: Party, claims: Record<string, unknown>): Promise<string> {
  const standard: JWTPayload = { iss: client.client_id, aud: issuerOf(tenant), iat: now(), nbf: now(), exp: now() + 300, jti: `ro-${jtis++}-${Math.random()}` };
  return keyAssertion({ ...standard, scope: 'openid', login_hint: 'alice@example.com', ...claims }, key);
}

/** Posts `params` to an endpoint, the client authenticated by private_key_jwt. */
async function send({ tenant, client, key }: Party, endpoint: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  return postWithAssertion(tenant, endpoint, await keyAssertion(assertionClaims(tenant, client.client_id), key), params, headers);
}

/** A signed backchannel request with `claims`, which must be taken; its auth_req_id. */
async function started(p: Party, claims: Record<string, unknown>): Promise<string> {
  const res = await send(p, '/cibaAuthorization', { request: await requestObject(p, claims) });
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status: 200 });
  return (JSON.parse(text) as { auth_req_id: string }).auth_req_id;
}

/**
 * The client's stored record with `metadata` changed behind the admin API's back: a client registered
 * under ciba while the tenant switched (KV's listing lags: docs/operations.md).
 */
async function editStoredClient({ tenant, client }: Party, edit: (metadata: ClientRecord['metadata']) => void): Promise<void> {
  const key = clientRecordKey(await tenantRef(tenant), client.client_id);
  const record = (await env.CONFIG.get<ClientRecord>(key, 'json'))!;
  edit(record.metadata);
  await putRecord(key, JSON.stringify(record));
}

/** Polls, with a DPoP proof as the profile's client must, for the tokens of an approved request; their claims. */
async function tokensOf(p: Party, authReqId: string): Promise<{ id: JWTPayload; access: JWTPayload }> {
  const proof = await tokenProof(await dpopKey(), p.tenant);
  const res = await send(p, '/token', { grant_type: CIBA, auth_req_id: authReqId }, { DPoP: proof });
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status: 200 });
  const body = JSON.parse(text) as { id_token: string; access_token: string };
  return { id: decodeJwt(body.id_token), access: decodeJwt(body.access_token) };
}

describe('the backchannel endpoint under fapi-ciba', () => {
  let fapi: Party;
  beforeAll(async () => {
    fapi = await party();
  });

  it('takes a signed request with a binding_message', async () => {
    const authReqId = await started(fapi, { binding_message: 'Pay 42 EUR' });
    expect((await timelineOf(fapi.tenant, authReqId)).status).toBe('pending');
  });

  it('refuses an unsigned request: invalid_request', async () => {
    const form = { scope: 'openid', login_hint: 'alice@example.com', binding_message: 'Pay 42 EUR' };
    await expectOAuthError(await send(fapi, '/cibaAuthorization', form), 400, 'invalid_request');
  });

  it('refuses an unsigned request even from a client stored without a request signing algorithm', async () => {
    const p = await party();
    await editStoredClient(p, (metadata) => delete metadata.backchannel_authentication_request_signing_alg);
    const form = { scope: 'openid', login_hint: 'alice@example.com', binding_message: 'Pay 42 EUR' };
    await expectOAuthError(await send(p, '/cibaAuthorization', form), 400, 'invalid_request');
  });

  it('refuses a signed request without binding_message: invalid_binding_message; a ciba tenant takes it', async () => {
    const res = await send(fapi, '/cibaAuthorization', { request: await requestObject(fapi, {}) });
    const body = await expectOAuthError(res, 400, 'invalid_binding_message');
    expect(body.error_description).toMatch(/binding_message is required/);
    await started(await party({}), {});
  });

  it('takes only acr_values the tenant can achieve (acr_values_supported or acr_by_method); a ciba tenant takes any', async () => {
    const p = await party({ ...FAPI_TENANT, acr_values_supported: [LOA2], acr_by_method: { 'app-biometrics': LOA3 } });
    const refused = await send(p, '/cibaAuthorization', {
      request: await requestObject(p, { binding_message: 'Pay 1 EUR', acr_values: 'urn:example:loa:9 urn:other' }),
    });
    const body = await expectOAuthError(refused, 400, 'invalid_request');
    expect(body.error_description).toMatch(/^acr_values:/);
    await started(p, { binding_message: 'Pay 2 EUR', acr_values: `urn:example:loa:9 ${LOA2}` });
    await started(p, { binding_message: 'Pay 3 EUR', acr_values: LOA3 });
    await started(await party({ acr_values_supported: [LOA2] }), { acr_values: 'urn:example:loa:9' });
  });
});

describe('a login_hint_token under fapi-ciba', () => {
  it('is verified only with PS256 or ES256; a ciba tenant takes RS256 too', async () => {
    const issuer = 'https://idp.example.com';
    const [rs, es] = await Promise.all([clientKey('RS256'), clientKey('ES256')]);
    const trusted_hint_issuers = [{ issuer, jwks: { keys: [rs.publicJwk, es.publicJwk] } }];
    const hint = (key: ClientKey) =>
      keyAssertion({ iss: issuer, sub_id: { format: 'email', email: 'alice@example.com' }, iat: now(), exp: now() + 300 }, key, { typ: 'JWT' });
    const fapi = await party({ ...FAPI_TENANT, trusted_hint_issuers });
    const claims = async (key: ClientKey) => ({ login_hint: undefined, login_hint_token: await hint(key), binding_message: 'Pay 8 EUR' });
    const refused = await send(fapi, '/cibaAuthorization', { request: await requestObject(fapi, await claims(rs)) });
    await expectOAuthError(refused, 400, 'invalid_request');
    await started(fapi, await claims(es));
    await started(await party({ trusted_hint_issuers }), await claims(rs));
  });
});

describe('acr in the ID token under fapi-ciba', () => {
  it('an approval of a request with acr_values must report an acr; the ID and access tokens carry it', async () => {
    const p = await party({ ...FAPI_TENANT, acr_values_supported: [LOA2, LOA3] });
    const authReqId = await started(p, { binding_message: 'Pay 5 EUR', acr_values: LOA3 });
    const token = await callbackTokenFor(p.tenant, authReqId);
    const bare = await callback(p.tenant, token, { status: 'approved', authentication_method: 'smart-id' });
    const body = await expectOAuthError(bare, 400, 'invalid_request');
    expect(body.error_description).toMatch(/acr is required/);
    expect((await timelineOf(p.tenant, authReqId)).status).toBe('pending');

    await approve(p.tenant, authReqId, { acr: LOA2 });
    const { id, access } = await tokensOf(p, authReqId);
    // The level achieved (OpenID Connect Core §2), which need not be the one asked for.
    expect(id.acr).toBe(LOA2);
    expect(access.acr).toBe(LOA2);
  });

  it('an approval of a request without acr_values needs none', async () => {
    const p = await party();
    const authReqId = await started(p, { binding_message: 'Pay 6 EUR' });
    await approve(p.tenant, authReqId);
    expect((await tokensOf(p, authReqId)).id).not.toHaveProperty('acr');
  });

  it('on the device page, a method that maps to no acr cannot approve it, and the request stays for one that does', async () => {
    const p = await party({ ...FAPI_TENANT, acr_by_method: { 'app-biometrics': LOA3 } });
    const authReqId = await started(p, { binding_message: 'Pay 7 EUR', acr_values: LOA3 });
    const request_id = requestIdOf(authReqId);
    const refused = await deviceDecide(p.tenant, { request_id, decision: 'approved', authentication_method: 'smart-id' });
    await expectOAuthError(refused, 400, 'invalid_request');
    expect(await devicePage(p.tenant)).toContain('Pay 7 EUR');

    const approved = await deviceDecide(p.tenant, { request_id, decision: 'approved', authentication_method: 'app-biometrics' });
    expect(approved.status).toBe(303);
    expect((await tokensOf(p, authReqId)).id.acr).toBe(LOA3);
  });
});

describe('acr_by_method on the device page', () => {
  it('an approval reports the acr its method maps to, which the ID and access tokens carry; an unmapped method reports none', async () => {
    const { tenant, client } = await setup({ acr_by_method: { 'app-biometrics': LOA3, 'app-passcode': LOA2 } });
    const tokensAfter = async (authentication_method: string) => {
      const { auth_req_id } = await startRequest(tenant, client);
      const decided = await deviceDecide(tenant, { request_id: requestIdOf(auth_req_id), decision: 'approved', authentication_method });
      expect(decided.status).toBe(303);
      const body = (await (await poll(tenant, client, auth_req_id)).json()) as { id_token: string; access_token: string };
      return { id: decodeJwt(body.id_token), access: decodeJwt(body.access_token) };
    };
    const biometrics = await tokensAfter('app-biometrics');
    expect(biometrics.id.acr).toBe(LOA3);
    expect(biometrics.access.acr).toBe(LOA3);
    expect((await tokensAfter('app-passcode')).id.acr).toBe(LOA2);
    expect((await tokensAfter('smart-id')).id).not.toHaveProperty('acr');
  });
});
