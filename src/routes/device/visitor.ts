// Who is on the device page, and what its handlers share: the visitor (a session's user or, in
// development only, whom a login hint names), the proof their forms carry, the page's URLs and the
// same-origin rule its forms follow (docs/protocol.md §9).
import type { Context } from 'hono';
import { readCookie } from '../../http/cookie.ts';
import { deviceInboxStub } from '../../authenticators/device-inbox.ts';
import { csrfTokenOf, SESSION_COOKIE, verifyDeviceSession, type DeviceGrant } from '../../device/session.ts';
import type { FormProof } from '../../device/views.ts';
import { isDevelopment } from '../../env.ts';
import { invalidRequest } from '../../errors.ts';
import type { AppEnv } from '../../http/app-env.ts';
import type { FormParams } from '../../http/form.ts';
import { nowSeconds } from '../../lib/time.ts';
import { AMR_BY_METHOD } from '../../tokens/amr.ts';
import { findUserByLoginHint, getUser, type UserRecord } from '../../users/store.ts';

/** The authentication methods the page offers an approval with. */
export const METHODS = Object.keys(AMR_BY_METHOD);

/** Who is on the page: a session's user, or (development only) whom the login hint names. */
export type Visitor = { user: UserRecord; session: DeviceGrant } | { user: UserRecord | undefined; loginHint: string };

export async function visitorOf(c: Context<AppEnv>, form?: FormParams): Promise<Visitor | undefined> {
  const tenant = c.get('tenant');
  const cookie = readCookie(c, SESSION_COOKIE);
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

/** What the visitor's forms carry: a session's CSRF token, or (development) the login hint. */
export const proofOf = async (c: Context<AppEnv>, visitor: Visitor): Promise<FormProof> =>
  'session' in visitor ? { csrf: await csrfTokenOf(c.env, c.get('tenant'), visitor.session) } : { loginHint: visitor.loginHint };

/** The visitor's pending requests, oldest first. */
export const entriesOf = (c: Context<AppEnv>, visitor: Visitor) =>
  visitor.user ? deviceInboxStub(c.env, c.get('tenant'), visitor.user.sub).list() : Promise.resolve([]);

/** A URL of the device page (`path` below it: /list, /live), carrying the development login hint. */
export const pageUrl = (tenantId: string, visitor: Visitor, query = '', path = '') => {
  const params = new URLSearchParams('loginHint' in visitor ? { login_hint: visitor.loginHint } : {});
  if (query) for (const [k, v] of new URLSearchParams(query)) params.set(k, v);
  const q = params.toString();
  return `/${tenantId}/device${path}${q ? `?${q}` : ''}`;
};

/**
 * A form must come from a page of this origin: the browser says so in Sec-Fetch-Site (Fetch Metadata),
 * and its Origin, unless withheld as "null", is this one (RFC 6454 §7). Clients that send neither pass.
 */
export function assertSameOrigin(c: Context<AppEnv>, description: string): void {
  const site = c.req.header('Sec-Fetch-Site');
  const origin = c.req.header('Origin');
  if (
    (site !== undefined && site !== 'same-origin' && site !== 'none') ||
    (origin !== undefined && origin !== 'null' && origin !== new URL(c.req.url).origin)
  ) {
    throw invalidRequest(description);
  }
}
