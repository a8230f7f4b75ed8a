// /{tenant}/device — the built-in authenticator's device page (docs/protocol.md §5, issue 12): the user's
// pending requests, live, and the decision (approve, choosing how, or deny), which goes through the
// same rules as POST {issuer}/ciba/callback. Off unless the tenant enables it (`device_page`).
// Outside development the user signs in with a link from the operator and holds a session cookie
// (device/session.ts); in development the login-hint shortcut stays, marked as such.
import { Hono } from '../http/hono.ts';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { AppEnv } from '../http/app-env.ts';
import { isDevelopment } from '../env.ts';
import { foreignOrigin, invalidRequest, notFound } from '../errors.ts';
import { decisionRefusal } from '../http/decision.ts';
import { deviceInboxStub } from '../authenticators/device-inbox.ts';
import { applyDecision, parseDecision } from '../ciba/callback.ts';
import { isRequestId } from '../ciba/auth-req-id.ts';
import {
  DEVICE_SESSION_TTL_S,
  SESSION_COOKIE,
  csrfTokenOf,
  isCsrfToken,
  openDeviceSession,
  verifyDeviceLink,
  verifyDeviceSession,
  type DeviceGrant,
  type DeviceLink,
} from '../device/session.ts';
import { DEVICE_SCRIPT } from '../device/script.ts';
import { layout, pageHeaders, requestList, type FormProof } from '../device/views.ts';
import { parseForm, type FormParams } from '../http/form.ts';
import { route } from '../http/route.ts';
import { randomToken } from '../lib/crypto.ts';
import { nowSeconds } from '../lib/time.ts';
import { spendJti } from '../replay/guard.ts';
import { AMR_BY_METHOD } from '../tokens/amr.ts';
import { findUserByLoginHint, getUser, type UserRecord } from '../users/store.ts';

export const device = new Hono<AppEnv>();

const METHODS = Object.keys(AMR_BY_METHOD);
/** The replay store's namespace for sign-in links' ids (docs/storage.md, ReplayGuard). */
const DEVICE_LINK_REPLAY_NAMESPACE = 'device link';

// Only tenants that use the built-in authenticator and enable it have a device page.
device.use('*', async (c, next) => {
  const { settings } = c.get('tenant');
  if (settings.authenticator.type !== 'builtin' || settings.device_page !== true) throw notFound('This tenant has no device page');
  await next();
});

/** Who is on the page: a session's user, or (development only) whom the login hint names. */
type Visitor = { user: UserRecord; session: DeviceGrant } | { user: UserRecord | undefined; loginHint: string };

async function visitorOf(c: Context<AppEnv>, form?: FormParams): Promise<Visitor | undefined> {
  const tenant = c.get('tenant');
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie) {
    const session = await verifyDeviceSession(c.env, tenant, cookie, nowSeconds());
    const user = session && (await getUser(c.env, tenant, session.sub));
    if (session && user && user.incarnation === session.userIncarnation) return { user, session };
  }
  if (!isDevelopment(c.env)) return undefined;
  const loginHint = form ? form.get('login_hint') : c.req.query('login_hint');
  if (!loginHint) return undefined;
  return { user: await findUserByLoginHint(c.env, tenant, loginHint), loginHint };
}

const proofOf = async (c: Context<AppEnv>, visitor: Visitor): Promise<FormProof> =>
  'session' in visitor ? { csrf: await csrfTokenOf(c.env, c.get('tenant'), visitor.session) } : { loginHint: visitor.loginHint };

const entriesOf = (c: Context<AppEnv>, visitor: Visitor) =>
  visitor.user ? deviceInboxStub(c.env, c.get('tenant'), visitor.user.sub).list() : Promise.resolve([]);

/** A URL of the device page (`path` below it: /list, /live), carrying the development login hint. */
const pageUrl = (tenantId: string, visitor: Visitor, query = '', path = '') => {
  const params = new URLSearchParams('loginHint' in visitor ? { login_hint: visitor.loginHint } : {});
  if (query) for (const [k, v] of new URLSearchParams(query)) params.set(k, v);
  const q = params.toString();
  return `/${tenantId}/device${path}${q ? `?${q}` : ''}`;
};

/**
 * A form must come from a page of this origin: the browser says so in Sec-Fetch-Site (Fetch Metadata),
 * and its Origin, unless withheld as "null", is this one (RFC 6454 §7). Clients that send neither pass.
 */
function assertSameOrigin(c: Context<AppEnv>, description: string): void {
  const site = c.req.header('Sec-Fetch-Site');
  const origin = c.req.header('Origin');
  if (
    (site !== undefined && site !== 'same-origin' && site !== 'none') ||
    (origin !== undefined && origin !== 'null' && origin !== new URL(c.req.url).origin)
  ) {
    throw invalidRequest(description);
  }
}

const signInPage = (c: Context<AppEnv>, nonce: string) => {
  const tenantId = c.get('tenantId');
  const body = isDevelopment(c.env)
    ? html`<h1>Sign in to your device</h1>
<p class="dev" role="note"><strong>Development shortcut.</strong> Here anyone may open a user's requests by naming them; outside development users sign in with a link from their bank.</p>
<form method="get" action="/${tenantId}/device">
<label for="login_hint">Your e-mail, phone number or user id</label>
<input id="login_hint" name="login_hint" required autocomplete="username">
<button type="submit">Show my requests</button>
</form>`
    : html`<h1>Sign in to your device</h1>
<p>Open the sign-in link your bank sent you. It works for 15 minutes.</p>`;
  return c.html(layout('Sign in', nonce, body), 200, pageHeaders(nonce));
};

route(device, '/', {
  GET: async (c) => {
    const nonce = randomToken(16);
    const visitor = await visitorOf(c);
    if (!visitor) return signInPage(c, nonce);
    const tenantId = c.get('tenantId');
    const done = c.req.query('done');
    const notice =
      done === 'approved' || done === 'denied' ? html`<p class="notice" role="status">Request ${done}.</p>` : '';
    const list = requestList(tenantId, await proofOf(c, visitor), METHODS, await entriesOf(c, visitor), Date.now());
    const dev =
      'loginHint' in visitor
        ? html`<p class="dev" role="note"><strong>Development shortcut:</strong> signed in by login hint, without proof.</p>`
        : '';
    const body = html`<h1>Your pending requests</h1>
${dev}${notice}
<p id="announce" class="sr-only" aria-live="polite"></p>
<div id="requests" data-list="${pageUrl(tenantId, visitor, '', '/list')}" data-live="${pageUrl(tenantId, visitor, '', '/live')}">${list}</div>
<p><a href="${pageUrl(tenantId, visitor)}">Refresh</a></p>`;
    return c.html(layout('Your pending requests', nonce, body, `/${tenantId}/device/app.js`), 200, pageHeaders(nonce));
  },
  POST: async (c) => {
    const tenantId = c.get('tenantId');
    const tenant = c.get('tenant');
    const form = await parseForm(c);
    form.assertWellFormed();
    // A decision comes from this page only: same origin, and a session's form carries its CSRF token.
    assertSameOrigin(c, 'The decision must come from the device page');
    const visitor = await visitorOf(c, form);
    if (!visitor) throw notFound('No such pending request for this user');
    if ('session' in visitor && !(await isCsrfToken(c.env, tenant, visitor.session, form.get('csrf')))) {
      throw invalidRequest('The form is stale or did not come from the device page; reload it');
    }
    const requestId = form.get('request_id');
    const decision = form.get('decision');
    if (!requestId || !isRequestId(requestId)) {
      throw invalidRequest('A valid request_id is required');
    }
    if (decision !== 'approved' && decision !== 'denied') throw invalidRequest('decision must be approved or denied');
    const method = form.get('authentication_method');
    if (decision === 'approved' && (method === undefined || !METHODS.includes(method))) {
      throw invalidRequest(`authentication_method must be one of ${METHODS.join(', ')}`);
    }
    const displayHash = form.get('display_hash');
    const input = parseDecision(
      decision === 'approved'
        ? { status: 'approved', authentication_method: method, ...(displayHash !== undefined ? { display_hash: displayHash } : {}) }
        : { status: 'denied' },
    );
    if (!input.ok) throw invalidRequest(input.description);
    const inbox = visitor.user ? deviceInboxStub(c.env, tenant, visitor.user.sub) : undefined;
    const entry = await inbox?.get(requestId);
    if (!inbox || !entry) throw notFound('No such pending request for this user');
    // Every outcome is final (taken, already decided, expired, unknown) and clears the entry; a
    // dependency that fails throws instead, and the entry stays for the user to try again.
    const outcome = await applyDecision(c.env, tenant, entry.callbackToken, input);
    await inbox.remove(requestId);
    const refusal = decisionRefusal(outcome);
    if (refusal) throw refusal;
    return c.redirect(pageUrl(tenantId, visitor, `done=${decision}`), 303);
  },
});

// The list alone, for the live script.
route(device, '/list', {
  GET: async (c) => {
    const visitor = await visitorOf(c);
    if (!visitor) throw notFound('No session');
    const list = requestList(c.get('tenantId'), await proofOf(c, visitor), METHODS, await entriesOf(c, visitor), Date.now());
    return c.html(list, 200, { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  },
});

// The live connection: a WebSocket to the user's own inbox (hibernating while idle). A handshake
// carries the session cookie (SameSite keeps out other sites, not other origins of this site) or, in
// development, the login hint, so only the page's own origin may open one (RFC 6455 §10.2,
// cross-site WebSocket hijacking); a browser always sends Origin on a handshake (§4.1), so none is refused.
route(device, '/live', {
  GET: async (c) => {
    if (c.req.header('Upgrade') !== 'websocket') throw invalidRequest('Expected a WebSocket upgrade');
    if (c.req.header('Origin') !== new URL(c.req.url).origin) {
      throw foreignOrigin('The live connection must come from the device page: its Origin is missing or another origin');
    }
    const visitor = await visitorOf(c);
    if (!visitor?.user) throw notFound('No session');
    return deviceInboxStub(c.env, c.get('tenant'), visitor.user.sub).fetch(c.req.raw);
  },
});

route(device, '/app.js', {
  GET: (c) =>
    c.body(DEVICE_SCRIPT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    }),
});

// A sign-in link from the operator (docs/operations.md, the device page). Opening it changes nothing:
// it shows whom it signs in and a Sign in button. Signing in is a deliberate POST from that page
// (same origin, so another site cannot sign a visitor in as someone else), and spends the link: it
// signs in once. The redirect that follows is same-site, so the SameSite=Strict cookie goes with it.
const LINK_REFUSED = 'This sign-in link is not valid, or has expired; ask for a new one';

/** The link's grant and its user, when the link verifies and its user is still the one it names. */
async function linkOf(c: Context<AppEnv>, token: string, now: number): Promise<{ link: DeviceLink; user: UserRecord }> {
  const tenant = c.get('tenant');
  const link = await verifyDeviceLink(c.env, tenant, token, now);
  const user = link && (await getUser(c.env, tenant, link.sub));
  if (!link || !user || user.incarnation !== link.userIncarnation) throw invalidRequest(LINK_REFUSED);
  return { link, user };
}

route(device, '/session', {
  GET: async (c) => {
    const tenantId = c.get('tenantId');
    const token = c.req.query('token') ?? '';
    const { user } = await linkOf(c, token, nowSeconds());
    const name = typeof user.claims.name === 'string' && user.claims.name !== '' ? user.claims.name : user.sub;
    const nonce = randomToken(16);
    const body = html`<h1>Sign in to your device</h1>
<p id="whom">This link signs you in as <strong>${name}</strong>, to see and answer your pending requests. It works once.</p>
<form method="post" action="/${tenantId}/device/session">
<input type="hidden" name="token" value="${token}">
<button type="submit" aria-describedby="whom">Sign in</button>
</form>`;
    // The script only keeps a double click from sending the form twice; without it the form works.
    return c.html(layout('Sign in', nonce, body, `/${tenantId}/device/app.js`), 200, pageHeaders(nonce));
  },
  POST: async (c) => {
    const tenant = c.get('tenant');
    const form = await parseForm(c);
    form.assertWellFormed();
    assertSameOrigin(c, 'Signing in must come from the page the sign-in link opens');
    const now = nowSeconds();
    const { link } = await linkOf(c, form.get('token') ?? '', now);
    // Spent at every location at once (a Durable Object, docs/storage.md), after every check passed.
    const spent = await spendJti(c.env, tenant.id, DEVICE_LINK_REPLAY_NAMESPACE, link.jti, link.exp * 1000);
    if (spent.status === 'replayed') throw invalidRequest('This sign-in link was already used; ask for a new one');
    const { cookie } = await openDeviceSession(c.env, tenant, link, now);
    setCookie(c, SESSION_COOKIE, cookie, {
      path: `/${tenant.id}/device`,
      httpOnly: true,
      secure: !isDevelopment(c.env),
      sameSite: 'Strict',
      maxAge: DEVICE_SESSION_TTL_S,
    });
    return c.redirect(`/${tenant.id}/device`, 303);
  },
});
