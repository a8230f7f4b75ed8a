// Cancellation by the RP (contract §8): POST {issuer}/ciba/cancel answers 200 {} whatever the
// auth_req_id; a pending or approved-but-unredeemed request of the caller becomes cancelled and is
// never honoured; the user's device is told; nothing else changes.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  approve,
  basic,
  callback,
  callbackTokenFor,
  createClient,
  devicePage,
  poll,
  postForm,
  requestIdOf,
  setup,
  startRequest,
  cancelRequest,
  timelineOf,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import { WEBHOOK_SECRET, newBox, script, waitForReceived, webhookTenant } from '../helpers/receiver.ts';

async function expectEmptyOk(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get('Cache-Control')).toBe('no-store');
  expect(await res.json()).toEqual({});
}

describe('cancelling a request', () => {
  it('a pending request: polls answer invalid_grant, the callback 410, the device page drops it', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client, { binding_message: 'Cancel me' });
    const callbackToken = await callbackTokenFor(tenant, auth_req_id);
    expect(await devicePage(tenant)).toContain('Cancel me');

    await expectEmptyOk(await cancelRequest(tenant, client, auth_req_id));
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'invalid_grant');
    await expectOAuthError(await callback(tenant, callbackToken, { status: 'approved', authentication_method: 'smart-id' }), 410, 'expired_token');
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'invalid_grant');
    expect(await devicePage(tenant)).not.toContain('Cancel me');
    const timeline = await timelineOf(tenant, auth_req_id);
    expect(timeline.status).toBe('cancelled');
    expect(timeline.events.map((e) => e.event)).toContain('cancelled');
  });

  it('an approved request not yet redeemed: no tokens are ever issued for it', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    await approve(tenant, auth_req_id);
    await expectEmptyOk(await cancelRequest(tenant, client, auth_req_id));
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'invalid_grant');
  });

  it('wakes a held long poll, which answers invalid_grant', async () => {
    const { tenant, client } = await setup({}, { backchannel_long_poll_wait: 10 });
    const { auth_req_id } = await startRequest(tenant, client);
    const held = poll(tenant, client, auth_req_id);
    await new Promise((r) => setTimeout(r, 300));
    await expectEmptyOk(await cancelRequest(tenant, client, auth_req_id));
    await expectOAuthError(await held, 400, 'invalid_grant');
  });

  it('answers 200 {} and changes nothing for an unknown, malformed, foreign, denied or redeemed auth_req_id', async () => {
    const { tenant, client } = await setup();
    const other = await createClient(tenant);
    const foreign = await startRequest(tenant, other);
    await expectEmptyOk(await cancelRequest(tenant, client, foreign.auth_req_id));
    await expectEmptyOk(await cancelRequest(tenant, client, 'not-an-auth-req-id'));
    await expectEmptyOk(await cancelRequest(tenant, client, `${foreign.auth_req_id.slice(0, 30)}${'A'.repeat(24)}`));
    await approve(tenant, foreign.auth_req_id);
    expect((await poll(tenant, other, foreign.auth_req_id)).status).toBe(200);

    const redeemed = await startRequest(tenant, client);
    await approve(tenant, redeemed.auth_req_id);
    expect((await poll(tenant, client, redeemed.auth_req_id)).status).toBe(200);
    await expectEmptyOk(await cancelRequest(tenant, client, redeemed.auth_req_id));
    expect((await timelineOf(tenant, redeemed.auth_req_id)).status).toBe('redeemed');

    const denied = await startRequest(tenant, client);
    const res = await callback(tenant, await callbackTokenFor(tenant, denied.auth_req_id), { status: 'denied' });
    expect(res.status).toBe(204);
    await expectEmptyOk(await cancelRequest(tenant, client, denied.auth_req_id));
    await expectOAuthError(await poll(tenant, client, denied.auth_req_id), 400, 'access_denied');
  });

  it('needs the auth_req_id and an authenticated client', async () => {
    const { tenant, client } = await setup();
    await expectOAuthError(await cancelRequest(tenant, client), 400, 'invalid_request');
    const res = await postForm(`/${tenant}/as/ciba/cancel`, { auth_req_id: 'x' }, { Authorization: basic({ ...client, client_secret: 'wrong' }) });
    await expectOAuthError(res, 401, 'invalid_client');
  });

  it('racing an approval ends in one outcome: cancelled, never tokens', async () => {
    const { tenant, client } = await setup();
    for (let i = 0; i < 5; i++) {
      const { auth_req_id } = await startRequest(tenant, client);
      const token = await callbackTokenFor(tenant, auth_req_id);
      const [decided, cancelled] = await Promise.all([
        callback(tenant, token, { status: 'approved', authentication_method: 'smart-id' }),
        cancelRequest(tenant, client, auth_req_id),
      ]);
      await expectEmptyOk(cancelled);
      // Approved first (204), then cancelled; or cancelled first, and the approval finds it gone (410).
      expect([204, 410]).toContain(decided.status);
      await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'invalid_grant');
      const events = (await timelineOf(tenant, auth_req_id)).events.map((e) => e.event);
      expect(events.filter((e) => e === 'cancelled')).toHaveLength(1);
      expect(events.includes('approved')).toBe(decided.status === 204);
      expect(events).not.toContain('redeemed');
    }
  });

  it('a webhook authenticator is told with a signed ciba.authentication_cancelled', async () => {
    const box = newBox();
    await script(box, [{ status: 200, body: { sub: 'bank-user-1' } }, { status: 204 }]);
    const tenant = await webhookTenant(box);
    const client = await createClient(tenant);
    const res = await postForm(`/${tenant}/as/cibaAuthorization`, { scope: 'openid', login_hint: 'u1' }, { Authorization: basic(client) });
    expect(res.status).toBe(200);
    const { auth_req_id } = (await res.json()) as { auth_req_id: string };
    await expectEmptyOk(await cancelRequest(tenant, client, auth_req_id));
    const [, told] = await waitForReceived(box, 2);
    expect(new Webhook(WEBHOOK_SECRET).verify(told!.body, told!.headers)).toEqual({
      type: 'ciba.authentication_cancelled',
      data: { request_id: requestIdOf(auth_req_id), tenant },
    });
  });
});
