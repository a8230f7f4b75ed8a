// Long polling (contract §8): a client registered with backchannel_long_poll_wait has each pending
// poll held on the request's Durable Object until the request is decided or expires, or the wait
// runs out; the interval rule still applies, and a poll that breaks it is never held.
import { describe, expect, it } from 'vitest';
import { admin, approve, callback, callbackTokenFor, poll, setup, startRequest, type TestClient } from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the response and how long it took; `settled()` says whether it has answered yet. */
function timed(res: Promise<Response>) {
  const started = Date.now();
  let answeredAt: number | undefined;
  const done = res.then((r) => {
    answeredAt = Date.now();
    return r;
  });
  return { done, settled: () => answeredAt !== undefined, tookMs: () => (answeredAt ?? Date.now()) - started };
}

async function longPolling(wait: number, settings: Record<string, unknown> = {}): Promise<{ tenant: string; client: TestClient }> {
  return setup(settings, { backchannel_long_poll_wait: wait });
}

describe('a held poll', () => {
  it('is answered with tokens by an approval made from another request', async () => {
    const { tenant, client } = await longPolling(10);
    const { auth_req_id } = await startRequest(tenant, client);
    const held = timed(poll(tenant, client, auth_req_id));
    await sleep(500);
    expect(held.settled()).toBe(false);
    await approve(tenant, auth_req_id);
    const res = await held.done;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: 'Bearer', authentication_method: 'smart-id' });
    expect(held.tookMs()).toBeLessThan(5000);
  });

  it('is answered access_denied by a denial', async () => {
    const { tenant, client } = await longPolling(10);
    const { auth_req_id } = await startRequest(tenant, client);
    const held = timed(poll(tenant, client, auth_req_id));
    await sleep(300);
    expect(held.settled()).toBe(false);
    const res = await callback(tenant, await callbackTokenFor(tenant, auth_req_id), { status: 'denied' });
    expect(res.status).toBe(204);
    await expectOAuthError(await held.done, 400, 'access_denied');
  });

  it('is answered expired_token when the request expires during the wait', async () => {
    const { tenant, client } = await longPolling(25);
    const { auth_req_id } = await startRequest(tenant, client, { requested_expiry: '2' });
    const held = timed(poll(tenant, client, auth_req_id));
    await expectOAuthError(await held.done, 400, 'expired_token');
    expect(held.tookMs()).toBeGreaterThanOrEqual(1500);
    expect(held.tookMs()).toBeLessThan(10_000);
  });

  it('answers authorization_pending when the wait runs out, and the interval counts from that answer', async () => {
    const { tenant, client } = await longPolling(1, { poll_interval: 1 });
    const { auth_req_id } = await startRequest(tenant, client);
    const held = timed(poll(tenant, client, auth_req_id));
    await expectOAuthError(await held.done, 400, 'authorization_pending');
    expect(held.tookMs()).toBeGreaterThanOrEqual(900);
    // Polled at once after the held answer: too soon, slow_down, not held.
    const quick = timed(poll(tenant, client, auth_req_id));
    const body = await expectOAuthError(await quick.done, 400, 'slow_down');
    expect(body.error_description).toMatch(/6 seconds/);
    expect(quick.tookMs()).toBeLessThan(900);
  });

  it('two polls of one request at once: one is held, the other answers slow_down at once', async () => {
    const { tenant, client } = await longPolling(10);
    const { auth_req_id } = await startRequest(tenant, client);
    const first = timed(poll(tenant, client, auth_req_id));
    await sleep(200);
    const second = timed(poll(tenant, client, auth_req_id));
    await expectOAuthError(await second.done, 400, 'slow_down');
    expect(first.settled()).toBe(false);
    await approve(tenant, auth_req_id);
    expect((await first.done).status).toBe(200);
  });

  it('a client without backchannel_long_poll_wait is answered at once', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    const res = timed(poll(tenant, client, auth_req_id));
    await expectOAuthError(await res.done, 400, 'authorization_pending');
    expect(res.tookMs()).toBeLessThan(900);
  });
});

describe('backchannel_long_poll_wait', () => {
  it('is an integer from 1 to 25 and not for push clients; bad values are 400 naming the member', async () => {
    const { tenant } = await setup();
    const bad = [
      { backchannel_long_poll_wait: 0 },
      { backchannel_long_poll_wait: 26 },
      { backchannel_long_poll_wait: 2.5 },
      { backchannel_long_poll_wait: '10' },
      {
        backchannel_long_poll_wait: 10,
        backchannel_token_delivery_mode: 'push',
        backchannel_client_notification_endpoint: 'https://rp.example.com/cb',
      },
    ];
    for (const metadata of bad) {
      const res = await admin(`/tenants/${tenant}/clients`, 'POST', { client_name: 'X', ...metadata });
      const body = await expectOAuthError(res, 400, 'invalid_client_metadata');
      expect(body.error_description).toMatch(/backchannel_long_poll_wait/);
    }
    const ok = await admin(`/tenants/${tenant}/clients`, 'POST', { client_name: 'X', backchannel_long_poll_wait: 25 });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ backchannel_long_poll_wait: 25 });
  });
});
