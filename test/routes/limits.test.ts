// Push-bombing limits (contract §8): per user, user_pending_limit requests pending at once and
// user_request_limit started in any 10 minutes, counted in one Durable Object per user before the
// user's device is asked; beyond a limit, 403 access_denied with Retry-After, and nothing is asked.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  admin,
  backchannel,
  basic,
  callback,
  callbackTokenFor,
  cancelRequest,
  createClient,
  createUser,
  poll,
  postForm,
  uniqueTenantId,
  type TestClient,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';
import { SignJWT } from 'jose';
import { clientKey, type ClientKey } from '../helpers/assertions.ts';
import { newBox, received, script, waitForReceived, webhookTenant, type Received } from '../helpers/receiver.ts';

afterEach(() => vi.useRealTimers());

/** A tenant with the limits as given (the contract's defaults when none), alice and bob, and a client. */
async function limited(settings: Record<string, unknown> = {}) {
  const tenant = uniqueTenantId('lim');
  expect((await admin(`/tenants/${tenant}`, 'PUT', settings)).status).toBe(201);
  await createUser(tenant, 'alice');
  await createUser(tenant, 'bob', { login_hints: ['bob@example.com', '+372 5555 0002'], claims: {} });
  return { tenant, client: await createClient(tenant) };
}

const ask = (tenant: string, client: TestClient, hint = 'alice@example.com') =>
  backchannel(tenant, client, { scope: 'openid', login_hint: hint });

async function expectLimited(res: Response, limit: string) {
  const body = await expectOAuthError(res, 403, 'access_denied');
  expect(body.error_description).toMatch(limit);
  const retryAfter = Number(res.headers.get('Retry-After'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
  return { body, retryAfter };
}

const HINT_ISSUER = 'https://hints.example.test';

/** A login_hint_token from the trusted hint issuer naming `email`. */
const hintToken = (key: ClientKey, email: string) =>
  new SignJWT({ sub_id: { format: 'email', email } })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(HINT_ISSUER)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);

const eventOf = (request: Received) => JSON.parse(request.body) as { type: string; data: { request_id: string; callback_token: string } };

const idOf = async (res: Response) => ((await res.json()) as { auth_req_id: string }).auth_req_id;

describe('user_pending_limit', () => {
  it('by default the fourth pending request for one user is refused, with Retry-After until the first expires', async () => {
    const { tenant, client } = await limited();
    for (let i = 0; i < 3; i++) expect((await ask(tenant, client)).status).toBe(200);
    const { retryAfter } = await expectLimited(await ask(tenant, client), 'user_pending_limit');
    expect(retryAfter).toBeLessThanOrEqual(300);
    expect(retryAfter).toBeGreaterThan(290);
    // Another user of the tenant is not affected.
    expect((await ask(tenant, client, 'bob@example.com')).status).toBe(200);
  });

  it('a decided request frees its slot; so does a cancelled one', async () => {
    const { tenant, client } = await limited({ user_pending_limit: 1 });
    const first = await idOf(await ask(tenant, client));
    await expectLimited(await ask(tenant, client), 'user_pending_limit');
    expect((await callback(tenant, await callbackTokenFor(tenant, first), { status: 'denied' })).status).toBe(204);
    const second = await idOf(await ask(tenant, client));
    await expectLimited(await ask(tenant, client), 'user_pending_limit');
    expect((await postForm(`/${tenant}/as/ciba/cancel`, { auth_req_id: second }, { Authorization: basic(client) })).status).toBe(200);
    expect((await ask(tenant, client)).status).toBe(200);
  });

  it('an expired request frees its slot', async () => {
    const { tenant, client } = await limited({ user_pending_limit: 1 });
    expect((await backchannel(tenant, client, { scope: 'openid', login_hint: 'alice@example.com', requested_expiry: '1' })).status).toBe(200);
    await expectLimited(await ask(tenant, client), 'user_pending_limit');
    await new Promise((r) => setTimeout(r, 1200));
    expect((await ask(tenant, client)).status).toBe(200);
  });

  it('counts the directory user, whichever of their hints names them', async () => {
    const { tenant, client } = await limited({ user_pending_limit: 2 });
    expect((await ask(tenant, client, 'bob@example.com')).status).toBe(200);
    expect((await ask(tenant, client, '+372 5555 0002')).status).toBe(200);
    await expectLimited(await ask(tenant, client, JSON.stringify({ format: 'opaque', id: 'bob' })), 'user_pending_limit');
  });

  it('a burst of 20 concurrent requests for one user lets exactly the limit through', async () => {
    const { tenant, client } = await limited();
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask(tenant, client)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 403)).toHaveLength(17);
    await Promise.all(answers.map((r) => r.body?.cancel()));
  });
});

describe('user_request_limit', () => {
  it('counts requests started in any 10 minutes, decided or not; Retry-After until the oldest leaves the window', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const { tenant, client } = await limited({ user_pending_limit: 100, user_request_limit: 2 });
    for (let i = 0; i < 2; i++) {
      const id = await idOf(await ask(tenant, client));
      expect((await callback(tenant, await callbackTokenFor(tenant, id), { status: 'denied' })).status).toBe(204);
    }
    const { retryAfter } = await expectLimited(await ask(tenant, client), 'user_request_limit');
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    vi.setSystemTime(Date.now() + 601_000);
    expect((await ask(tenant, client)).status).toBe(200);
  });
});

describe('a refused request never reaches the user', () => {
  it('the webhook is not asked beyond the limit (counted by the hint it names)', async () => {
    const box = newBox();
    await script(box, [{ status: 200, body: { sub: 'bank-user-1' } }, { status: 200, body: { sub: 'bank-user-2' } }]);
    const tenant = await webhookTenant(box, { user_pending_limit: 1, user_request_limit: 10 });
    const client = await createClient(tenant);
    expect((await ask(tenant, client, 'Customer-1')).status).toBe(200);
    // The same hint in another spelling is the same user.
    await expectLimited(await ask(tenant, client, ' customer-1 '), 'user_pending_limit');
    expect(await received(box)).toHaveLength(1);
    expect((await ask(tenant, client, 'customer-2')).status).toBe(200);
  });

  it('on a webhook tenant, one user is counted once whatever form the hint arrives in', async () => {
    const box = newBox();
    await script(box, [{ status: 200, body: { sub: 'bank-user-1' } }]);
    const hintIssuer = await clientKey('ES256');
    const tenant = await webhookTenant(box, {
      user_pending_limit: 1,
      user_request_limit: 100,
      trusted_hint_issuers: [{ issuer: HINT_ISSUER, jwks: { keys: [hintIssuer.publicJwk] } }],
    });
    const client = await createClient(tenant);
    // An ID token for the bank's user, from a first request that is approved and redeemed.
    const first = await idOf(await ask(tenant, client, 'customer@bank.example'));
    const asked = eventOf((await received(box))[0]!);
    expect((await callback(tenant, asked.data.callback_token, { status: 'approved', authentication_method: 'smart-id' })).status).toBe(204);
    const { id_token } = (await (await poll(tenant, client, first)).json()) as { id_token: string };
    const hints: Array<[string, Record<string, string>]> = [
      ['a JSON e-mail, members reordered and spaced', { login_hint: '{ "email" : "CUSTOMER@bank.example", "format": "email" }' }],
      ['a login_hint_token naming the e-mail', { login_hint_token: await hintToken(hintIssuer, 'Customer@Bank.example') }],
      ['an id_token_hint naming the sub', { id_token_hint: id_token }],
    ];

    // An e-mail first: every other form of the same user is refused before the webhook is asked.
    const pending = await idOf(await ask(tenant, client, ' Customer@Bank.EXAMPLE '));
    for (const [label, hint] of hints) {
      const res = await backchannel(tenant, client, { scope: 'openid', ...hint });
      expect(res.status, label).toBe(403);
      await expectLimited(res, 'user_pending_limit');
    }
    expect(await received(box)).toHaveLength(2);

    // The sub first: an e-mail naming the same user reaches the webhook (only it can tell who that
    // is), which is then told the request is cancelled, and the RP is refused.
    expect((await cancelRequest(tenant, client, pending)).status).toBe(200);
    await waitForReceived(box, 3);
    expect((await backchannel(tenant, client, { scope: 'openid', id_token_hint: id_token })).status).toBe(200);
    await expectLimited(await ask(tenant, client, 'customer@bank.example'), 'user_pending_limit');
    const log = await waitForReceived(box, 6);
    expect(log.map((r) => eventOf(r).type)).toEqual([
      'ciba.authentication_requested',
      'ciba.authentication_requested',
      'ciba.authentication_cancelled',
      'ciba.authentication_requested',
      'ciba.authentication_requested',
      'ciba.authentication_cancelled',
    ]);
    expect(eventOf(log[5]!).data.request_id).toBe(eventOf(log[4]!).data.request_id);
  });

  it('settings: bad limits are 400 naming the member', async () => {
    for (const [name, value] of [['user_pending_limit', 0], ['user_pending_limit', 1.5], ['user_request_limit', -1], ['user_request_limit', 'ten']] as const) {
      const res = await admin(`/tenants/${uniqueTenantId('lim')}`, 'PUT', { [name]: value });
      expect((await expectOAuthError(res, 400, 'invalid_request')).error_description).toMatch(name);
    }
  });
});
