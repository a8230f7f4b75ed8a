// End-to-end faults (issue 13, item 4), against a real `wrangler dev` and the real HTTP receiver
// (test/receiver/server.ts) playing the bank's system (the webhook authenticator), the user's device
// (which reads the signed webhook and answers through the callback) and the RP's notification
// endpoints; openid-client is the relying party. A notification endpoint or an authenticator that
// fails, hangs or answers garbage must never cost the RP its tokens, answer it with anything but a
// JSON error, or leave a request stuck; a device's garbage callbacks decide nothing.
//
// A hang costs 5 s (the server's limit), so the cases of each test run side by side; each test
// reports every case that failed, by name.
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver, type Received, type ScriptedAnswer } from '../receiver/server.ts';
import { CIBA, adminCall, rpPost, type Answer, type Client } from './http.ts';
import { ADMIN_TOKEN, startWrangler, type Server } from './server.ts';

const RUN = Date.now().toString(36);
/** The tenant whose bank always answers; its RPs' endpoints are the ones that fail. */
const BANK_TENANT = `e2e-fault-bank-${RUN}`;
const SECRET = `whsec_${Buffer.from('an end-to-end webhook secret....').toString('base64')}`;
const NOTIFICATION_TOKEN = 'e2e-fault-notification-token';
const GENEROUS = { user_pending_limit: 100, user_request_limit: 1000 };
/** The bank's answer when all is well: it knows the user and has asked them. */
const knows = (sub: string): ScriptedAnswer => ({ status: 200, body: { sub, claims: { name: sub } } });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64url = (bytes: Buffer) => bytes.toString('base64url');

/**
 * Runs every case at once and waits for all of them; then fails with the name and error of each
 * case that failed, so one broken case neither hides another nor makes the others wait in line.
 */
async function allCases<T>(cases: readonly (readonly [string, T])[], run: (c: T, index: number) => Promise<void>) {
  const results = await Promise.allSettled(cases.map(([, c], index) => run(c, index)));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [`${cases[i]![0]}: ${explain(r.reason)}`] : []));
  if (failures.length > 0) throw new Error(`${failures.length} of ${cases.length} cases failed:\n\n${failures.join('\n\n')}`);
}

/** An error as a failure report shows it; an OAuth error from openid-client with what the server said. */
function explain(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const said = error as Error & { status?: number; error?: string; error_description?: string };
  const oauth = said.error === undefined ? '' : ` (${said.status} ${said.error}: ${said.error_description})`;
  return `${error.stack ?? error.message}${oauth}`;
}

interface RequestedEvent {
  type: string;
  data: {
    request_id: string;
    binding_message?: string;
    display_hash: string;
    callback_url: string;
    callback_token: string;
  };
}

describe('faults: notification endpoints, an authenticator and a device that fail, hang or answer garbage', () => {
  let server: Server;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const issuerOf = (tenant: string) => `${server.origin}/${tenant}/as`;

  const script = async (box: string, answers: ScriptedAnswer[]) => {
    const res = await fetch(`${receiver.origin}/_script/${box}`, { method: 'PUT', body: JSON.stringify(answers) });
    expect(res.status).toBe(204);
  };
  const log = async (box: string) => (await (await fetch(`${receiver.origin}/_log/${box}`)).json()) as Received[];
  /** Waits until `box` has received `count` requests; fails after `timeoutMs`. */
  const waitForLog = async (box: string, count: number, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = await log(box);
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`${box} received ${got.length} requests, not ${count}, in ${timeoutMs} ms`);
      await sleep(100);
    }
  };

  /** A webhook tenant whose bank is `box` on the receiver; the RP polls every second. */
  const webhookTenant = async (tenant: string, box: string, settings: Record<string, unknown> = {}) => {
    await adminCall(server.origin, 'PUT', `/tenants/${tenant}`, {
      poll_interval: 1,
      authenticator: { type: 'webhook', url: `${receiver.origin}/${box}`, secret: SECRET },
      ...settings,
    }, 201);
  };
  const register = async (tenant: string, metadata: Record<string, unknown> = {}): Promise<Client> => {
    const body = await adminCall(server.origin, 'POST', `/tenants/${tenant}/clients`, { client_name: 'E2E Fault Bank', ...metadata }, 201);
    return { client_id: body.client_id as string, client_secret: body.client_secret as string };
  };
  const configure = (tenant: string, client: Client) =>
    oidc.discovery(new URL(issuerOf(tenant)), client.client_id, {}, oidc.ClientSecretBasic(client.client_secret), {
      execute: [oidc.allowInsecureRequests],
    });
  /** The request's timeline from the admin API; undefined once the request is gone (404). */
  const timeline = async (tenant: string, requestId: string) => {
    const res = await fetch(`${server.origin}/admin/tenants/${tenant}/requests/${requestId}`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const body = (await res.json()) as { status?: string; events?: { event: string; result?: string; kind?: string }[]; error?: string };
    if (res.status === 404) {
      expect(body.error).toBe('invalid_request');
      return undefined;
    }
    expect(res.status).toBe(200);
    return body as { status: string; events: { event: string; result?: string; kind?: string }[] };
  };

  /** The user's device: the signed request the bank's box received showing `bindingMessage`. */
  const eventShowing = async (box: string, bindingMessage: string): Promise<RequestedEvent> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      for (const request of await log(box)) {
        const event = new Webhook(SECRET).verify(request.body, request.headers) as RequestedEvent;
        if (event.type === 'ciba.authentication_requested' && event.data.binding_message === bindingMessage) return event;
      }
      if (Date.now() > deadline) throw new Error(`no request showing "${bindingMessage}" reached ${box}`);
      await sleep(100);
    }
  };
  const sendCallback = (event: RequestedEvent, body: string, headers: Record<string, string> = {}) =>
    fetch(event.data.callback_url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${event.data.callback_token}`, 'Content-Type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  /** The user approves on the device: the callback answers 204. */
  const approve = async (event: RequestedEvent) => {
    const res = await sendCallback(event, JSON.stringify({ status: 'approved', authentication_method: 'smart-id', acr: 'high' }));
    expect(res.status, await res.text()).toBe(204);
  };

  /** Checks the tokens' signatures against the tenant's published keys; returns the ID token's claims. */
  const verifyTokens = async (tenant: string, client: Client, tokens: { id_token?: string; access_token: string }) => {
    const issuer = issuerOf(tenant);
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: client.client_id });
    await jwtVerify(tokens.access_token, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
    return payload;
  };

  /** Starts a request with openid-client for a ping or push client of the bank tenant. */
  const startNotified = (config: oidc.Configuration, bindingMessage: string, requestedExpiry: number) =>
    oidc.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: `${bindingMessage.replace(/\W+/g, '-')}@bank.example`,
      binding_message: bindingMessage,
      client_notification_token: NOTIFICATION_TOKEN,
      requested_expiry: String(requestedExpiry),
    });

  beforeAll(async () => {
    [server, receiver] = await Promise.all([startWrangler(), startReceiver()]);
    await script('bank', [knows('bank-pat')]);
    await webhookTenant(BANK_TENANT, 'bank', GENEROUS);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), receiver?.stop()]);
  });

  describe.concurrent('each fault family, side by side', () => {
    test('ping: whatever the RP’s notification endpoint does, the RP polls its tokens, and the request ends at expiry', async () => {
      const EXPIRY_S = 10;
      const cases: [string, { answer: ScriptedAnswer; retried: boolean; hangs?: boolean }][] = [
        ['answers 500, every time', { answer: { status: 500, body: '<html><body>Internal Server Error</body></html>' }, retried: true }],
        ['answers 200 with an HTML page', { answer: { status: 200, body: '<html><body>Welcome</body></html>' }, retried: false }],
        ['answers 200 with a body that is not the JSON it claims', { answer: { status: 200, body: '{"ok": tru', headers: { 'Content-Type': 'application/json' } }, retried: false }],
        ['answers a redirect', { answer: { status: 302, headers: { Location: '/elsewhere' } }, retried: false }],
        ['hangs, every time', { answer: { status: 204, delayMs: 60_000 }, retried: true, hangs: true }],
        ['cuts the connection, every time', { answer: { status: 204, drop: true }, retried: true }],
        ['sends its headers, then a body that never ends', { answer: { status: 200, body: { ok: true }, stallBodyMs: 60_000 }, retried: false }],
      ];

      await allCases(cases, async (c, index) => {
        const box = `ping-${index}`;
        await script(box, [c.answer]);
        const client = await register(BANK_TENANT, {
          backchannel_token_delivery_mode: 'ping',
          backchannel_client_notification_endpoint: `${receiver.origin}/${box}`,
        });
        const config = await configure(BANK_TENANT, client);
        const bindingMessage = `Ping ${index}`;
        const started = await startNotified(config, bindingMessage, EXPIRY_S);
        const event = await eventShowing('bank', bindingMessage);
        await approve(event);

        // The ping reaches the endpoint, which does its worst.
        const [ping] = await waitForLog(box, 1);
        expect(ping!.headers.authorization).toBe(`Bearer ${NOTIFICATION_TOKEN}`);
        expect(JSON.parse(ping!.body)).toEqual({ auth_req_id: started.auth_req_id });

        // The RP polls (CIBA §10.2: a ping client may) and gets its tokens, valid.
        const tokens = await oidc.pollBackchannelAuthenticationGrant(config, started);
        expect(tokens.claims()).toMatchObject({ sub: 'bank-pat', acr: 'high' });
        expect(await verifyTokens(BANK_TENANT, client, tokens)).toMatchObject({ sub: 'bank-pat' });
        const afterTokens = await timeline(BANK_TENANT, event.data.request_id);
        expect(afterTokens!.status).toBe('redeemed');
        if (c.hangs) {
          // The tokens came while the first ping was still hanging: the hang blocks nothing.
          expect(afterTokens!.events.filter((e) => e.event === 'delivery_attempted')).toEqual([]);
        }
        // And only once: the next poll finds nothing to redeem.
        const again = await rpPost(issuerOf(BANK_TENANT), '/token', client, { grant_type: CIBA, auth_req_id: started.auth_req_id });
        expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

        // Not stuck: at expiry the request is gone, and the endpoint hears nothing more.
        const deadline = Date.now() + (EXPIRY_S + 12) * 1000;
        while ((await timeline(BANK_TENANT, event.data.request_id)) !== undefined) {
          if (Date.now() > deadline) throw new Error('the request was still there long after its expiry');
          await sleep(500);
        }
        const attempts = (await log(box)).length;
        if (c.retried) expect(attempts).toBeGreaterThanOrEqual(2);
        else expect(attempts).toBe(1);
        await sleep(2500);
        expect((await log(box)).length).toBe(attempts);
        expect(await log('elsewhere')).toEqual([]);
      });
    });

    test('push: an endpoint that fails twice, then accepts, gets the tokens, minted once and valid', async () => {
      const cases: [string, ScriptedAnswer[]][] = [
        ['500, then a hang, then 200', [{ status: 500 }, { status: 200, delayMs: 60_000 }, { status: 200 }]],
        ['a 502 HTML page, then a cut connection, then 204', [
          { status: 502, body: '<html><body>Bad Gateway</body></html>' },
          { status: 200, drop: true },
          { status: 204 },
        ]],
        ['a 503 whose body never ends, then a body cut short, then 200', [
          { status: 503, body: { error: 'busy' }, stallBodyMs: 60_000 },
          { status: 500, body: { error: 'oops' }, stallBodyMs: 50, drop: true },
          { status: 200 },
        ]],
      ];

      await allCases(cases, async (answers, index) => {
        const box = `push-${index}`;
        await script(box, answers);
        const client = await register(BANK_TENANT, {
          backchannel_token_delivery_mode: 'push',
          backchannel_client_notification_endpoint: `${receiver.origin}/${box}`,
        });
        const config = await configure(BANK_TENANT, client);
        const bindingMessage = `Push ${index}`;
        const started = await startNotified(config, bindingMessage, 120);
        expect(started.interval).toBeUndefined();
        const event = await eventShowing('bank', bindingMessage);
        await approve(event);

        // 1 s after the first failure, 2 s after the second (one of them a 5 s hang), the third lands.
        const pushes = await waitForLog(box, 3, 20_000);
        await sleep(2500);
        expect((await log(box)).length, 'no attempt after the one accepted').toBe(3);
        const bodies = pushes.map((p) => {
          expect(p.headers.authorization).toBe(`Bearer ${NOTIFICATION_TOKEN}`);
          return JSON.parse(p.body) as { auth_req_id: string; access_token: string; id_token: string; token_type: string };
        });
        // The same tokens each time: minted once, never per attempt.
        expect(new Set(bodies.map((b) => b.access_token)).size).toBe(1);
        expect(new Set(bodies.map((b) => b.id_token)).size).toBe(1);
        const tokens = bodies[2]!;
        expect(tokens).toMatchObject({ auth_req_id: started.auth_req_id, token_type: 'Bearer' });
        const claims = await verifyTokens(BANK_TENANT, client, tokens);
        expect(claims).toMatchObject({ sub: 'bank-pat', acr: 'high', 'urn:openid:params:jwt:claim:auth_req_id': started.auth_req_id });
        const digest = createHash('sha256').update(tokens.access_token).digest();
        expect(claims.at_hash).toBe(b64url(digest.subarray(0, 16)));
        // The pushed access token works.
        const userinfo = await fetch(`${issuerOf(BANK_TENANT)}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
        expect(userinfo.status).toBe(200);
        expect(await userinfo.json()).toMatchObject({ sub: 'bank-pat' });

        const { status, events } = (await timeline(BANK_TENANT, event.data.request_id))!;
        expect(status).toBe('redeemed');
        expect(events.filter((e) => e.event === 'tokens_issued')).toHaveLength(1);
        expect(events.filter((e) => e.event === 'delivery_attempted').map((e) => e.result)).toEqual(['failed', 'failed', 'delivered']);
        // A push client never polls its tokens: there is no second copy.
        const polled = await rpPost(issuerOf(BANK_TENANT), '/token', client, { grant_type: CIBA, auth_req_id: started.auth_req_id });
        expect(polled).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
      });
    });

    test('webhook authenticator: garbage or a hang is a JSON 503 for the RP, leaves nothing pending, and a retry once it recovers gets the tokens', async () => {
      const cases: [string, ScriptedAnswer][] = [
        ['answers 200 with an HTML page', { status: 200, body: '<html><body>Welcome to the bank</body></html>' }],
        ['answers 200 with a body that is not the JSON it claims', { status: 200, body: '{"sub": "bank-x"', headers: { 'Content-Type': 'application/json' } }],
        ['answers 200 JSON without a sub', { status: 200, body: { claims: { name: 'Nobody' } } }],
        ['answers 500', { status: 500, body: { error: 'internal' } }],
        ['answers an HTML error page', { status: 502, body: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>' }],
        ['answers a redirect', { status: 307, headers: { Location: '/elsewhere' } }],
        ['hangs past 5 s', { ...knows('bank-late'), delayMs: 9_000 }],
        ['cuts the connection', { status: 200, drop: true }],
        ['sends its headers, then a body that never ends', { ...knows('bank-slow'), stallBodyMs: 60_000 }],
      ];

      await allCases(cases, async (garbage, index) => {
        const box = `hook-${index}`;
        const tenant = `e2e-fault-hook-${index}-${RUN}`;
        const sub = `bank-user-${index}`;
        // The bank fails once, takes the cancellation notice, then recovers. One pending request per
        // user: a slot the failure kept would refuse the retry with 403.
        await script(box, [garbage, { status: 204 }, knows(sub)]);
        await webhookTenant(tenant, box, { user_pending_limit: 1, user_request_limit: 10 });
        const client = await register(tenant);
        const hint = `${sub}@bank.example`;

        const asked = Date.now();
        const refused: Answer = await rpPost(issuerOf(tenant), '/cibaAuthorization', client, {
          scope: 'openid',
          login_hint: hint,
          binding_message: 'First try',
        });
        const took = Date.now() - asked;
        expect({ status: refused.status, body: refused.body }).toEqual({
          status: 503,
          body: { error: 'temporarily_unavailable', error_description: expect.stringMatching(/\S/) },
        });
        expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
        expect(refused.headers.get('cache-control')).toBe('no-store');
        // Given up at the 5 s limit at the latest, not when the bank finally answers.
        expect(took).toBeLessThan(8_500);

        // One attempt, then the signed cancellation notice for it (the bank may be asking the user
        // all the same), and the request it opened is gone: no state, no timeline.
        const [first, notice, ...more] = await waitForLog(box, 2);
        expect(more).toEqual([]);
        const failed = new Webhook(SECRET).verify(first!.body, first!.headers) as RequestedEvent;
        expect(new Webhook(SECRET).verify(notice!.body, notice!.headers)).toEqual({
          type: 'ciba.authentication_cancelled',
          data: { request_id: failed.data.request_id, tenant },
        });
        expect(await timeline(tenant, failed.data.request_id)).toBeUndefined();
        expect(await log('elsewhere')).toEqual([]);

        // The bank is back: the RP's retry goes through end to end.
        const config = await configure(tenant, client);
        const started = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: hint, binding_message: 'Second try' });
        await approve(await eventShowing(box, 'Second try'));
        const tokens = await oidc.pollBackchannelAuthenticationGrant(config, started);
        expect(tokens.claims()).toMatchObject({ sub, acr: 'high' });
        expect(await verifyTokens(tenant, client, tokens)).toMatchObject({ sub });
      });
    }, 90_000);

    test('device: garbage callbacks are refused with 4xx JSON errors and decide nothing; the valid one still yields the tokens', async () => {
      const client = await register(BANK_TENANT);
      const config = await configure(BANK_TENANT, client);
      const started = await oidc.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: 'garbage-device@bank.example',
        binding_message: 'Garbage device',
      });
      const event = await eventShowing('bank', 'Garbage device');
      const token = event.data.callback_token;
      const approval = { status: 'approved', authentication_method: 'smart-id', acr: 'high' };
      const flipped = (s: string) => `${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`;
      const wrongHash = b64url(createHash('sha256').update('something else was shown').digest());

      const garbage: [string, () => Promise<Response>, number, string][] = [
        ['no Authorization', () => fetch(event.data.callback_url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(approval) }), 401, 'invalid_token'],
        ['a made-up token', () => sendCallback(event, JSON.stringify(approval), { Authorization: `Bearer ${b64url(Buffer.alloc(40, 7))}` }), 401, 'invalid_token'],
        ['the token with its last character changed', () => sendCallback(event, JSON.stringify(approval), { Authorization: `Bearer ${flipped(token)}` }), 401, 'invalid_token'],
        ['a wrong token and a malformed body', () => sendCallback(event, '{"status":', { Authorization: `Bearer ${flipped(token)}` }), 401, 'invalid_token'],
        ['malformed JSON', () => sendCallback(event, '{"status": "approved", "authentication_method": "smart-id"'), 400, 'invalid_request'],
        ['not JSON at all', () => sendCallback(event, '<html>approved</html>', { 'Content-Type': 'text/html' }), 400, 'invalid_request'],
        ['a JSON array', () => sendCallback(event, JSON.stringify([approval])), 400, 'invalid_request'],
        ['JSON null', () => sendCallback(event, 'null'), 400, 'invalid_request'],
        ['an unknown status', () => sendCallback(event, JSON.stringify({ ...approval, status: 'maybe' })), 400, 'invalid_request'],
        ['an approval without its method', () => sendCallback(event, JSON.stringify({ status: 'approved' })), 400, 'invalid_request'],
        ['an auth_time an hour ahead', () => sendCallback(event, JSON.stringify({ ...approval, auth_time: Math.floor(Date.now() / 1000) + 3600 })), 400, 'invalid_request'],
        ['a wrong display_hash', () => sendCallback(event, JSON.stringify({ ...approval, display_hash: wrongHash })), 400, 'invalid_request'],
        ['a display_hash that is no hash', () => sendCallback(event, JSON.stringify({ ...approval, display_hash: 'x' })), 400, 'invalid_request'],
        ['a body over 64 KiB', () => sendCallback(event, JSON.stringify({ ...approval, padding: 'x'.repeat(70_000) })), 413, 'invalid_request'],
        ['a GET', () => fetch(event.data.callback_url, { headers: { Authorization: `Bearer ${token}` } }), 405, 'invalid_request'],
      ];
      for (const [name, send, status, error] of garbage) {
        const res = await send();
        const text = await res.text();
        expect({ name, status: res.status }, text).toEqual({ name, status });
        expect(res.headers.get('content-type'), name).toMatch(/^application\/json/);
        expect(JSON.parse(text), name).toEqual({ error, error_description: expect.stringMatching(/\S/) });
      }

      // None of it decided anything: the request is still pending for the RP.
      const pending = await rpPost(issuerOf(BANK_TENANT), '/token', client, { grant_type: CIBA, auth_req_id: started.auth_req_id });
      expect(pending).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
      const before = (await timeline(BANK_TENANT, event.data.request_id))!;
      expect(before.status).toBe('pending');
      expect(before.events.map((e) => e.event)).not.toContain('approved');

      // The valid approval, echoing what the device showed, is taken; a second one is a conflict.
      const valid = await sendCallback(event, JSON.stringify({ ...approval, display_hash: event.data.display_hash }));
      expect(valid.status, await valid.text()).toBe(204);
      const replayed = await sendCallback(event, JSON.stringify(approval));
      expect(replayed.status).toBe(409);
      expect(await replayed.json()).toMatchObject({ error: 'invalid_request' });

      const tokens = await oidc.pollBackchannelAuthenticationGrant(config, started);
      expect(tokens.claims()).toMatchObject({ sub: 'bank-pat', acr: 'high', binding_message: 'Garbage device' });
      expect(await verifyTokens(BANK_TENANT, client, tokens)).toMatchObject({ sub: 'bank-pat' });
      expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: 'bank-pat', binding_message: 'Garbage device' });
      const after = (await timeline(BANK_TENANT, event.data.request_id))!;
      expect(after.events.filter((e) => e.event === 'approved')).toEqual([expect.objectContaining({ display_confirmed: true })]);
      expect(after.events.filter((e) => e.event === 'redeemed')).toHaveLength(1);
    });

    test('an authenticator too slow to answer, whose device approved meanwhile: a JSON 503 for the RP, never tokens, nothing left, the slot free', async () => {
      const box = 'slow-bank';
      const tenant = `e2e-fault-slow-${RUN}`;
      // The bank starts asking the user at once but answers the server only after 8 s.
      await script(box, [{ ...knows('bank-slow'), delayMs: 8_000 }, knows('bank-slow')]);
      await webhookTenant(tenant, box, { user_pending_limit: 1, user_request_limit: 10 });
      const client = await register(tenant);
      const asked = rpPost(issuerOf(tenant), '/cibaAuthorization', client, {
        scope: 'openid',
        login_hint: 'slow@bank.example',
        binding_message: 'Slow bank',
      });
      const event = await eventShowing(box, 'Slow bank');
      // The device answers before the bank's system does; the request exists, so this is taken.
      const early = await sendCallback(event, JSON.stringify({ status: 'approved', authentication_method: 'smart-id' }));
      expect(early.status, await early.text()).toBe(204);

      const refused = await asked;
      expect({ status: refused.status, body: refused.body }).toEqual({
        status: 503,
        body: { error: 'temporarily_unavailable', error_description: expect.stringMatching(/\S/) },
      });
      expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
      // The approved request went with the failure: no state, no timeline, and a late answer from
      // the device is refused with a JSON error.
      expect(await timeline(tenant, event.data.request_id)).toBeUndefined();
      const late = await sendCallback(event, JSON.stringify({ status: 'approved', authentication_method: 'smart-id' }));
      expect(late.status).toBeGreaterThanOrEqual(400);
      expect(late.status).toBeLessThan(500);
      expect(late.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await late.json()).toEqual({ error: expect.any(String), error_description: expect.stringMatching(/\S/) });
      // The user's one pending slot is free again.
      const next = await rpPost(issuerOf(tenant), '/cibaAuthorization', client, { scope: 'openid', login_hint: 'slow@bank.example' });
      expect(next.status, JSON.stringify(next.body)).toBe(200);
    });

    // docs/architecture.md, "Opening a request": when the webhook's answer is late or unusable, the
    // request is dropped and the bank, whose device may already be asking the user (or, as here,
    // have approved), gets a signed ciba.authentication_cancelled, as for a cancel by the RP.
    test('an authenticator whose answer came too late is told the request is cancelled', async () => {
      const box = 'slow-bank-told';
      const tenant = `e2e-fault-told-${RUN}`;
      await script(box, [{ ...knows('bank-told'), delayMs: 8_000 }, knows('bank-told')]);
      await webhookTenant(tenant, box);
      const client = await register(tenant);
      const refused = await rpPost(issuerOf(tenant), '/cibaAuthorization', client, { scope: 'openid', login_hint: 'told@bank.example' });
      expect(refused.status).toBe(503);
      const [asked, told] = await waitForLog(box, 2, 5_000);
      const requested = new Webhook(SECRET).verify(asked!.body, asked!.headers) as RequestedEvent;
      expect(new Webhook(SECRET).verify(told!.body, told!.headers)).toEqual({
        type: 'ciba.authentication_cancelled',
        data: { request_id: requested.data.request_id, tenant },
      });
    });

    test('the RP’s cancel answers at once even when the authenticator hangs on the cancellation notice; the request stays cancelled', async () => {
      const box = 'hanging-cancel-bank';
      const tenant = `e2e-fault-hcancel-${RUN}`;
      await script(box, [knows('bank-cancel'), { status: 204, delayMs: 30_000 }, knows('bank-cancel')]);
      await webhookTenant(tenant, box, { user_pending_limit: 1, user_request_limit: 10 });
      const client = await register(tenant);
      const config = await configure(tenant, client);
      const started = await oidc.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: 'cancel@bank.example',
        binding_message: 'Hanging cancel',
      });
      const event = await eventShowing(box, 'Hanging cancel');
      const before = Date.now();
      const cancelled = await rpPost(issuerOf(tenant), '/ciba/cancel', client, { auth_req_id: started.auth_req_id }, 200);
      expect(cancelled.body).toEqual({});
      // Well before the notice's 5 s limit: the RP does not wait on the user's device.
      expect(Date.now() - before).toBeLessThan(4_000);
      const [, notice] = await waitForLog(box, 2);
      expect(new Webhook(SECRET).verify(notice!.body, notice!.headers)).toEqual({
        type: 'ciba.authentication_cancelled',
        data: { request_id: event.data.request_id, tenant },
      });
      await expect(oidc.pollBackchannelAuthenticationGrant(config, started)).rejects.toMatchObject({ error: 'invalid_grant' });
      const decided = await sendCallback(event, JSON.stringify({ status: 'approved', authentication_method: 'smart-id' }));
      expect(decided.status).toBe(410);
      expect(await decided.json()).toMatchObject({ error: 'expired_token' });
      // Cancelled frees the user's slot.
      const next = await rpPost(issuerOf(tenant), '/cibaAuthorization', client, { scope: 'openid', login_hint: 'cancel@bank.example' });
      expect(next.status, JSON.stringify(next.body)).toBe(200);
    });
  });
});
