// Who may use the device page (issue 12): off unless the tenant enables it; outside development the
// user signs in once with the operator's link, pressing Sign in on the page it opens (issue 18), and
// holds a signed, HttpOnly, SameSite=Strict session cookie; its forms carry a CSRF token; a strict
// CSP with nonces and no inline script; a live WebSocket to the user's own inbox, from its own origin.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { base64url, fromBase64url, utf8 } from '../../src/lib/encoding.ts';
import { keyedDigest } from '../../src/secrets.ts';
import {
  ORIGIN,
  admin,
  call,
  createTenant,
  createUser,
  deviceSession,
  linkPageForm,
  postSignIn,
  requestIdOf,
  setup,
  startRequest,
} from '../helpers/api.ts';
import { expectOAuthError } from '../helpers/oauth.ts';

afterEach(() => vi.useRealTimers());

const linkFor = async (tenant: string, sub = 'alice') => {
  const res = await admin(`/tenants/${tenant}/users/${sub}/device-link`, 'POST');
  expect(res.status).toBe(201);
  return (await res.json()) as { url: string; expires_at: number };
};
const pathOf = (url: string) => `${new URL(url).pathname}${new URL(url).search}`;
const pageWith = (tenant: string, cookie?: string, query = '') =>
  call(`/${tenant}/device${query}`, cookie ? { headers: { Cookie: cookie } } : {});
const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];
const decide = (tenant: string, cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  call(`/${tenant}/device`, {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });

describe('the device page is off unless the tenant enables it', () => {
  it('answers 404 on every path, and the admin API gives no link', async () => {
    const tenant = await createTenant({ device_page: false });
    await createUser(tenant);
    for (const path of ['', '/list', '/live', '/app.js', '/session?token=x']) {
      await expectOAuthError(await call(`/${tenant}/device${path}`), 404, 'invalid_request');
    }
    await expectOAuthError(await postSignIn(`/${tenant}/device/session`, { token: 'x' }), 404, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/users/alice/device-link`, 'POST'), 400, 'invalid_request');
    await expectOAuthError(await admin(`/tenants/${tenant}/users/nobody/device-link`, 'POST'), 404, 'invalid_request');
  });
});

describe('signing in with the operator’s link', () => {
  it('opening the link changes nothing: a page, never cached or framed, whose form posts the link back', async () => {
    const { tenant } = await setup();
    const { url, expires_at } = await linkFor(tenant);
    expect(new URL(url).pathname).toBe(`/${tenant}/device/session`);
    expect(expires_at).toBeGreaterThan(Date.now() / 1000 + 800);
    const token = new URL(url).searchParams.get('token')!;
    for (let i = 0; i < 2; i++) {
      const res = await call(pathOf(url));
      expect(res.status).toBe(200);
      expect(res.headers.get('Set-Cookie')).toBeNull();
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
      expect(res.headers.get('Content-Security-Policy')).toContain("form-action 'self'");
      const html = await res.text();
      expect(html).toContain('signs you in as <strong>Alice</strong>');
      expect(html).toContain(`<form method="post" action="/${tenant}/device/session">`);
      expect(html).toContain(`<input type="hidden" name="token" value="${token}">`);
      expect(html).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    }
    // Opened twice, the link still signs in.
    const { action, fields } = await linkPageForm(pathOf(url));
    expect((await postSignIn(action, fields)).status).toBe(303);
  });

  it('pressing Sign in sets a signed HttpOnly, Secure, SameSite=Strict cookie scoped to the tenant’s device page, and leads there (303)', async () => {
    const { tenant } = await setup();
    const { action, fields } = await linkPageForm(pathOf((await linkFor(tenant)).url));
    const res = await postSignIn(action, fields);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/${tenant}/device`);
    const cookie = res.headers.get('Set-Cookie')!;
    expect(cookie).toMatch(/^device_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(new RegExp(`Path=/${tenant}/device`));
    expect(await (await pageWith(tenant, cookie.split(';')[0])).text()).toContain('Your pending requests');
  });

  it('a link signs in once: again, it is 400 "already used" and sets no cookie, also when two race', async () => {
    const { tenant } = await setup();
    const { action, fields } = await linkPageForm(pathOf((await linkFor(tenant)).url));
    expect((await postSignIn(action, fields)).status).toBe(303);
    const again = await postSignIn(action, fields);
    expect(again.headers.get('Set-Cookie')).toBeNull();
    expect((await expectOAuthError(again, 400, 'invalid_request')).error_description).toMatch(/already used.*new one/);
    // Two presses at once: one signs in, the other is refused.
    const racing = await linkPageForm(pathOf((await linkFor(tenant)).url));
    const both = await Promise.all([postSignIn(racing.action, racing.fields), postSignIn(racing.action, racing.fields)]);
    expect(both.map((r) => r.status).sort()).toEqual([303, 400]);
    expect(both.filter((r) => r.headers.get('Set-Cookie'))).toHaveLength(1);
  });

  it('signing in comes from the link’s page only: another site’s POST is refused, sets no cookie, and spends nothing', async () => {
    const { tenant } = await setup();
    const { action, fields } = await linkPageForm(pathOf((await linkFor(tenant)).url));
    const foreign: Record<string, string>[] = [{ 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site' }, { Origin: 'https://evil.example' }];
    for (const headers of foreign) {
      const res = await call(action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(fields),
        redirect: 'manual',
      });
      expect(res.headers.get('Set-Cookie')).toBeNull();
      await expectOAuthError(res, 400, 'invalid_request', JSON.stringify(headers));
    }
    await expectOAuthError(await postSignIn(action, {}), 400, 'invalid_request');
    await expectOAuthError(await postSignIn(action, fields, { 'Content-Type': 'text/plain' }), 400, 'invalid_request');
    expect((await postSignIn(action, fields)).status).toBe(303);
  });

  it('refuses a tampered, expired, foreign or outlived link, on opening and on signing in', async () => {
    const { tenant } = await setup();
    const { url } = await linkFor(tenant);
    const token = new URL(url).searchParams.get('token')!;
    const [body, mac] = token.split('.') as [string, string];
    const other = await createTenant();
    await createUser(other);
    const refused = async (bad: string) => {
      await expectOAuthError(await call(`/${tenant}/device/session?token=${encodeURIComponent(bad)}`), 400, 'invalid_request');
      const res = await postSignIn(`/${tenant}/device/session`, { token: bad });
      expect(res.headers.get('Set-Cookie')).toBeNull();
      await expectOAuthError(res, 400, 'invalid_request');
    };
    for (const bad of [`${body}.${mac.slice(0, -2)}AA`, `${body}x.${mac}`, 'garbage', '']) await refused(bad);
    // Another tenant's link does not open this tenant's page.
    await refused(new URL((await linkFor(other)).url).searchParams.get('token')!);
    // A user deleted and re-created since the link was made is another user.
    expect((await admin(`/tenants/${tenant}/users/alice`, 'DELETE')).status).toBe(204);
    await createUser(tenant);
    await refused(token);
    // A link without its own id (as links were before they signed in once) could not be spent.
    const grant = JSON.parse(new TextDecoder().decode(fromBase64url(new URL((await linkFor(tenant)).url).searchParams.get('token')!.split('.')[0]!)));
    const idless = base64url(utf8(JSON.stringify({ ...grant, jti: undefined })));
    await refused(`${idless}.${await keyedDigest(env, 'device sessions', tenant, `link.${idless}`)}`);
    // Past 15 minutes the link is dead.
    const fresh = await linkFor(tenant);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 16 * 60_000 });
    await refused(new URL(fresh.url).searchParams.get('token')!);
  });
});

describe('what the page shows', () => {
  it('without a session: a sign-in page and no request, whatever login_hint says', async () => {
    const { tenant, client } = await setup();
    await startRequest(tenant, client, { binding_message: 'Secret payment' });
    for (const query of ['', '?login_hint=alice%40example.com']) {
      const html = await (await pageWith(tenant, undefined, query)).text();
      expect(html).toContain('Sign in to your device');
      expect(html).not.toContain('Secret payment');
      expect(html).not.toContain('Development shortcut');
    }
    await expectOAuthError(await call(`/${tenant}/device/list`), 404, 'invalid_request');
  });

  it('with a session: only that user’s requests, under a strict CSP with nonces and no inline script', async () => {
    const { tenant, client } = await setup();
    await createUser(tenant, 'bob', { login_hints: ['bob@example.com'], claims: {} });
    await startRequest(tenant, client, { binding_message: 'For Alice' });
    await startRequest(tenant, client, { login_hint: 'bob@example.com', binding_message: 'For Bob' });
    const res = await pageWith(tenant, await deviceSession(tenant));
    const html = await res.text();
    expect(html).toContain('For Alice');
    expect(html).not.toContain('For Bob');
    const csp = res.headers.get('Content-Security-Policy')!;
    const nonce = /script-src 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(html).toContain(`<script nonce="${nonce}" src="/${tenant}/device/app.js" defer></script>`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain(`<style nonce="${nonce}">`);
    // Every page gets a fresh nonce.
    const again = await pageWith(tenant, await deviceSession(tenant));
    expect(again.headers.get('Content-Security-Policy')).not.toContain(nonce);
    // The live script's URLs are the list and the socket below this tenant's page.
    expect(html).toContain(`data-list="/${tenant}/device/list" data-live="/${tenant}/device/live"`);
    const script = await call(`/${tenant}/device/app.js`);
    expect(script.headers.get('Content-Type')).toMatch(/^text\/javascript/);
  });

  it('a tenant named `device` gets its own list and socket URLs', async () => {
    const tenant = await createTenant({}, `device`);
    await createUser(tenant);
    const html = await (await pageWith(tenant, await deviceSession(tenant))).text();
    expect(html).toContain('data-list="/device/device/list" data-live="/device/device/live"');
  });

  it('a session ends after 12 hours', async () => {
    const { tenant, client } = await setup();
    await startRequest(tenant, client, { binding_message: 'Later' });
    const cookie = await deviceSession(tenant);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 12 * 3600_000 + 1000 });
    expect(await (await pageWith(tenant, cookie)).text()).toContain('Sign in to your device');
  });
});

describe('deciding from the page', () => {
  it('needs the session’s CSRF token and the same origin; with them the request is decided once', async () => {
    const { tenant, client } = await setup();
    const { auth_req_id } = await startRequest(tenant, client);
    const cookie = await deviceSession(tenant);
    const csrf = csrfIn(await (await pageWith(tenant, cookie)).text())!;
    const fields = { request_id: requestIdOf(auth_req_id), decision: 'approved', authentication_method: 'smart-id' };
    await expectOAuthError(await decide(tenant, cookie, fields), 400, 'invalid_request');
    await expectOAuthError(await decide(tenant, cookie, { ...fields, csrf: `${csrf.slice(0, -2)}AA` }), 400, 'invalid_request');
    const otherCookie = await deviceSession(tenant);
    const otherCsrf = csrfIn(await (await pageWith(tenant, otherCookie)).text())!;
    await expectOAuthError(await decide(tenant, cookie, { ...fields, csrf: otherCsrf }), 400, 'invalid_request');
    await expectOAuthError(
      await decide(tenant, cookie, { ...fields, csrf }, { Origin: 'https://evil.example' }),
      400,
      'invalid_request',
    );
    const ok = await decide(tenant, cookie, { ...fields, csrf }, { Origin: 'https://as.example.test' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toBe(`/${tenant}/device?done=approved`);
    // The second click finds it decided.
    const again = await decide(tenant, cookie, { ...fields, csrf });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
  });

  it('another user’s session cannot decide alice’s request', async () => {
    const { tenant, client } = await setup();
    await createUser(tenant, 'bob', { login_hints: ['bob@example.com'], claims: {} });
    const { auth_req_id } = await startRequest(tenant, client);
    await startRequest(tenant, client, { login_hint: 'bob@example.com' }); // so bob's page has a form, and a CSRF token
    const bob = await deviceSession(tenant, 'bob');
    const csrf = csrfIn(await (await pageWith(tenant, bob)).text())!;
    const res = await decide(tenant, bob, { csrf, request_id: requestIdOf(auth_req_id), decision: 'denied' });
    await expectOAuthError(res, 404, 'invalid_request');
  });
});

describe('live updates', () => {
  it('a WebSocket to the user’s inbox says `changed` when a request arrives and when it leaves', async () => {
    const { tenant, client } = await setup();
    const cookie = await deviceSession(tenant);
    await expectOAuthError(await call(`/${tenant}/device/live`, { headers: { Cookie: cookie } }), 400, 'invalid_request');
    await expectOAuthError(await call(`/${tenant}/device/live`, { headers: { Upgrade: 'websocket', Origin: ORIGIN } }), 404, 'invalid_request');
    const res = await call(`/${tenant}/device/live`, { headers: { Upgrade: 'websocket', Origin: ORIGIN, Cookie: cookie } });
    expect(res.status).toBe(101);
    const socket = res.webSocket!;
    const messages: string[] = [];
    socket.accept();
    socket.addEventListener('message', (e) => {
      messages.push(String(e.data));
    });
    const { auth_req_id } = await startRequest(tenant, client);
    await vi.waitFor(() => expect(messages).toEqual(['changed']));
    const fragment = await (await call(`/${tenant}/device/list`, { headers: { Cookie: cookie } })).text();
    expect(fragment).toContain(requestIdOf(auth_req_id));
    expect(fragment).not.toContain('<html');
    await call(`/${tenant}/as/ciba/cancel`, {
      method: 'POST',
      headers: { Authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ auth_req_id }),
    });
    await vi.waitFor(() => expect(messages).toEqual(['changed', 'changed']));
    socket.close();
  });

  it('only the page’s own origin may open it: another origin, or none, is refused 403 even with the session', async () => {
    const { tenant } = await setup();
    const cookie = await deviceSession(tenant);
    const others = ['https://evil.example', 'null', 'http://as.example.test', 'https://as.example.test:8443', 'https://sub.as.example.test'];
    for (const origin of [...others, undefined]) {
      const headers: Record<string, string> = { Upgrade: 'websocket', Cookie: cookie, ...(origin === undefined ? {} : { Origin: origin }) };
      const res = await call(`/${tenant}/device/live`, { headers });
      expect(res.webSocket, String(origin)).toBeNull();
      const { error_description } = await expectOAuthError(res, 403, 'invalid_request', String(origin));
      expect(error_description).toMatch(/Origin/);
    }
  });
});
