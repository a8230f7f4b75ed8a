// Issue 18, item 5: nothing below a tenant's device page may be framed (RFC 7034 X-Frame-Options, CSP
// Level 3 frame-ancestors): the pages, the list fragment that holds the Approve and Deny forms, the
// script, the live endpoint's refusals, the sign-in link's answers and every error, 404 and 405 too.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  createTenant,
  createUser,
  deviceDecide,
  deviceLink,
  deviceSession,
  linkPageForm,
  postSignIn,
  requestIdOf,
  setup,
  startRequest,
  type TestClient,
} from '../helpers/api.ts';

let tenant: string;
let client: TestClient;
let cookie: string;
let pageless: string;
beforeAll(async () => {
  ({ tenant, client } = await setup());
  cookie = await deviceSession(tenant);
  pageless = await createTenant({ device_page: false });
  await createUser(pageless);
});

/** `init` with the session cookie (read when the test runs, after beforeAll). */
const withSession = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { Cookie: cookie, ...(init.headers as Record<string, string>) } });
const SESSION = { session: true } as const;
const sent = (init: RequestInit & { session?: true }) => {
  const { session, ...rest } = init;
  return session ? withSession(rest) : rest;
};
const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual',
});

/** Asserts the response refuses every framing ancestor, both ways, and returns its status. */
function expectUnframeable(res: Response, label: string): number {
  expect(res.headers.get('X-Frame-Options'), label).toBe('DENY');
  const csp = res.headers.get('Content-Security-Policy') ?? '';
  expect(csp.split(';').map((d) => d.trim()), `${label}: ${csp}`).toContain("frame-ancestors 'none'");
  return res.status;
}

describe('no answer below the device page can be framed', () => {
  it.each<[string, string, RequestInit & { session?: true }]>([
    ['the page without a session', '', {}],
    ['the page with a session', '', SESSION],
    ['the list fragment, with its forms', '/list', SESSION],
    ['the script', '/app.js', {}],
    ['the page’s HEAD', '', { method: 'HEAD' }],
  ])('%s (200)', async (label, path, init) => {
    const res = await call(`/${tenant}/device${path}`, sent(init));
    expect(expectUnframeable(res, label)).toBe(200);
    await res.body?.cancel();
  });

  it.each<[string, string, RequestInit & { session?: true }, number]>([
    ['the list without a session', '/list', {}, 404],
    ['the live endpoint without an upgrade', '/live', SESSION, 400],
    ['the live endpoint, opened from another origin', '/live', { ...SESSION, headers: { Upgrade: 'websocket', Origin: 'https://evil.example' } }, 403],
    ['an unknown path below the page', '/nope', {}, 404],
    ['a trailing slash', '/', {}, 404],
    ['a method the list does not take', '/list', { method: 'PUT' }, 405],
    ['a method the page does not take', '', { method: 'DELETE' }, 405],
    ['a decision that is not a form', '', { method: 'POST', body: 'x' }, 400],
    ['a decision from another site', '', form({ request_id: 'x' }, { 'Sec-Fetch-Site': 'cross-site' }), 400],
    ['a bad sign-in link', '/session?token=x', {}, 400],
  ])('%s (an error)', async (label, path, init, status) => {
    const res = await call(`/${tenant}/device${path}`, sent(init));
    expect(expectUnframeable(res, label)).toBe(status);
    await res.body?.cancel();
  });

  it('a decision’s redirect back to the page (303)', async () => {
    const { auth_req_id } = await startRequest(tenant, client);
    const res = await deviceDecide(tenant, { request_id: requestIdOf(auth_req_id), decision: 'denied' });
    expect(expectUnframeable(res, 'decision')).toBe(303);
  });

  it('the sign-in link’s page (200), signing in (303), and a link signing in again (400)', async () => {
    const { action, fields } = await linkPageForm(await deviceLink(tenant));
    const page = await call(`/${tenant}/device/session?token=${encodeURIComponent(fields.token!)}`);
    expect(expectUnframeable(page, 'link page')).toBe(200);
    await page.body?.cancel();
    expect(expectUnframeable(await postSignIn(action, fields), 'signing in')).toBe(303);
    const again = await postSignIn(action, fields);
    expect(expectUnframeable(again, 'signing in again')).toBe(400);
    await again.body?.cancel();
  });

  it('a tenant without a device page, and a tenant that does not exist (404)', async () => {
    for (const path of [`/${pageless}/device`, `/${pageless}/device/list`, '/no-such-tenant/device/list', '/no-such-tenant/device']) {
      const res = await call(path);
      expect(expectUnframeable(res, path)).toBe(404);
      await res.body?.cancel();
    }
  });

  it('the page keeps its own policy whole, with frame-ancestors once', async () => {
    const res = await call(`/${tenant}/device`, withSession());
    const csp = res.headers.get('Content-Security-Policy')!;
    expect(csp).toMatch(/^default-src 'none'; script-src 'nonce-[A-Za-z0-9_-]+'; /);
    expect(csp.match(/frame-ancestors/g)).toHaveLength(1);
    await res.body?.cancel();
  });
});
