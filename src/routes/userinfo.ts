// GET/POST /{tenant}/as/userinfo — OpenID Connect UserInfo (Core §5.3, RFC 6750 §2): a bearer access
// token of this tenant whose grant still stands, in the header or the form, never both; the claims
// its scope allows, from the directory or from what the webhook authenticator returned.
import { Hono } from '../http/hono.ts';
import type { Context } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { insufficientScope, invalidRequest, invalidToken, noStoreHeaders } from '../errors.ts';
import { mediaTypeOf, parseForm } from '../http/form.ts';
import { route } from '../http/route.ts';
import { CLAIMS_BY_SCOPE } from '../tokens/claims.ts';
import { activeGrantOf, readAccessToken } from '../tokens/verify.ts';
import { BEARER_AUTHORIZATION } from '../vocabulary.ts';

export const userinfo = new Hono<AppEnv>();


/** The bearer token from the Authorization header or, in a form POST, the access_token parameter. */
async function bearerToken(c: Context<AppEnv>): Promise<string> {
  const header = c.req.header('Authorization');
  let fromForm: string | undefined;
  if (c.req.method === 'POST' && mediaTypeOf(c) === 'application/x-www-form-urlencoded') {
    const form = await parseForm(c);
    form.assertWellFormed();
    fromForm = form.get('access_token');
  }
  if (header !== undefined && fromForm !== undefined) throw invalidRequest('Give the access token in the header or the form, not both');
  if (fromForm !== undefined) return fromForm;
  const match = BEARER_AUTHORIZATION.exec(header ?? '');
  if (!match) throw invalidToken('A bearer access token is required');
  return match[1]!;
}

async function answer(c: Context<AppEnv>) {
  const tenant = c.get('tenant');
  const claims = await readAccessToken(c.env, tenant, c.get('issuer'), await bearerToken(c));
  // Revoked, expired, or of a user or client deleted since: the same rule introspection applies.
  const active = claims && (await activeGrantOf(c.env, tenant, claims));
  if (!claims || !active) throw invalidToken('The access token is not valid');
  const { grant, user } = active;
  const scopes = claims.scope.split(' ');
  if (!scopes.includes('openid')) throw insufficientScope('The access token does not carry the openid scope');
  let source: Record<string, unknown> = {};
  if (grant.claimsJson !== undefined) source = JSON.parse(grant.claimsJson) as Record<string, unknown>;
  else if (user) source = user.claims;
  const released = scopes.flatMap((s) => CLAIMS_BY_SCOPE[s] ?? []);
  const body: Record<string, unknown> = { sub: grant.sub };
  for (const name of released) if (source[name] !== undefined) body[name] = source[name];
  return c.json(body, 200, noStoreHeaders);
}

route(userinfo, '/', { GET: answer, POST: answer });
