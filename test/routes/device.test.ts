// GET/POST /{tenant}/device — the built-in authenticator's device page (contract §5, issue 12): off
// unless the tenant enables it; outside development the user signs in with the operator's link and
// holds a session, whose forms carry its CSRF token; in development the login-hint shortcut stays.
import { env } from 'cloudflare:workers';
import { createExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../src/app.ts';
import type { Env } from '../../src/env.ts';
import {
  ORIGIN,
  admin,
  approve,
  call,
  createUser,
  deviceDecide,
  devicePage,
  deviceSession,
  poll,
  requestIdOf,
  setup,
  startRequest,
  type TestClient,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

let tenant: string;
let client: TestClient;
beforeAll(async () => {
  ({ tenant, client } = await setup());
  await createUser(tenant, 'bob', { login_hints: ['bob@example.com'], claims: {} });
});

const page = (sub = 'alice') => devicePage(tenant, sub);

function decide(requestId: string, decision: string, extra: Record<string, string> = {}, sub = 'alice') {
  return deviceDecide(tenant, { request_id: requestId, decision, ...extra }, sub);
}

/** The Worker with ENVIRONMENT 'development', where the login-hint shortcut still signs a user in. */
const development: Env = { ...env, ENVIRONMENT: 'development' };
const inDevelopment = (path: string, init: RequestInit = {}) =>
  Promise.resolve(app.fetch(new Request(`${ORIGIN}${path}`, init), development, createExecutionContext()));

/** The device page in development for whom `hint` names. */
const pageByHint = (hint: string) => inDevelopment(`/${tenant}/device?login_hint=${encodeURIComponent(hint)}`);

/** A decision in development, with the login hint in the form instead of a session. */
const decideByHint = (hint: string, requestId: string, decision: string, extra: Record<string, string> = {}) =>
  inDevelopment(`/${tenant}/device`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login_hint: hint, request_id: requestId, decision, ...extra }).toString(),
    redirect: 'manual',
  });

describe('the page', () => {
  it('asks you to sign in with your link when there is no session, and a login_hint signs no one in', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    for (const path of [`/${tenant}/device`, `/${tenant}/device?login_hint=alice%40example.com`]) {
      const res = await call(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      const html = await res.text();
      expect(html).toContain('sign-in link');
      expect(html).not.toContain('name="login_hint"');
      expect(html).not.toContain('Development shortcut');
      expect(html).not.toContain(requestIdOf(auth_req_id));
    }
    await approve(tenant, auth_req_id);
  });

  it('shows the client name, binding message and scope of each pending request, escaped', async () => {
    const { auth_req_id } = await startRequest(tenant, client, { binding_message: 'Pay "5 €" & co', scope: 'openid email' });
    const html = await page();
    expect(html).toContain(`value="${requestIdOf(auth_req_id)}"`);
    expect(html).toContain('Test Bank');
    expect(html).toContain('Pay &quot;5 €&quot; &amp; co');
    // The scopes in plain words: openid, email.
    expect(html).toContain('Confirm who you are');
    expect(html).toContain('Your e-mail address');
    for (const method of ['smart-id', 'mobile-id', 'app-passcode', 'app-biometrics']) expect(html).toContain(`value="${method}"`);
    expect(html).toMatch(/name="csrf" value="[^"]+"/);
    expect(html).not.toContain('name="login_hint"');
    expect(html).not.toContain(auth_req_id);
  });

  it('shows nothing of other users’ requests', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const html = await page('bob');
    expect(html).not.toContain(requestIdOf(auth_req_id));
    expect(html).toContain('No pending requests');
  });
});

describe('the development shortcut', () => {
  it('asks who you are when no login_hint is given, and says it is a shortcut', async () => {
    const res = await inDevelopment(`/${tenant}/device`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('name="login_hint"');
    expect(html).toContain('Development shortcut');
  });

  it('shows the user’s requests by login hint, marked as a shortcut, and decides with the hint in the form', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const id = requestIdOf(auth_req_id);
    const res = await pageByHint('ALICE@example.com');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Development shortcut');
    expect(html).toContain(`value="${id}"`);
    expect(html).toContain('name="login_hint" value="ALICE@example.com"');
    expect(await (await pageByHint('bob@example.com')).text()).not.toContain(id);

    await expectOAuthError(await decideByHint('bob@example.com', id, 'approved', { authentication_method: 'smart-id' }), 404, 'invalid_request');
    const decided = await decideByHint('alice@example.com', id, 'approved', { authentication_method: 'mobile-id' });
    expect(decided.status).toBe(303);
    expect(decided.headers.get('Location')).toBe(`/${tenant}/device?login_hint=alice%40example.com&done=approved`);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { authentication_method: string };
    expect(tokens.authentication_method).toBe('mobile-id');
  });
});

describe('hints storage cannot hold', () => {
  it.each([
    ['600 ASCII characters', 'a'.repeat(600)],
    ['300 × é', 'é'.repeat(300)],
  ])('%s: the page shows no requests, and a decision finds none (404)', async (_name, hint) => {
    const res = await pageByHint(hint);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('No pending requests');
    const { auth_req_id } = await startRequest(tenant, client);
    const post = await decideByHint(hint, requestIdOf(auth_req_id), 'approved', { authentication_method: 'smart-id' });
    await expectOAuthError(post, 404, 'invalid_request');
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
  });
});

describe('deciding', () => {
  it('approves with the chosen method, redirects back, and the RP gets its tokens', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const res = await decide(requestIdOf(auth_req_id), 'approved', { authentication_method: 'app-biometrics' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/${tenant}/device?done=approved`);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { authentication_method: string };
    expect(tokens.authentication_method).toBe('app-biometrics');
    expect(await page()).not.toContain(requestIdOf(auth_req_id));
    expect(await devicePage(tenant, 'alice', '?done=approved')).toContain('Request approved.');
  });

  it('denies', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const res = await decide(requestIdOf(auth_req_id), 'denied');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/${tenant}/device?done=denied`);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'access_denied');
  });

  it.each([
    ['no decision', {}, 400],
    ['an unknown decision', { decision: 'maybe' }, 400],
    ['approval without a method', { decision: 'approved' }, 400],
  ])('refuses %s with a JSON error and changes nothing', async (_name, extra, status) => {
    const { auth_req_id } = await startRequest(tenant, client);
    const res = await deviceDecide(tenant, { request_id: requestIdOf(auth_req_id), ...extra });
    await expectOAuthError(res, status, 'invalid_request');
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
  });

  it('approves only with one of the four methods it offers; anything else is 400 and decides nothing', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const id = requestIdOf(auth_req_id);
    for (const authentication_method of ['passkey-hardware', 'SMART-ID', 'smart-id ', 'pwd']) {
      const res = await decide(id, 'approved', { authentication_method });
      await expectOAuthError(res, 400, 'invalid_request', authentication_method);
    }
    expect(await page()).toContain(id);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
    expect((await decide(id, 'approved', { authentication_method: 'mobile-id' })).status).toBe(303);
  });

  it('another user cannot answer alice’s request, and a request is answered once', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const id = requestIdOf(auth_req_id);
    // Bob, signed in with a request of his own (so his page's form has his CSRF token), names alice's.
    const bobs = await startRequest(tenant, client, { login_hint: 'bob@example.com' });
    const res = await decide(id, 'approved', { authentication_method: 'smart-id' }, 'bob');
    await expectOAuthError(res, 404, 'invalid_request');
    expect(await page()).toContain(id);
    expect((await decide(requestIdOf(bobs.auth_req_id), 'denied', {}, 'bob')).status).toBe(303);
    expect((await decide(id, 'denied')).status).toBe(303);
    await expectOAuthError(await decide(id, 'approved', { authentication_method: 'smart-id' }), 404, 'invalid_request');
  });
});

describe('a decision needs the session', () => {
  const post = (fields: Record<string, string>) =>
    call(`/${tenant}/device`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });

  it('without a session, a login_hint in the form decides nothing (404)', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const res = await post({ login_hint: 'alice@example.com', request_id: requestIdOf(auth_req_id), decision: 'denied' });
    await expectOAuthError(res, 404, 'invalid_request');
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
  });

  it('a session cookie that is not one the tenant issued signs no one in', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const cookie = await deviceSession(tenant);
    const [name, value] = cookie.split('=') as [string, string];
    const forged = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    const html = await (await call(`/${tenant}/device`, { headers: { Cookie: forged } })).text();
    expect(html).toContain('sign-in link');
    expect(html).not.toContain(requestIdOf(auth_req_id));
    await approve(tenant, auth_req_id);
  });
});

describe('a request decided elsewhere', () => {
  it('answers 409 on the device page and leaves the page', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const id = requestIdOf(auth_req_id);
    await approve(tenant, auth_req_id);
    expect(await page()).toContain(id);
    const res = await decide(id, 'denied');
    await expectOAuthError(res, 409, 'invalid_request');
    expect(await page()).not.toContain(id);
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
  });
});

describe('users and tenants that go away', () => {
  it('a deleted user’s pending requests do not pass to a new user with the same sub', async () => {
    const t = await setup();
    const { auth_req_id } = await startRequest(t.tenant, t.client);
    const oldSession = await deviceSession(t.tenant);
    expect(await devicePage(t.tenant)).toContain(requestIdOf(auth_req_id));
    expect((await admin(`/tenants/${t.tenant}/users/alice`, 'DELETE')).status).toBe(204);
    await createUser(t.tenant);
    expect(await devicePage(t.tenant)).not.toContain(requestIdOf(auth_req_id));
    // Nor does the deleted user's session sign the new one in.
    const html = await (await call(`/${t.tenant}/device`, { headers: { Cookie: oldSession } })).text();
    expect(html).toContain('sign-in link');
    expect(html).not.toContain(requestIdOf(auth_req_id));
  });

  it('nor do a deleted tenant’s to a new tenant with the same id', async () => {
    const t = await setup();
    const { auth_req_id } = await startRequest(t.tenant, t.client);
    const oldSession = await deviceSession(t.tenant);
    expect((await admin(`/tenants/${t.tenant}`, 'DELETE')).status).toBe(204);
    expect((await admin(`/tenants/${t.tenant}`, 'PUT', { device_page: true })).status).toBe(201);
    await createUser(t.tenant);
    const html = await devicePage(t.tenant);
    expect(html).toContain('No pending requests');
    expect(html).not.toContain(requestIdOf(auth_req_id));
    // Nor does a session from the deleted tenant sign anyone in.
    const old = await (await call(`/${t.tenant}/device`, { headers: { Cookie: oldSession } })).text();
    expect(old).toContain('sign-in link');
    expect(old).not.toContain(requestIdOf(auth_req_id));
  });
});
