// GET/POST /{tenant}/device — the built-in authenticator's device page (contract §5).
import { beforeAll, describe, expect, it } from 'vitest';
import { admin, approve, call, createUser, poll, postForm, requestIdOf, setup, startRequest, type TestClient } from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

let tenant: string;
let client: TestClient;
beforeAll(async () => {
  ({ tenant, client } = await setup());
});

const page = (hint: string) => call(`/${tenant}/device?login_hint=${encodeURIComponent(hint)}`);

function decide(requestId: string, decision: string, extra: Record<string, string> = {}, hint = 'alice@example.com') {
  return call(`/${tenant}/device`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login_hint: hint, request_id: requestId, decision, ...extra }).toString(),
    redirect: 'manual',
  });
}

describe('the page', () => {
  it('asks who you are when no login_hint is given', async () => {
    const res = await call(`/${tenant}/device`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.text()).toContain('name="login_hint"');
  });

  it('shows the client name, binding message and scope of each pending request, escaped', async () => {
    const { auth_req_id } = await startRequest(tenant, client, { binding_message: 'Pay "5 €" & co', scope: 'openid email' });
    const html = await (await page('ALICE@example.com')).text();
    expect(html).toContain(`value="${requestIdOf(auth_req_id)}"`);
    expect(html).toContain('Test Bank');
    expect(html).toContain('Pay &quot;5 €&quot; &amp; co');
    expect(html).toContain('openid email');
    for (const method of ['smart-id', 'mobile-id', 'app-passcode', 'app-biometrics']) expect(html).toContain(`value="${method}"`);
    expect(html).not.toContain(auth_req_id);
  });

  it('shows nothing of other users’ requests', async () => {
    await createUser(tenant, 'bob', { login_hints: ['bob@example.com'], claims: {} });
    const { auth_req_id } = await startRequest(tenant, client);
    const html = await (await page('bob@example.com')).text();
    expect(html).not.toContain(requestIdOf(auth_req_id));
    expect(html).toContain('No pending requests');
  });
});

describe('hints storage cannot hold', () => {
  it.each([
    ['600 ASCII characters', 'a'.repeat(600)],
    ['300 × é', 'é'.repeat(300)],
  ])('%s: the page shows no requests, and a decision finds none (404)', async (_name, hint) => {
    const res = await page(hint);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('No pending requests');
    const { auth_req_id } = await startRequest(tenant, client);
    const post = await decide(requestIdOf(auth_req_id), 'approved', { authentication_method: 'smart-id' }, hint);
    await expectOAuthError(post, 404, 'invalid_request');
  });
});

describe('deciding', () => {
  it('approves with the chosen method, redirects back, and the RP gets its tokens', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const res = await decide(requestIdOf(auth_req_id), 'approved', { authentication_method: 'app-biometrics' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/${tenant}/device?login_hint=alice%40example.com&done=approved`);
    const tokens = (await (await poll(tenant, client, auth_req_id)).json()) as { authentication_method: string };
    expect(tokens.authentication_method).toBe('app-biometrics');
    expect(await (await page('alice@example.com')).text()).not.toContain(requestIdOf(auth_req_id));
  });

  it('denies', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    expect((await decide(requestIdOf(auth_req_id), 'denied')).status).toBe(303);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'access_denied');
  });

  it.each([
    ['no decision', {}, 400],
    ['an unknown decision', { decision: 'maybe' }, 400],
    ['approval without a method', { decision: 'approved' }, 400],
  ])('refuses %s with a JSON error and changes nothing', async (_name, extra, status) => {
    const { auth_req_id } = await startRequest(tenant, client);
    const res = await postForm(`/${tenant}/device`, { login_hint: 'alice@example.com', request_id: requestIdOf(auth_req_id), ...extra });
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
    expect(await (await page('alice@example.com')).text()).toContain(id);
    await expectOAuthError(await poll(tenant, client, auth_req_id), 400, 'authorization_pending');
    expect((await decide(id, 'approved', { authentication_method: 'mobile-id' })).status).toBe(303);
  });

  it('another user cannot answer alice’s request, and a request is answered once', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const id = requestIdOf(auth_req_id);
    const res = await decide(id, 'approved', { authentication_method: 'smart-id' }, 'bob@example.com');
    await expectOAuthError(res, 404, 'invalid_request');
    expect((await decide(id, 'denied')).status).toBe(303);
    await expectOAuthError(await decide(id, 'approved', { authentication_method: 'smart-id' }), 404, 'invalid_request');
  });
});

describe('a request decided elsewhere', () => {
  it('answers 409 on the device page and leaves the page', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const id = requestIdOf(auth_req_id);
    await approve(tenant, auth_req_id);
    expect(await (await page('alice@example.com')).text()).toContain(id);
    const res = await decide(id, 'denied');
    await expectOAuthError(res, 409, 'invalid_request');
    expect(await (await page('alice@example.com')).text()).not.toContain(id);
    expect((await poll(tenant, client, auth_req_id)).status).toBe(200);
  });
});

describe('users and tenants that go away', () => {
  it('a deleted user’s pending requests do not pass to a new user with the same sub', async () => {
    const t = await setup();
    const { auth_req_id } = await startRequest(t.tenant, t.client);
    const pageOf = () => call(`/${t.tenant}/device?login_hint=alice%40example.com`).then((r) => r.text());
    expect(await pageOf()).toContain(requestIdOf(auth_req_id));
    expect((await admin(`/tenants/${t.tenant}/users/alice`, 'DELETE')).status).toBe(204);
    await createUser(t.tenant);
    expect(await pageOf()).not.toContain(requestIdOf(auth_req_id));
  });

  it('nor do a deleted tenant’s to a new tenant with the same id', async () => {
    const t = await setup();
    const { auth_req_id } = await startRequest(t.tenant, t.client);
    expect((await admin(`/tenants/${t.tenant}`, 'DELETE')).status).toBe(204);
    expect((await admin(`/tenants/${t.tenant}`, 'PUT', {})).status).toBe(201);
    await createUser(t.tenant);
    const html = await call(`/${t.tenant}/device?login_hint=alice%40example.com`).then((r) => r.text());
    expect(html).toContain('No pending requests');
    expect(html).not.toContain(requestIdOf(auth_req_id));
  });
});
