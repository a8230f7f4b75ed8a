// The device page's views (docs/protocol.md §9): the page with the visitor's pending requests (or
// how to sign in), the list alone for the live script, the live WebSocket and the page's script.
import type { Context } from 'hono';
import { html } from 'hono/html';
import { deviceInboxStub } from '../../authenticators/device-inbox.ts';
import { DEVICE_SCRIPT } from '../../device/script.ts';
import { layout, pageHeaders, requestList } from '../../device/views.ts';
import { isDevelopment } from '../../env.ts';
import { foreignOrigin, invalidRequest, notFound } from '../../errors.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { randomToken } from '../../lib/crypto.ts';
import { METHODS, entriesOf, pageUrl, proofOf, visitorOf } from './visitor.ts';

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

/** GET /{tenant}/device: the visitor's pending requests, or how to sign in. */
export async function showPage(c: Context<AppEnv>) {
  const nonce = randomToken(16);
  const visitor = await visitorOf(c);
  if (!visitor) return signInPage(c, nonce);
  const tenantId = c.get('tenantId');
  const done = c.req.query('done');
  const notice = done === 'approved' || done === 'denied' ? html`<p class="notice" role="status">Request ${done}.</p>` : '';
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
}

/** GET /{tenant}/device/list: the list alone, for the live script. */
export async function showList(c: Context<AppEnv>) {
  const visitor = await visitorOf(c);
  if (!visitor) throw notFound('No session');
  const list = requestList(c.get('tenantId'), await proofOf(c, visitor), METHODS, await entriesOf(c, visitor), Date.now());
  return c.html(list, 200, { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
}

/**
 * GET /{tenant}/device/live: a WebSocket to the user's own inbox (hibernating while idle). A handshake
 * carries the session cookie (SameSite keeps out other sites, not other origins of this site) or, in
 * development, the login hint, so only the page's own origin may open one (RFC 6455 §10.2,
 * cross-site WebSocket hijacking); a browser always sends Origin on a handshake (§4.1), so none is refused.
 */
export async function openLive(c: Context<AppEnv>) {
  if (c.req.header('Upgrade') !== 'websocket') throw invalidRequest('Expected a WebSocket upgrade');
  if (c.req.header('Origin') !== new URL(c.req.url).origin) {
    throw foreignOrigin('The live connection must come from the device page: its Origin is missing or another origin');
  }
  const visitor = await visitorOf(c);
  if (!visitor?.user) throw notFound('No session');
  return deviceInboxStub(c.env, c.get('tenant'), visitor.user.sub).fetch(c.req.raw);
}

/** GET /{tenant}/device/app.js: the page's one script. */
export const serveScript = (c: Context<AppEnv>) =>
  c.body(DEVICE_SCRIPT, 200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
