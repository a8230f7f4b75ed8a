// DPoP proofs (RFC 9449 §4) for the tests: a client's key pair, proofs with any claims and header,
// and the token endpoint and userinfo called with them.
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { CIBA, basic, call, issuerOf, postForm, type TestClient } from './api.ts';

export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  /** The public key, as the proof's header carries it. */
  jwk: JWK;
  /** RFC 7638 SHA-256 thumbprint, base64url: the `cnf.jkt` a token bound to it carries. */
  jkt: string;
}

/** A fresh key pair for `alg` (any jose signs with; EdDSA is Ed25519). */
export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** RFC 9449 §4.2: `ath`, base64url(SHA-256(access token)), computed here apart from the server's code. */
export const athOf = async (accessToken: string) =>
  b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))));

let jtis = 0;
/** A fresh jti. */
export const newJti = () => `dpop-${Date.now().toString(36)}-${(jtis++).toString(36)}-${Math.random().toString(36).slice(2)}`;

/**
 * A proof signed by `key` for `htm` and `htu`, now, with a fresh jti; `claims` and `header` override
 * (undefined removes a claim).
 */
export async function dpopProof(
  key: DpopKey,
  htm: string,
  htu: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload: Record<string, unknown> = { htm, htu, iat: Math.floor(Date.now() / 1000), jti: newJti(), ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...header }).sign(key.privateKey);
}

/** A proof whose header and claims are given whole, with no signature (`alg: none`). */
export function unsignedProof(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)));
  return `${part(header)}.${part(claims)}.`;
}

export const tokenUrl = (tenant: string) => `${issuerOf(tenant)}/token`;
export const userinfoUrl = (tenant: string) => `${issuerOf(tenant)}/userinfo`;

/** A proof by `key` for this tenant's token endpoint. */
export const tokenProof = (key: DpopKey, tenant: string, claims: Record<string, unknown> = {}) =>
  dpopProof(key, 'POST', tokenUrl(tenant), claims);

/** A CIBA poll with the given proof (none when undefined). */
export const pollWithProof = (tenant: string, client: TestClient, authReqId: string, proof?: string) =>
  postForm(`/${tenant}/as/token`, { grant_type: CIBA, auth_req_id: authReqId }, { Authorization: basic(client), ...(proof === undefined ? {} : { DPoP: proof }) });

/** A refresh with the given proof (none when undefined). */
export const refreshWithProof = (tenant: string, client: TestClient, refreshToken: string, proof?: string) =>
  postForm(
    `/${tenant}/as/token`,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    { Authorization: basic(client), ...(proof === undefined ? {} : { DPoP: proof }) },
  );

/** GET userinfo with `Authorization: {scheme} {token}` and the given proof (none when undefined). */
export const userinfoWithProof = (tenant: string, accessToken: string, proof?: string, scheme = 'DPoP') =>
  call(`/${tenant}/as/userinfo`, { headers: { Authorization: `${scheme} ${accessToken}`, ...(proof === undefined ? {} : { DPoP: proof }) } });

/** A proof by `key` for GET userinfo with the `ath` of `accessToken`. */
export const userinfoProof = async (key: DpopKey, tenant: string, accessToken: string, claims: Record<string, unknown> = {}) =>
  dpopProof(key, 'GET', userinfoUrl(tenant), { ath: await athOf(accessToken), ...claims });
