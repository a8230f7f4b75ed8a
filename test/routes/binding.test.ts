// What-you-see binding (contract §8): the binding_message is a claim of the ID and access tokens and
// of introspection; the webhook payload carries display_hash, the digest of what the user is shown;
// an approval that echoes a wrong one decides nothing; the timeline records a confirmed display.
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  admin,
  approve,
  basic,
  callback,
  callbackTokenFor,
  createClient,
  deviceDecide,
  devicePage,
  poll,
  postForm,
  requestIdOf,
  setup,
  startRequest,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import { newBox, received, script, webhookTenant } from '../helpers/receiver.ts';

/** The contract's display_hash, computed here independently of the server's code. */
async function expectedDisplayHash(shown: { binding_message: string | null; authorization_details: unknown; client_name: string; scope: string }) {
  const json = JSON.stringify({
    binding_message: shown.binding_message,
    authorization_details: shown.authorization_details,
    client_name: shown.client_name,
    scope: shown.scope,
  });
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(json)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const eventsOf = async (tenant: string, authReqId: string) =>
  ((await (await admin(`/tenants/${tenant}/requests/${requestIdOf(authReqId)}`)).json()) as {
    events: { event: string; display_confirmed?: boolean }[];
  }).events;

describe('binding_message in the tokens', () => {
  it('is a claim of the ID token, the access token and introspection, and survives a refresh', async () => {
    const { tenant, client } = await setup({}, { grant_types: ['urn:openid:params:grant-type:ciba', 'refresh_token'] });
    const { auth_req_id } = await startRequest(tenant, client, { binding_message: 'Pay 42 EUR to Ümit' });
    await approve(tenant, auth_req_id);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as Record<string, string>;
    expect(decodeJwt(tokens.id_token!).binding_message).toBe('Pay 42 EUR to Ümit');
    expect(decodeJwt(tokens.access_token!).binding_message).toBe('Pay 42 EUR to Ümit');
    const introspected = await postForm(`/${tenant}/as/introspect`, { token: tokens.access_token! }, { Authorization: basic(client) });
    expect(await introspected.json()).toMatchObject({ active: true, binding_message: 'Pay 42 EUR to Ümit' });
    const refreshed = await postForm(
      `/${tenant}/as/token`,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
      { Authorization: basic(client) },
    );
    const again = (await refreshed.json()) as Record<string, string>;
    expect(decodeJwt(again.id_token!).binding_message).toBe('Pay 42 EUR to Ümit');
    expect(decodeJwt(again.access_token!).binding_message).toBe('Pay 42 EUR to Ümit');
  });

  it('is absent when the request had none', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as Record<string, string>;
    expect(decodeJwt(tokens.id_token!)).not.toHaveProperty('binding_message');
    expect(decodeJwt(tokens.access_token!)).not.toHaveProperty('binding_message');
  });
});

describe('display_hash', () => {
  it('the webhook payload carries the digest of what the user is shown', async () => {
    const box = newBox();
    await script(box, [{ status: 200, body: { sub: 'bank-user-1' } }]);
    const tenant = await webhookTenant(box);
    const client = await createClient(tenant, { client_name: 'Bank Ö' });
    const res = await postForm(
      `/${tenant}/as/cibaAuthorization`,
      { scope: 'openid email', login_hint: 'u1', binding_message: 'Pay 42 EUR' },
      { Authorization: basic(client) },
    );
    expect(res.status).toBe(200);
    const [request] = await received(box);
    const { data } = JSON.parse(request!.body) as { data: { display_hash: string } };
    expect(data.display_hash).toBe(
      await expectedDisplayHash({ binding_message: 'Pay 42 EUR', authorization_details: null, client_name: 'Bank Ö', scope: 'openid email' }),
    );
  });

  it('an approval echoing the right one is recorded as confirmed; a wrong one is 400 and decides nothing', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client, { binding_message: 'Pay 42 EUR' });
    const token = await callbackTokenFor(tenant, auth_req_id);
    const right = await expectedDisplayHash({ binding_message: 'Pay 42 EUR', authorization_details: null, client_name: 'Test Bank', scope: 'openid' });
    const wrong = await expectedDisplayHash({ binding_message: 'Pay 4200 EUR', authorization_details: null, client_name: 'Test Bank', scope: 'openid' });

    const refused = await callback(tenant, token, { status: 'approved', authentication_method: 'smart-id', display_hash: wrong });
    expect((await expectOAuthError(refused, 400, 'invalid_request')).error_description).toMatch(/display_hash/);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
    const malformed = await callback(tenant, token, { status: 'approved', authentication_method: 'smart-id', display_hash: 'short' });
    await expectOAuthError(malformed, 400, 'invalid_request');

    const accepted = await callback(tenant, token, { status: 'approved', authentication_method: 'smart-id', display_hash: right });
    expect(accepted.status).toBe(204);
    const approved = (await eventsOf(tenant, auth_req_id)).find((e) => e.event === 'approved');
    expect(approved?.display_confirmed).toBe(true);
  });

  it('an approval without one still works, and is not recorded as confirmed', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    const approved = (await eventsOf(tenant, auth_req_id)).find((e) => e.event === 'approved');
    expect(approved).toBeDefined();
    expect(approved).not.toHaveProperty('display_confirmed');
  });

  it('the device page echoes what it showed, so its approvals are confirmed', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client, { binding_message: 'Sign in to Test Bank' });
    const page = await devicePage(tenant);
    const displayHash = /name="display_hash" value="([^"]+)"/.exec(page)?.[1];
    expect(displayHash).toBe(
      await expectedDisplayHash({ binding_message: 'Sign in to Test Bank', authorization_details: null, client_name: 'Test Bank', scope: 'openid' }),
    );
    const res = await deviceDecide(tenant, {
      request_id: requestIdOf(auth_req_id),
      decision: 'approved',
      authentication_method: 'app-passcode',
      display_hash: displayHash!,
    });
    expect(res.status).toBe(303);
    expect((await eventsOf(tenant, auth_req_id)).find((e) => e.event === 'approved')?.display_confirmed).toBe(true);
  });
});
