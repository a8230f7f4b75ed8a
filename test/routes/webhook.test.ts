// The webhook authenticator (contract §5) against a real HTTP receiver: the signed request, each of
// the nine refusal reasons, every way an authenticator can fail, and decisions through the callback.
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { decodeJwt } from 'jose';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { DeviceInbox } from '../../src/authenticators/device-inbox.ts';
import { WEBHOOK_ANSWER_MAX_BYTES } from '../../src/authenticators/webhook.ts';
import { authRequestStub } from '../../src/ciba/auth-req-id.ts';
import { admin, backchannel, call, callback, createClient, createUser, poll, requestIdOf, tenantRef, type TestClient } from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import {
  WEBHOOK_SECRET,
  adminInDevelopment,
  newBox,
  received,
  script,
  waitForReceived,
  webhookTenant,
  type Received,
} from '../helpers/receiver.ts';

const ok = { scope: 'openid profile', login_hint: '+372 5555 0001', binding_message: 'Pay 42 EUR', acr_values: 'high' };

/** A webhook tenant whose receiver box answers with `answers`, and a poll client. */
async function hooked(answers: Parameters<typeof script>[1]) {
  const box = newBox();
  await script(box, answers);
  const tenant = await webhookTenant(box);
  const client = await createClient(tenant);
  return { box, tenant, client };
}

interface RequestedEvent {
  type: string;
  data: Record<string, unknown> & { request_id: string; callback_token: string; callback_url: string };
}

const eventOf = (request: Received) => JSON.parse(request.body) as RequestedEvent;

/**
 * The box was asked once and, since the authenticator failed rather than refused, then told with a
 * signed ciba.authentication_cancelled for the same request (its device may be asking the user
 * anyway); returns the request's id.
 */
async function expectAskedThenTold(box: string, tenant: string): Promise<string> {
  const log = await waitForReceived(box, 2);
  expect(log).toHaveLength(2);
  const requestId = eventOf(log[0]!).data.request_id;
  expect(new Webhook(WEBHOOK_SECRET).verify(log[1]!.body, log[1]!.headers)).toEqual({
    type: 'ciba.authentication_cancelled',
    data: { request_id: requestId, tenant },
  });
  return requestId;
}

/** Nothing of the request the event named is left: no state in its object, no timeline. */
async function expectNothingLeft(tenant: string, requestId: string) {
  const keys = await runInDurableObject(authRequestStub(env, await tenantRef(tenant), requestId), (_i, state) => [...state.storage.kv.list()].length);
  expect(keys).toBe(0);
  await expectOAuthError(await admin(`/tenants/${tenant}/requests/${requestId}`), 404, 'invalid_request');
}

/** A 200 answer naming u1 whose JSON is exactly `bytes` long (ASCII, so characters are bytes). */
function answerOfBytes(bytes: number) {
  const empty = JSON.stringify({ sub: 'u1', claims: { note: '' } }).length;
  return { sub: 'u1', claims: { note: 'x'.repeat(bytes - empty) } };
}

describe('asking the authenticator', () => {
  it('sends one signed ciba.authentication_requested without the auth_req_id, and opens the request for the sub it names', async () => {
    const { box, tenant, client } = await hooked([{ status: 200, body: { sub: 'bank-user-7', claims: { name: 'Alice' } } }]);
    const res = await backchannel(tenant, client, ok);
    expect(res.status).toBe(200);
    const { auth_req_id } = (await res.json()) as { auth_req_id: string };

    const [request, ...more] = await received(box);
    expect(more).toHaveLength(0);
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/json');
    // The official Standard Webhooks library accepts the signature.
    expect(() => new Webhook(WEBHOOK_SECRET).verify(request!.body, request!.headers)).not.toThrow();
    expect(() => new Webhook(`whsec_${btoa('another secret of 32 bytes......')}`).verify(request!.body, request!.headers)).toThrow();

    const event = eventOf(request!);
    expect(event.type).toBe('ciba.authentication_requested');
    expect(event.data).toEqual({
      request_id: requestIdOf(auth_req_id),
      tenant,
      client_id: client.client_id,
      client_name: 'Test Bank',
      scope: 'openid profile',
      acr_values: ['high'],
      binding_message: 'Pay 42 EUR',
      display_hash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      login_hint: '+372 5555 0001',
      expires_at: expect.any(Number),
      callback_url: `https://as.example.test/${tenant}/as/ciba/callback`,
      callback_token: expect.stringMatching(/^[A-Za-z0-9_-]{54}$/),
    });
    expect(request!.body).not.toContain(auth_req_id);
    expect(request!.body).not.toContain(auth_req_id.slice(22));

    // The decision flows into the tokens: method, acr, amr and when the user authenticated.
    const authTime = Math.floor(Date.now() / 1000) - 30;
    const decided = await callback(tenant, event.data.callback_token, {
      status: 'approved',
      authentication_method: 'mobile-id',
      acr: 'high',
      amr: ['hwk', 'pin'],
      auth_time: authTime,
    });
    expect(decided.status).toBe(204);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { id_token: string; access_token: string; authentication_method: string };
    expect(tokens.authentication_method).toBe('mobile-id');
    for (const jwt of [tokens.id_token, tokens.access_token]) {
      expect(decodeJwt(jwt)).toMatchObject({ sub: 'bank-user-7', acr: 'high', amr: ['hwk', 'pin'], auth_time: authTime });
    }

    const timeline = (await (await admin(`/tenants/${tenant}/requests/${requestIdOf(auth_req_id)}`)).json()) as { events: { event: string }[] };
    expect(timeline.events.map((e) => e.event)).toEqual(['created', 'authenticator_asked', 'authenticator_answered', 'approved', 'redeemed']);
  });

  it('the claims the webhook returns are served at userinfo by scope', async () => {
    const { box, tenant, client } = await hooked([{ status: 200, body: { sub: 'bank-user-8', claims: { name: 'Alice Bank', email: 'a@bank.example', secret_rating: 'AAA' } } }]);
    const { auth_req_id } = (await (await backchannel(tenant, client, ok)).json()) as { auth_req_id: string };
    const event = eventOf((await received(box))[0]!);
    expect((await callback(tenant, event.data.callback_token, { status: 'approved', authentication_method: 'smart-id' })).status).toBe(204);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { access_token: string };
    const res = await call(`/${tenant}/as/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(await res.json()).toEqual({ sub: 'bank-user-8', name: 'Alice Bank' });
  });

  it('auth_time is the moment of the callback when the authenticator gives none, not when tokens are minted', async () => {
    const { box, tenant, client } = await hooked([{ status: 200, body: { sub: 'u1' } }]);
    const { auth_req_id } = (await (await backchannel(tenant, client, ok)).json()) as { auth_req_id: string };
    const before = Math.floor(Date.now() / 1000);
    const event = eventOf((await received(box))[0]!);
    expect((await callback(tenant, event.data.callback_token, { status: 'approved', authentication_method: 'smart-id' })).status).toBe(204);
    const after = Math.floor(Date.now() / 1000);
    await new Promise((r) => setTimeout(r, 1100));
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { id_token: string };
    const claims = decodeJwt(tokens.id_token);
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);
    expect(claims.auth_time).toBeLessThanOrEqual(after);
    expect(claims.iat!).toBeGreaterThan(claims.auth_time as number);
  });

  it('an answer of exactly 64 KiB is read whole', async () => {
    const body = answerOfBytes(WEBHOOK_ANSWER_MAX_BYTES);
    expect(JSON.stringify(body).length).toBe(64 * 1024);
    const { tenant, client } = await hooked([{ status: 200, body }]);
    expect((await backchannel(tenant, client, ok)).status).toBe(200);
  });

  it('a callback token decides its own request only', async () => {
    const { box, tenant, client } = await hooked([{ status: 200, body: { sub: 'u1' } }]);
    const first = (await (await backchannel(tenant, client, ok)).json()) as { auth_req_id: string };
    const second = (await (await backchannel(tenant, client, ok)).json()) as { auth_req_id: string };
    const [a, b] = (await received(box)).map(eventOf);
    // a's secret half with b's request id: unknown to b's object.
    const forged = b!.data.callback_token.slice(0, 22) + a!.data.callback_token.slice(22);
    const res = await callback(tenant, forged, { status: 'approved', authentication_method: 'smart-id' });
    await expectOAuthError(res, 401, 'invalid_token');
    await expectOAuthError(await poll(tenant, client, second.auth_req_id), 400, 'authorization_pending');
    expect((await callback(tenant, a!.data.callback_token, { status: 'denied' })).status).toBe(204);
    await expectOAuthError(await poll(tenant, client, first.auth_req_id), 400, 'access_denied');
  });

  it('the decision may come before the authenticator has answered', async () => {
    // The device answers while the webhook call is still open: the request exists already.
    const { box, tenant, client } = await hooked([{ status: 200, body: { sub: 'quick' }, delayMs: 1500 }]);
    const pending = backchannel(tenant, client, ok);
    let event: RequestedEvent | undefined;
    for (let i = 0; i < 50 && !event; i++) {
      const log = await received(box);
      event = log[0] && eventOf(log[0]);
      if (!event) await new Promise((r) => setTimeout(r, 50));
    }
    expect((await callback(tenant, event!.data.callback_token, { status: 'approved', authentication_method: 'app-biometrics' })).status).toBe(204);
    const res = await pending;
    expect(res.status).toBe(200);
    const { auth_req_id } = (await res.json()) as { auth_req_id: string };
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { id_token: string };
    expect(decodeJwt(tokens.id_token).sub).toBe('quick');
  });
});

describe('a JSON login_hint the server does not take never reaches the webhook', () => {
  it('only email, phone_number, iss_sub and opaque subject identifiers pass; anything else is 400 invalid_request', async () => {
    const { box, tenant, client } = await hooked([{ status: 200, body: { sub: 'bank-user-1' } }]);
    const refused = [
      { format: 'account', uri: 'acct:alice@example.com' },
      { format: 'uri', uri: 'https://example.com/alice' },
      { format: 'did', url: 'did:example:alice' },
      { format: 'aliases', identifiers: [{ format: 'email', email: 'alice@example.com' }] },
      { format: 'something-else', id: 'alice' },
      { format: 'email' },
      { email: 'alice@example.com' },
    ];
    for (const hint of refused) {
      const res = await backchannel(tenant, client, { scope: 'openid', login_hint: JSON.stringify(hint) });
      await expectOAuthError(res, 400, 'invalid_request', JSON.stringify(hint));
    }
    await expectOAuthError(await backchannel(tenant, client, { scope: 'openid', login_hint: '{"format": "email",' }), 400, 'invalid_request');
    expect(await received(box)).toHaveLength(0);
    // The four formats it takes are passed on as given.
    const taken = { format: 'email', email: 'alice@example.com' };
    expect((await backchannel(tenant, client, { scope: 'openid', login_hint: JSON.stringify(taken) })).status).toBe(200);
    expect(eventOf((await received(box))[0]!).data.login_hint).toBe(JSON.stringify(taken));
  });
});

describe('Authlete’s nine refusal reasons reach the RP as that error, leaving nothing behind', () => {
  it.each([
    ['unknown_user_id', 400],
    ['expired_login_hint_token', 400],
    ['invalid_binding_message', 400],
    ['invalid_user_code', 400],
    ['missing_user_code', 400],
    ['unauthorized_client', 400],
    ['access_denied', 403],
    ['invalid_target', 400],
    ['server_error', 500],
  ])('%s → %d', async (reason, status) => {
    const { box, tenant, client } = await hooked([{ status: reason === 'access_denied' ? 403 : 400, body: { error: reason } }]);
    const res = await backchannel(tenant, client, ok);
    await expectOAuthError(res, status, reason);
    // A refusal left nothing on the device: no cancellation notice follows.
    await new Promise((r) => setTimeout(r, 200));
    const log = await received(box);
    expect(log).toHaveLength(1);
    await expectNothingLeft(tenant, eventOf(log[0]!).data.request_id);
  });
});

describe('an authenticator that cannot answer: 503 temporarily_unavailable, one attempt, then told it is cancelled, nothing left behind', () => {
  it.each([
    ['a 500', [{ status: 500, body: { error: 'boom' } }]],
    ['a 503 naming a reason', [{ status: 503, body: { error: 'unknown_user_id' } }]],
    ['an HTML page', [{ status: 200, body: '<html><body>Welcome</body></html>' }]],
    ['200 without a sub', [{ status: 200, body: { claims: { name: 'x' } } }]],
    ['200 with a sub that is not a string', [{ status: 200, body: { sub: 42 } }]],
    ['200 with claims that are not an object', [{ status: 200, body: { sub: 'u1', claims: 'x' } }]],
    ['an unknown reason', [{ status: 400, body: { error: 'no_such_reason' } }]],
    ['a 4xx without a body', [{ status: 404 }]],
    ['a 201 with a sub', [{ status: 201, body: { sub: 'u1' } }]],
    // Sent as text: JSON.stringify itself cannot write 20,000 levels. Storing the claims would fail the same way.
    ['200 with claims nested 20,000 levels deep', [{ status: 200, body: `{"sub":"u1","claims":{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}` }]],
  ])('%s', async (_name, answers) => {
    const { box, tenant, client } = await hooked(answers);
    await expectOAuthError(await backchannel(tenant, client, ok), 503, 'temporarily_unavailable');
    await expectNothingLeft(tenant, await expectAskedThenTold(box, tenant));
  });

  // Contract §1: no body the server reads may pass 64 KiB, the authenticator's answer included.
  it.each([
    ['declared with a Content-Length', true],
    ['sent chunked, without a Content-Length', false],
  ])('an answer over 64 KiB, %s', async (_name, declared) => {
    const body = answerOfBytes(WEBHOOK_ANSWER_MAX_BYTES + 1);
    const headers = declared ? { 'Content-Length': String(JSON.stringify(body).length) } : undefined;
    const { box, tenant, client } = await hooked([{ status: 200, body, ...(headers ? { headers } : {}) }]);
    await expectOAuthError(await backchannel(tenant, client, ok), 503, 'temporarily_unavailable');
    await expectNothingLeft(tenant, await expectAskedThenTold(box, tenant));
  });

  it('a redirect, which is not followed', async () => {
    const target = newBox();
    await script(target, [{ status: 200, body: { sub: 'u1' } }]);
    const { box, tenant, client } = await hooked([{ status: 302, headers: { Location: `${new URL(`http://x/${target}`).pathname}` } }]);
    await expectOAuthError(await backchannel(tenant, client, ok), 503, 'temporarily_unavailable');
    await expectAskedThenTold(box, tenant);
    expect(await received(target)).toHaveLength(0);
  });

  it('one that hangs is given up at 5 s', async () => {
    const { box, tenant, client } = await hooked([{ status: 200, body: { sub: 'late' }, delayMs: 8000 }]);
    const started = Date.now();
    await expectOAuthError(await backchannel(tenant, client, ok), 503, 'temporarily_unavailable');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(4900);
    expect(took).toBeLessThan(7500);
    await expectNothingLeft(tenant, await expectAskedThenTold(box, tenant));
  }, 20_000);

  it('one that is unreachable', async () => {
    const box = newBox();
    const tenant = await webhookTenant(box);
    // Point the stored URL at a closed port, as if the bank's system were down.
    const res = await adminInDevelopment(`/tenants/${tenant}`, 'PUT', { authenticator: { type: 'webhook', url: 'http://127.0.0.1:9/ciba' } });
    expect(res.status).toBe(200);
    const client: TestClient = await createClient(tenant);
    await expectOAuthError(await backchannel(tenant, client, ok), 503, 'temporarily_unavailable');
  });
});

describe('webhook tenants and the built-in inbox', () => {
  it('deleting a webhook tenant’s user touches no built-in inbox, and there is no device page', async () => {
    const { tenant } = await hooked([{ status: 200, body: { sub: 'u1' } }]);
    await createUser(tenant);
    const clear = vi.spyOn(DeviceInbox.prototype, 'clear');
    try {
      expect((await admin(`/tenants/${tenant}/users/alice`, 'DELETE')).status).toBe(204);
      expect((await admin(`/tenants/${tenant}`, 'DELETE')).status).toBe(204);
      expect(clear).not.toHaveBeenCalled();
    } finally {
      clear.mockRestore();
    }
  });
});
