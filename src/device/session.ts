// Who may use the device page (issue 12): outside development a user proves who they are with a
// single-use sign-in link the operator sends them (POST /admin/tenants/{t}/users/{sub}/device-link),
// which gives them a session cookie: signed, HttpOnly, SameSite=Strict, scoped to the device page.
// Links, sessions and CSRF tokens are HMACs under a key derived from KEY_ENCRYPTION_SECRET for the
// tenant, and name the tenant's and the user's incarnations, so nothing outlives either.
import type { Env } from '../env.ts';
import { randomToken } from '../lib/crypto.ts';
import { base64url, fromBase64url, utf8 } from '../lib/encoding.ts';
import { keyedDigest, matchesKeyedDigest } from '../secrets.ts';
import type { TenantRef } from '../tenants/ref.ts';

/** How long a sign-in link works, and a session lasts (seconds). */
export const DEVICE_LINK_TTL_S = 15 * 60;
export const DEVICE_SESSION_TTL_S = 12 * 3600;
export const SESSION_COOKIE = 'device_session';

const PURPOSE = 'device sessions';

export interface DeviceGrant {
  /** The user. */
  sub: string;
  userIncarnation: string;
  tenantIncarnation: string;
  /** Epoch seconds. */
  exp: number;
  /** A session's own random id: its CSRF token derives from it. */
  sid?: string;
  /** A link's own random id: spent in the replay store when it signs in, so it signs in once. */
  jti?: string;
}

/** A link's grant: it always has its id. */
export type DeviceLink = DeviceGrant & { jti: string };

type Kind = 'link' | 'session';

async function sign(env: Env, tenant: TenantRef, kind: Kind, grant: DeviceGrant): Promise<string> {
  const body = base64url(utf8(JSON.stringify(grant)));
  return `${body}.${await keyedDigest(env, PURPOSE, tenant.id, `${kind}.${body}`)}`;
}

/** The grant a link or session token carries, when its MAC holds, it is unexpired and of this tenant incarnation. */
async function verify(env: Env, tenant: TenantRef, kind: Kind, token: string, now: number): Promise<DeviceGrant | undefined> {
  const [body, mac, ...rest] = token.split('.');
  if (!body || !mac || rest.length > 0 || body.length > 2048) return undefined;
  if (!(await matchesKeyedDigest(env, PURPOSE, tenant.id, `${kind}.${body}`, mac))) return undefined;
  let grant: DeviceGrant;
  try {
    grant = JSON.parse(new TextDecoder().decode(fromBase64url(body) ?? new Uint8Array())) as DeviceGrant;
  } catch {
    return undefined;
  }
  if (grant.tenantIncarnation !== tenant.incarnation || !(grant.exp > now)) return undefined;
  return grant;
}

/** A sign-in link's token for the user, with its own id, valid DEVICE_LINK_TTL_S. */
export const deviceLinkToken = (env: Env, tenant: TenantRef, user: { sub: string; incarnation: string }, now: number) =>
  sign(env, tenant, 'link', {
    sub: user.sub,
    userIncarnation: user.incarnation,
    tenantIncarnation: tenant.incarnation,
    exp: now + DEVICE_LINK_TTL_S,
    jti: randomToken(16),
  });

/** A link's grant when its MAC holds and it is unexpired; one without an id (older links) cannot be spent: refused. */
export async function verifyDeviceLink(env: Env, tenant: TenantRef, token: string, now: number): Promise<DeviceLink | undefined> {
  const grant = await verify(env, tenant, 'link', token, now);
  return grant && typeof grant.jti === 'string' && grant.jti !== '' ? (grant as DeviceLink) : undefined;
}

/** A session for whom a link names: a new session id, DEVICE_SESSION_TTL_S. */
export async function openDeviceSession(env: Env, tenant: TenantRef, link: DeviceLink, now: number) {
  const { jti: _spent, ...who } = link;
  const grant: DeviceGrant = { ...who, exp: now + DEVICE_SESSION_TTL_S, sid: randomToken(16) };
  return { grant, cookie: await sign(env, tenant, 'session', grant) };
}

export const verifyDeviceSession = (env: Env, tenant: TenantRef, cookie: string, now: number) => verify(env, tenant, 'session', cookie, now);

/** The CSRF token of a session: its forms carry it, and a decision without it is refused. */
export const csrfTokenOf = (env: Env, tenant: TenantRef, session: DeviceGrant) => keyedDigest(env, PURPOSE, tenant.id, `csrf.${session.sid}`);

export async function isCsrfToken(env: Env, tenant: TenantRef, session: DeviceGrant, token: string | undefined): Promise<boolean> {
  if (session.sid === undefined) return false;
  return matchesKeyedDigest(env, PURPOSE, tenant.id, `csrf.${session.sid}`, token);
}
