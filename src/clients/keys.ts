// The keys a client's assertions are verified with (RFC 7523, docs/protocol.md §2): the client_secret_jwt
// secret as an HMAC key, or the private_key_jwt client's public keys, inline (`jwks`) or fetched
// from its `jwks_uri` (5 s timeout, 64 KiB cap, cached per isolate, refetched on an unknown `kid`
// at most once a minute, so random `kid`s cannot make us hammer the client's server).
import { createLocalJWKSet, createRemoteJWKSet, customFetch, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Env } from '../env.ts';
import { utf8 } from '../lib/encoding.ts';
import { readCapped } from '../lib/streams.ts';
import { hmacSecretOf, type ClientRecord } from './store.ts';

export const JWKS_TIMEOUT_MS = 5_000;
export const JWKS_MAX_BYTES = 64 * 1024;
/** A client's jwks_uri is fetched again on an unknown kid only this long after the last fetch. */
export const JWKS_REFETCH_COOLDOWN_MS = 60_000;
/** How long a fetched key set is used without asking again. */
export const JWKS_CACHE_MS = 10 * 60_000;

/** Fetches a key set: redirects not followed, the body cut off past the cap. */
async function cappedFetch(url: string, options: RequestInit & { signal?: AbortSignal }): Promise<Response> {
  const response = await fetch(url, { ...options, redirect: 'manual' });
  const body = await readCapped(response.body, JWKS_MAX_BYTES);
  if (!body) throw new Error(`jwks_uri answered more than ${JWKS_MAX_BYTES} bytes`);
  return new Response(body, { status: response.status, headers: response.headers });
}

// One remote key set per (tenant, owner, uri) per isolate: jose keeps its cache and cooldown in it.
const remoteKeySets = new Map<string, JWTVerifyGetKey>();

/** The key set at `uri`, fetched within the caps above and cached per isolate under `cacheKey`. */
export function remoteKeySet(cacheKey: string, uri: string): JWTVerifyGetKey {
  let keySet = remoteKeySets.get(cacheKey);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(uri), {
      timeoutDuration: JWKS_TIMEOUT_MS,
      cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
      cacheMaxAge: JWKS_CACHE_MS,
      [customFetch]: cappedFetch,
    });
    remoteKeySets.set(cacheKey, keySet);
  }
  return keySet;
}

/** A key set given inline (`jwks`) or by reference (`jwks_uri`); undefined when neither is. */
export function keySetOf(cacheKey: string, source: { jwks?: unknown; jwks_uri?: string }): JWTVerifyGetKey | undefined {
  if (source.jwks) return createLocalJWKSet(source.jwks as JSONWebKeySet);
  return source.jwks_uri === undefined ? undefined : remoteKeySet(`${cacheKey}/${source.jwks_uri}`, source.jwks_uri);
}

/** The client's registered public keys (private_key_jwt, request objects, login_hint_tokens it signs). */
export const publicKeysOf = (client: ClientRecord) => keySetOf(`${client.tenantId}/client/${client.clientId}`, client.metadata);

/** What a client's assertion is verified with; undefined when the client has none (no secret issued yet). */
export async function assertionKeyOf(env: Env, client: ClientRecord): Promise<Uint8Array | JWTVerifyGetKey | undefined> {
  const { metadata } = client;
  if (metadata.token_endpoint_auth_method === 'client_secret_jwt') {
    const secret = await hmacSecretOf(env, client);
    return secret === undefined ? undefined : utf8(secret);
  }
  return publicKeysOf(client);
}
