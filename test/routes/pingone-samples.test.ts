// PingOne's documented CIBA sample requests (../shared/seeds/pingone-ciba-authorize.txt and
// pingone-ciba-token.txt), for its four client authentication methods, sent as written: the same
// paths under {{authPath}}/{{envID}}, the same headers, the same form fields in the same order, with
// {{authPath}} our origin, {{envID}} a tenant id and the other placeholders real values.
import { describe, expect, it } from 'vitest';
import { ORIGIN, approve, call, createClient, setup } from '../helpers/api.ts';
import { assertionClaims, clientKey, hmacAssertion, keyAssertion } from '../helpers/assertions.ts';

/** `curl --data-urlencode` pairs, in order, as a form body; `headers` as the sample sets them. */
function sample(envID: string, endpoint: string, fields: Array<[string, string]>, headers: Record<string, string> = {}) {
  expect(ORIGIN).toBe('https://as.example.test'); // {{authPath}}
  return call(`/${envID}/as/${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'),
  });
}

const CIBA = 'urn:openid:params:grant-type:ciba';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe("PingOne's sample requests run unchanged", () => {
  it('CLIENT_SECRET_BASIC: Authorization: Basic base64(appID:appSecret)', async () => {
    const { tenant: envID, client } = await setup();
    const authorization = `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`;
    const res = await sample(envID, 'cibaAuthorization', [['login_hint', 'alice@example.com'], ['scope', 'openid']], { Authorization: authorization });
    expect(res.status).toBe(200);
    const { auth_req_id: cibaAuthID } = (await res.json()) as { auth_req_id: string };
    await approve(envID, cibaAuthID);
    const token = await sample(envID, 'token', [['grant_type', CIBA], ['auth_req_id', cibaAuthID]], { Authorization: authorization });
    expect(token.status).toBe(200);
  });

  it('CLIENT_SECRET_POST: client_id and client_secret in the body', async () => {
    const { tenant: envID } = await setup();
    const app = await createClient(envID, { token_endpoint_auth_method: 'client_secret_post' });
    const res = await sample(envID, 'cibaAuthorization', [
      ['client_id', app.client_id],
      ['client_secret', app.client_secret],
      ['login_hint', 'alice@example.com'],
      ['scope', 'openid'],
    ]);
    expect(res.status).toBe(200);
    const { auth_req_id: cibaAuthID } = (await res.json()) as { auth_req_id: string };
    await approve(envID, cibaAuthID);
    const token = await sample(envID, 'token', [
      ['client_id', app.client_id],
      ['client_secret', app.client_secret],
      ['auth_req_id', cibaAuthID],
      ['grant_type', CIBA],
    ]);
    expect(token.status).toBe(200);
  });

  it.each([
    [
      'CLIENT_SECRET_JWT',
      async (envID: string) => {
        const app = await createClient(envID, { token_endpoint_auth_method: 'client_secret_jwt' });
        return () => hmacAssertion(assertionClaims(envID, app.client_id), app.client_secret); // {{clientSecretJWT}}
      },
    ],
    [
      'PRIVATE_KEY_JWT',
      async (envID: string) => {
        const key = await clientKey('RS256');
        const app = await createClient(envID, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
        return () => keyAssertion(assertionClaims(envID, app.client_id), key); // {{privateKeyJWT}}
      },
    ],
  ])('%s: client_assertion and client_assertion_type, no client_id', async (_method, register) => {
    const { tenant: envID } = await setup();
    const assertion = await register(envID);
    const res = await sample(envID, 'cibaAuthorization', [
      ['client_assertion', await assertion()],
      ['client_assertion_type', JWT_BEARER],
      ['login_hint', 'alice@example.com'],
      ['scope', 'openid'],
    ]);
    expect(res.status).toBe(200);
    const { auth_req_id: cibaAuthID } = (await res.json()) as { auth_req_id: string };
    await approve(envID, cibaAuthID);
    const token = await sample(envID, 'token', [
      ['client_assertion', await assertion()],
      ['client_assertion_type', JWT_BEARER],
      ['auth_req_id', cibaAuthID],
      ['grant_type', CIBA],
    ]);
    expect(token.status).toBe(200);
  });
});
