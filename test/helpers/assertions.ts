// Client assertions (RFC 7523) for the tests: keys, signed JWTs with any claims, and posting forms
// authenticated by them.
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { ORIGIN, postForm } from './api.ts';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

let kids = 0;
/** A fresh key pair for `alg`, with its public JWK (kid, alg, use) for the client's key set. */
export async function clientKey(alg: 'ES256' | 'RS256' | 'PS256' | 'EdDSA' = 'ES256'): Promise<ClientKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const kid = `k${Date.now().toString(36)}${(kids++).toString(36)}`;
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const now = () => Math.floor(Date.now() / 1000);
let jtis = 0;

/** Standard claims for `clientId` at `tenant`'s issuer, with overrides (undefined removes a claim). */
export function assertionClaims(tenant: string, clientId: string, overrides: Record<string, unknown> = {}): JWTPayload {
  const claims: Record<string, unknown> = {
    iss: clientId,
    sub: clientId,
    aud: `${ORIGIN}/${tenant}/as`,
    iat: now(),
    exp: now() + 60,
    jti: `jti-${Date.now().toString(36)}-${(jtis++).toString(36)}-${Math.random().toString(36).slice(2)}`,
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims as JWTPayload;
}

/** Signs `claims` with an HMAC secret (client_secret_jwt). */
export function hmacAssertion(claims: JWTPayload, secret: string, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/** Signs `claims` with a client key (private_key_jwt). */
export function keyAssertion(claims: JWTPayload, key: ClientKey, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

/** An unsecured JWT (`alg: none`), which must never authenticate anyone. */
export function unsecuredAssertion(claims: JWTPayload): string {
  const part = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** POSTs `params` to `/{tenant}/as{endpoint}`, authenticated by the assertion. */
export function postWithAssertion(tenant: string, endpoint: string, assertion: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  return postForm(`/${tenant}/as${endpoint}`, { ...params, client_assertion: assertion, client_assertion_type: ASSERTION_TYPE }, headers);
}
