// The device page's one cookie (RFC 6265 §4.1, §5.4), read and written by hand: hono/cookie carries
// the whole cookie grammar and its signing, and the bundle (docs/operations.md, benchmarks) has
// no room for what this cookie never uses. Its value is a base64url token with dots, never quoted.
import type { Context } from 'hono';

/** The cookie named `name` the request carries, when its value is a token of the session's alphabet. */
export function readCookie(c: Context, name: string): string | undefined {
  for (const pair of (c.req.header('Cookie') ?? '').split(';')) {
    const [key, value] = pair.trim().split('=', 2);
    if (key === name && value !== undefined && /^[\w.-]+$/.test(value)) return value;
  }
  return undefined;
}

/** Sets a host-only, HttpOnly, SameSite=Strict cookie for `path`, for `maxAgeS` seconds. */
export function setStrictCookie(c: Context, name: string, value: string, { path, secure, maxAgeS }: { path: string; secure: boolean; maxAgeS: number }) {
  c.header('Set-Cookie', `${name}=${value}; Max-Age=${maxAgeS}; Path=${path}; HttpOnly;${secure ? ' Secure;' : ''} SameSite=Strict`, { append: true });
}
