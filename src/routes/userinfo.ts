// GET/POST /{tenant}/as/userinfo — OpenID Connect UserInfo (Core §5.3, RFC 6750 §2): an access token
// of this tenant whose grant still stands, in the header or the form, never both, presented as its
// binding demands (docs/protocol.md §9: a DPoP-bound one with the DPoP scheme and a proof of its key,
// RFC 9449 §7; a certificate-bound one over a connection with its certificate, RFC 8705 §3); the
// claims its scope allows, from the directory or from what the webhook authenticator returned.
import { Hono } from '../http/hono.ts';
import type { Context } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { insufficientScope, invalidRequest, invalidToken, noStoreHeaders, type TokenScheme } from '../errors.ts';
import { dpopNonceHeader, readDpopProof } from '../http/dpop.ts';
import { presentedCertificate } from '../http/client-cert.ts';
import { mediaTypeOf, parseForm } from '../http/form.ts';
import { route } from '../http/route.ts';
import { CLAIMS_BY_SCOPE } from '../tokens/claims.ts';
import { activeGrantOf, readAccessToken, type AccessTokenClaims } from '../tokens/verify.ts';
import { BEARER_AUTHORIZATION, DPOP_AUTHORIZATION } from '../vocabulary.ts';

export const userinfo = new Hono<AppEnv>();


/** The access token from the Authorization header (Bearer or DPoP) or, in a form POST, the access_token parameter (Bearer). */
async function presentedToken(c: Context<AppEnv>): Promise<{ token: string; scheme: TokenScheme }> {
  const header = c.req.header('Authorization');
  let fromForm: string | undefined;
  if (c.req.method === 'POST' && mediaTypeOf(c) === 'application/x-www-form-urlencoded') {
    const form = await parseForm(c);
    form.assertWellFormed();
    fromForm = form.get('access_token');
  }
  if (header !== undefined && fromForm !== undefined) throw invalidRequest('Give the access token in the header or the form, not both');
  if (fromForm !== undefined) return { token: fromForm, scheme: 'Bearer' };
  const dpop = DPOP_AUTHORIZATION.exec(header ?? '');
  if (dpop) return { token: dpop[1]!, scheme: 'DPoP' };
  const match = BEARER_AUTHORIZATION.exec(header ?? '');
  if (!match) throw invalidToken('A bearer access token is required');
  return { token: match[1]!, scheme: 'Bearer' };
}

/**
 * The token must be presented as its `cnf` says (docs/protocol.md §9): a DPoP-bound token with the
 * DPoP scheme and a proof of its key whose `ath` is its hash (RFC 9449 §7.1); a certificate-bound one
 * over a connection presenting that certificate (RFC 8705 §3); an unbound one as Bearer.
 */
async function checkSender(c: Context<AppEnv>, claims: AccessTokenClaims, { token, scheme }: { token: string; scheme: TokenScheme }) {
  const cnf = claims.cnf as { jkt?: unknown; 'x5t#S256'?: unknown } | undefined;
  if (typeof cnf?.jkt === 'string') {
    if (scheme !== 'DPoP') throw invalidToken('This access token is bound to a DPoP key; present it with the DPoP scheme and a proof', 'DPoP');
    const proof = await readDpopProof(c, { accessToken: token });
    if (!proof) throw invalidToken('This access token is bound to a DPoP key; send a DPoP proof of it', 'DPoP');
    if (proof.jkt !== cnf.jkt) throw invalidToken('The DPoP proof is of another key than the one this access token is bound to', 'DPoP');
    return;
  }
  if (scheme === 'DPoP') throw invalidToken('This access token is not bound to a DPoP key; present it as Bearer', 'DPoP');
  if (typeof cnf?.['x5t#S256'] === 'string') {
    const certificate = await presentedCertificate(c);
    if (certificate?.thumbprint !== cnf['x5t#S256']) {
      throw invalidToken('This access token is bound to a certificate the connection did not present');
    }
  }
}

async function answer(c: Context<AppEnv>) {
  const tenant = c.get('tenant');
  const presented = await presentedToken(c);
  const claims = await readAccessToken(c.env, tenant, c.get('issuer'), presented.token);
  // Revoked, expired, or of a user or client deleted since: the same rule introspection applies.
  const active = claims && (await activeGrantOf(c.env, tenant, claims));
  if (!claims || !active) throw invalidToken('The access token is not valid', presented.scheme);
  await checkSender(c, claims, presented);
  const { grant, user } = active;
  const scopes = claims.scope.split(' ');
  if (!scopes.includes('openid')) throw insufficientScope('The access token does not carry the openid scope');
  let source: Record<string, unknown> = {};
  if (grant.claimsJson !== undefined) source = JSON.parse(grant.claimsJson) as Record<string, unknown>;
  else if (user) source = user.claims;
  const released = scopes.flatMap((s) => CLAIMS_BY_SCOPE[s] ?? []);
  const body: Record<string, unknown> = { sub: grant.sub };
  for (const name of released) if (source[name] !== undefined) body[name] = source[name];
  return c.json(body, 200, { ...noStoreHeaders, ...(await dpopNonceHeader(c)) });
}

route(userinfo, '/', { GET: answer, POST: answer });
