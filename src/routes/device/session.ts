// /{tenant}/device/session: signing in with a link from the operator (docs/protocol.md §9). Opening
// it changes nothing: it shows whom it signs in and a Sign in button. Signing in is a deliberate POST
// from that page (same origin, so another site cannot sign a visitor in as someone else) and spends
// the link: it signs in once. The redirect that follows is same-site, so the SameSite=Strict cookie
// goes with it.
import type { Context } from 'hono';
import { setStrictCookie } from '../../http/cookie.ts';
import { html } from 'hono/html';
import { DEVICE_SESSION_TTL_S, SESSION_COOKIE, openDeviceSession, verifyDeviceLink, type DeviceLink } from '../../device/session.ts';
import { layout, pageHeaders } from '../../device/views.ts';
import { isDevelopment } from '../../env.ts';
import { invalidRequest } from '../../errors.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { parseForm } from '../../http/form.ts';
import { randomToken } from '../../lib/crypto.ts';
import { nowSeconds } from '../../lib/time.ts';
import { spendJti } from '../../replay/guard.ts';
import { getUser, type UserRecord } from '../../users/store.ts';
import { assertSameOrigin } from './visitor.ts';

/** The replay store's namespace for sign-in links' ids (docs/storage.md, ReplayGuard). */
const DEVICE_LINK_REPLAY_NAMESPACE = 'device link';
const LINK_REFUSED = 'This sign-in link is not valid, or has expired; ask for a new one';

/** The link's grant and its user, when the link verifies and its user is still the one it names. */
async function linkOf(c: Context<AppEnv>, token: string, now: number): Promise<{ link: DeviceLink; user: UserRecord }> {
  const tenant = c.get('tenant');
  const link = await verifyDeviceLink(c.env, tenant, token, now);
  const user = link && (await getUser(c.env, tenant, link.sub));
  if (!link || !user || user.incarnation !== link.userIncarnation) throw invalidRequest(LINK_REFUSED);
  return { link, user };
}

/** GET: the link's page, saying whom it signs in, with the Sign in button. */
export async function showLink(c: Context<AppEnv>) {
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
}

/** POST: signs in once, from the link's own page. */
export async function signIn(c: Context<AppEnv>) {
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
  setStrictCookie(c, SESSION_COOKIE, cookie, { path: `/${tenant.id}/device`, secure: !isDevelopment(c.env), maxAgeS: DEVICE_SESSION_TTL_S });
  return c.redirect(`/${tenant.id}/device`, 303);
}
