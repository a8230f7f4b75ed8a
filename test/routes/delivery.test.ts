// Ping and push delivery (CIBA §10.2, §10.3; contract §4) to a real HTTP receiver: what is sent, the
// retries from the request's alarm, what is final, expiry, and what the timeline shows.
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { authRequestStub } from '../../src/ciba/auth-req-id.ts';
import { keysKey } from '../../src/keys/store.ts';
import { CIBA, admin, approve, backchannel, callback, callbackTokenFor, poll, requestIdOf, putRecord, tenantRef, type TestClient } from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import { boxUrl, clientInDevelopment, newBox, notifiedSetup, received, script, waitForReceived } from '../helpers/receiver.ts';

const NOTIFICATION_TOKEN = 'rp-notification-token.8f3a_b-~+/';

async function start(tenant: string, client: TestClient, params: Record<string, string> = {}) {
  const res = await backchannel(tenant, client, {
    scope: 'openid',
    login_hint: 'alice@example.com',
    client_notification_token: NOTIFICATION_TOKEN,
    ...params,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { auth_req_id: string; expires_in: number; interval?: number };
}

interface TimelineEvent {
  event: string;
  kind?: string;
  attempt?: number;
  result?: string;
  status?: number;
}

async function timelineOf(tenant: string, authReqId: string): Promise<TimelineEvent[]> {
  const res = await admin(`/tenants/${tenant}/requests/${requestIdOf(authReqId)}`);
  return res.status === 200 ? ((await res.json()) as { events: TimelineEvent[] }).events : [];
}

const attemptsIn = (events: TimelineEvent[]) => events.filter((e) => e.event === 'delivery_attempted');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ping', () => {
  it('POSTs exactly {auth_req_id} with the bearer notification token, and the tokens are then polled without slow_down', async () => {
    const box = newBox();
    const { tenant, client } = await notifiedSetup('ping', box);
    const { auth_req_id, interval } = await start(tenant, client);
    expect(interval).toBe(5);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
    await approve(tenant, auth_req_id);
    const [ping] = await waitForReceived(box, 1);
    expect(ping!.method).toBe('POST');
    expect(ping!.headers.authorization).toBe(`Bearer ${NOTIFICATION_TOKEN}`);
    expect(ping!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(ping!.body)).toEqual({ auth_req_id });
    // Right after the ping, well within the interval: the tokens.
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
    const attempts = attemptsIn(await timelineOf(tenant, auth_req_id));
    expect(attempts).toEqual([expect.objectContaining({ kind: 'ping', attempt: 1, result: 'delivered', status: 204 })]);
  });

  it('a denial is pinged too, and polling then answers access_denied', async () => {
    const box = newBox();
    const { tenant, client } = await notifiedSetup('ping', box);
    const { auth_req_id } = await start(tenant, client);
    expect((await callback(tenant, await callbackTokenFor(tenant, auth_req_id), { status: 'denied' })).status).toBe(204);
    expect(JSON.parse((await waitForReceived(box, 1))[0]!.body)).toEqual({ auth_req_id });
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'access_denied');
  });

  it('retries a 500 with backoff: 500, 500, then 204 lands on the third attempt', async () => {
    const box = newBox();
    await script(box, [{ status: 500 }, { status: 500 }, { status: 204 }]);
    const { tenant, client } = await notifiedSetup('ping', box);
    const { auth_req_id } = await start(tenant, client);
    await approve(tenant, auth_req_id);
    const log = await waitForReceived(box, 3, 10_000);
    expect(log).toHaveLength(3);
    // 1 s after the first failure, 2 s after the second.
    expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(900);
    expect(log[2]!.at - log[1]!.at).toBeGreaterThanOrEqual(1900);
    await sleep(300);
    const attempts = attemptsIn(await timelineOf(tenant, auth_req_id));
    expect(attempts.map((a) => [a.attempt, a.result, a.status])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'delivered', 204],
    ]);
    // Whatever happened to the pings, the tokens are still there for the polling.
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
  }, 20_000);

  it.each([
    ['a redirect, not followed', { status: 302, headers: { Location: '/elsewhere' } }, 302],
    ['a 4xx', { status: 401 }, 401],
  ])('%s is final: one attempt', async (_name, answer, status) => {
    const box = newBox();
    await script(box, [answer]);
    const { tenant, client } = await notifiedSetup('ping', box);
    const { auth_req_id } = await start(tenant, client);
    await approve(tenant, auth_req_id);
    await waitForReceived(box, 1);
    await sleep(2500);
    expect(await received(box)).toHaveLength(1);
    expect(await received('elsewhere')).toHaveLength(0);
    expect(attemptsIn(await timelineOf(tenant, auth_req_id))).toEqual([
      expect.objectContaining({ attempt: 1, result: 'refused', status }),
    ]);
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
  }, 15_000);

  it('an endpoint that hangs is given up at 5 s and tried again', async () => {
    const box = newBox();
    await script(box, [{ status: 204, delayMs: 8000 }, { status: 204 }]);
    const { tenant, client } = await notifiedSetup('ping', box);
    const { auth_req_id } = await start(tenant, client);
    await approve(tenant, auth_req_id);
    const log = await waitForReceived(box, 2, 12_000);
    expect(log).toHaveLength(2);
    const gap = log[1]!.at - log[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(5800);
    expect(gap).toBeLessThan(8000);
    await sleep(300);
    expect(attemptsIn(await timelineOf(tenant, auth_req_id)).map((a) => a.result)).toEqual(['failed', 'delivered']);
  }, 20_000);

  it('an endpoint down until after expiry: attempts stop at expiry, nothing crashes or loops, nothing is sent on expiry', async () => {
    const box = newBox();
    await script(box, [{ status: 503 }]);
    const { tenant, client } = await notifiedSetup('ping', box);
    const { auth_req_id } = await start(tenant, client, { requested_expiry: '4' });
    await approve(tenant, auth_req_id);
    await sleep(6000);
    const count = (await received(box)).length;
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThanOrEqual(3);
    await sleep(2000);
    expect(await received(box)).toHaveLength(count);
    const events = await timelineOf(tenant, auth_req_id);
    expect(events.map((e) => e.event)).toContain('expired');
    expect(events.find((e) => e.event === 'delivery_abandoned')).toMatchObject({ kind: 'ping' });
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'expired_token');
  }, 20_000);

  it('a request that expires undecided sends nothing', async () => {
    const box = newBox();
    const { tenant, client } = await notifiedSetup('ping', box);
    const { auth_req_id } = await start(tenant, client, { requested_expiry: '2' });
    await sleep(3500);
    expect(await received(box)).toHaveLength(0);
    expect((await timelineOf(tenant, auth_req_id)).map((e) => e.event)).toContain('expired');
  }, 10_000);

  it('requires a client_notification_token of b64token syntax', async () => {
    const { tenant, client } = await notifiedSetup('ping', newBox());
    const without = await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com' });
    await expectOAuthError(without, 400, 'invalid_request');
    const bad = await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com', client_notification_token: 'has space' });
    await expectOAuthError(bad, 400, 'invalid_request');
  });
});

interface Pushed {
  auth_req_id: string;
  access_token: string;
  id_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  authentication_method: string;
}

async function atHashOf(accessToken: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
  let binary = '';
  for (const b of digest.subarray(0, 16)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

describe('push', () => {
  it('pushes the token response with auth_req_id; the ID token carries the auth_req_id and at_hash; no interval; no polling', async () => {
    const box = newBox();
    const { tenant, client } = await notifiedSetup('push', box);
    const ack = await start(tenant, client);
    expect(Object.keys(ack).sort()).toEqual(['auth_req_id', 'expires_in']);
    await expectOAuthError(await poll(tenant, client, ack.auth_req_id), 400, 'unauthorized_client');
    await approve(tenant, ack.auth_req_id, { authentication_method: 'app-passcode' });
    const [push] = await waitForReceived(box, 1);
    expect(push!.headers.authorization).toBe(`Bearer ${NOTIFICATION_TOKEN}`);
    const body = JSON.parse(push!.body) as Pushed;
    expect(body).toMatchObject({ auth_req_id: ack.auth_req_id, token_type: 'Bearer', scope: 'openid', authentication_method: 'app-passcode' });
    const claims = decodeJwt(body.id_token);
    expect(claims['urn:openid:params:jwt:claim:auth_req_id']).toBe(ack.auth_req_id);
    expect(claims.at_hash).toBe(await atHashOf(body.access_token));
    expect(claims.sub).toBe('alice');
    await sleep(300);
    const events = await timelineOf(tenant, ack.auth_req_id);
    expect(events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['approved', 'tokens_issued', 'delivery_attempted']),
    );
    expect(JSON.stringify(events)).not.toContain(body.access_token.split('.')[2]!);
  });

  it('a push client with the refresh_token grant gets a refresh token, bound by rt_hash', async () => {
    const box = newBox();
    const { tenant } = await notifiedSetup('push', box);
    const client = await clientInDevelopment(tenant, {
      backchannel_token_delivery_mode: 'push',
      backchannel_client_notification_endpoint: boxUrl(box),
      grant_types: [CIBA, 'refresh_token'],
    });
    const { auth_req_id } = await start(tenant, client);
    await approve(tenant, auth_req_id);
    const body = JSON.parse((await waitForReceived(box, 1))[0]!.body) as Pushed & { refresh_token: string };
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{112}$/);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body.refresh_token)));
    let binary = '';
    for (const b of digest.subarray(0, 16)) binary += String.fromCharCode(b);
    const rtHash = btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(decodeJwt(body.id_token)['urn:openid:params:jwt:claim:rt_hash']).toBe(rtHash);
  });

  it.each([302, 307])('a %d redirect is not followed: one attempt, refused, and the redirect’s target receives nothing', async (status) => {
    const box = newBox();
    const target = newBox();
    await script(box, [{ status, headers: { Location: boxUrl(target) } }]);
    const { tenant, client } = await notifiedSetup('push', box);
    const { auth_req_id } = await start(tenant, client);
    await approve(tenant, auth_req_id);
    const [push] = await waitForReceived(box, 1);
    expect(JSON.parse(push!.body)).toMatchObject({ auth_req_id, access_token: expect.any(String) });
    // A failed attempt would be retried 1 s later.
    await sleep(2500);
    expect(await received(box)).toHaveLength(1);
    expect(await received(target)).toHaveLength(0);
    expect(attemptsIn(await timelineOf(tenant, auth_req_id))).toEqual([
      expect.objectContaining({ kind: 'push_tokens', attempt: 1, result: 'refused', status }),
    ]);
  }, 15_000);

  it('tokens delivered after two failures are the same tokens, minted once', async () => {
    const box = newBox();
    await script(box, [{ status: 500 }, { status: 502 }, { status: 200 }]);
    const { tenant, client } = await notifiedSetup('push', box);
    const { auth_req_id } = await start(tenant, client);
    await approve(tenant, auth_req_id);
    const log = await waitForReceived(box, 3, 10_000);
    expect(log).toHaveLength(3);
    const bodies = log.map((r) => JSON.parse(r.body) as Pushed);
    expect(new Set(bodies.map((b) => b.access_token)).size).toBe(1);
    expect(new Set(bodies.map((b) => b.id_token)).size).toBe(1);
    await sleep(300);
    const events = await timelineOf(tenant, auth_req_id);
    expect(events.filter((e) => e.event === 'tokens_issued')).toHaveLength(1);
    expect(attemptsIn(events).map((a) => a.result)).toEqual(['failed', 'failed', 'delivered']);
  }, 20_000);

  it('a denial is pushed as access_denied', async () => {
    const box = newBox();
    const { tenant, client } = await notifiedSetup('push', box);
    const { auth_req_id } = await start(tenant, client);
    expect((await callback(tenant, await callbackTokenFor(tenant, auth_req_id), { status: 'denied' })).status).toBe(204);
    const body = JSON.parse((await waitForReceived(box, 1))[0]!.body) as Record<string, string>;
    expect(body).toEqual({ error: 'access_denied', auth_req_id, error_description: expect.any(String) });
  });

  it('expiry is pushed as expired_token, once, even when it fails', async () => {
    const box = newBox();
    await script(box, [{ status: 500 }]);
    const { tenant, client } = await notifiedSetup('push', box);
    const { auth_req_id } = await start(tenant, client, { requested_expiry: '2' });
    const [push] = await waitForReceived(box, 1, 6000);
    expect(JSON.parse(push!.body)).toEqual({ error: 'expired_token', auth_req_id, error_description: expect.any(String) });
    await sleep(2500);
    expect(await received(box)).toHaveLength(1);
  }, 15_000);

  it('a fault of the server’s own while minting counts as a failed attempt, and a later attempt delivers', async () => {
    const box = newBox();
    const { tenant, client } = await notifiedSetup('push', box);
    const { auth_req_id } = await start(tenant, client);
    const keysRecord = keysKey(await tenantRef(tenant));
    const keys = (await env.CONFIG.get(keysRecord))!;
    await putRecord(keysRecord, JSON.stringify({ keys: [{ kid: 'k', alg: 'ES256', privateJwe: 'garbage', maxTokenTtl: 60 }] }));
    await approve(tenant, auth_req_id);
    await sleep(700);
    expect(attemptsIn(await timelineOf(tenant, auth_req_id))).toEqual([expect.objectContaining({ attempt: 1, result: 'failed' })]);
    expect(await received(box)).toHaveLength(0);
    await putRecord(keysRecord, keys);
    const [push] = await waitForReceived(box, 1, 5000);
    expect(JSON.parse(push!.body)).toMatchObject({ auth_req_id, access_token: expect.any(String) });
  }, 15_000);

  it('a push that never lands holds nothing after expiry', async () => {
    const box = newBox();
    await script(box, [{ status: 500 }]);
    const { tenant, client } = await notifiedSetup('push', box);
    const { auth_req_id } = await start(tenant, client, { requested_expiry: '3' });
    await approve(tenant, auth_req_id);
    await waitForReceived(box, 2, 5000);
    await sleep(3500);
    const stored = await runInDurableObject(authRequestStub(env, await tenantRef(tenant), requestIdOf(auth_req_id)), (_i, state) => [
      ...state.storage.kv.list(),
    ]);
    expect(stored).toHaveLength(0);
    const count = (await received(box)).length;
    await sleep(1500);
    expect(await received(box)).toHaveLength(count);
  }, 20_000);
});
