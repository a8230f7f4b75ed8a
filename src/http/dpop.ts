// DPoP proofs (RFC 9449 §4): read from the `DPoP` header and checked against the request they came
// with, at the token endpoint and at userinfo (docs/protocol.md §10, DPoP). Nonces (RFC 9449 §8) are
// stateless: an HMAC of the tenant and a five-minute window, so no edge location asks another.
import type { Context } from 'hono';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify, type JWK } from 'jose';
import type { AppEnv } from './app-env.ts';
import type { Env } from '../env.ts';
import { invalidDpopProof, invalidDpopProofAtResource, useDpopNonce } from '../errors.ts';
import { sha256 } from '../lib/crypto.ts';
import { describeJwtFailure } from '../lib/jwt-failure.ts';
import { CLOCK_SKEW_S } from '../lib/time.ts';
import { spendJti } from '../replay/guard.ts';
import { keyedDigest } from '../secrets.ts';
import type { DpopProof } from '../sender.ts';
import { DPOP_ALGS } from '../vocabulary.ts';

export interface ProofOptions {
  /** At a protected resource (userinfo): the access token the proof's `ath` must hash (RFC 9449 §4.3). */
  accessToken?: string;
}

/** RFC 7517 §9.3, RFC 7518 §6: the members only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** A nonce is the HMAC of one window; a proof may carry this window's or the previous one's. */
export const DPOP_NONCE_WINDOW_MS = 300_000;

class PrivateJwk extends Error {}

interface EmbeddedKey {
  key: Awaited<ReturnType<typeof EmbeddedJWK>>;
  /** RFC 7638 SHA-256 thumbprint of the key. */
  jkt: string;
}

/**
 * The proof's own public key (RFC 9449 §4.2), imported, and its thumbprint, once per isolate for each
 * key and algorithm (bounded: cleared when full): a client polls with one key, so the import and the
 * hash are made once, not at every poll (docs/operations.md, benchmarks).
 */
const embeddedKeys = new Map<string, Promise<EmbeddedKey>>();
function embeddedKey(header: NonNullable<Parameters<typeof EmbeddedJWK>[0]>, token: Parameters<typeof EmbeddedJWK>[1]): Promise<EmbeddedKey> {
  const id = `${header.alg} ${JSON.stringify(header.jwk)}`;
  let found = embeddedKeys.get(id);
  if (!found) {
    if (embeddedKeys.size >= 1024) embeddedKeys.clear();
    found = (async () => ({ key: await EmbeddedJWK(header, token), jkt: await calculateJwkThumbprint(header.jwk as JWK, 'sha256') }))();
    embeddedKeys.set(id, found);
    found.catch(() => embeddedKeys.delete(id));
  }
  return found;
}

/** Each window's nonce per tenant, made once per isolate (bounded: cleared when full). */
const nonces = new Map<string, Promise<string>>();
function nonceOf(env: Env, tenantId: string, window: number): Promise<string> {
  const key = `${tenantId}\u0000${window}`;
  let nonce = nonces.get(key);
  if (!nonce) {
    if (nonces.size >= 1024) nonces.clear();
    nonces.set(key, (nonce = keyedDigest(env, 'dpop nonce', tenantId, String(window))));
    nonce.catch(() => nonces.delete(key));
  }
  return nonce;
}

const windowOf = (now: number) => Math.floor(now / DPOP_NONCE_WINDOW_MS);

/** RFC 9449 §8.2: the `DPoP-Nonce` header a tenant that demands nonces sends on its answers; else none. */
export async function dpopNonceHeader(c: Context<AppEnv>): Promise<Record<string, string>> {
  const tenant = c.get('tenant');
  return tenant.settings.dpop_nonce_required ? { 'DPoP-Nonce': await nonceOf(c.env, tenant.id, windowOf(Date.now())) } : {};
}

/**
 * RFC 9449 §4.3 point 9: the same URI once normalized (scheme and host without case, no default port);
 * an htu with a query or a fragment, even an empty one, keeps it in its href and so matches nothing.
 */
function sameTarget(htu: unknown, target: string): boolean {
  try {
    return typeof htu === 'string' && new URL(htu).href === new URL(target).href;
  } catch {
    return false;
  }
}

/**
 * The request's DPoP proof, checked (RFC 9449 §4.3); undefined when it sends none. Its `jti` is spent
 * last, once everything else holds (docs/storage.md, ReplayGuard).
 */
export async function readDpopProof(c: Context<AppEnv>, options: ProofOptions = {}): Promise<DpopProof | undefined> {
  const proof = c.req.header('DPoP');
  if (proof === undefined) return undefined;
  const { accessToken } = options;
  const atResource = accessToken !== undefined;
  const refuse = atResource ? invalidDpopProofAtResource : invalidDpopProof;
  // Repeated headers arrive joined by ", "; a compact JWS holds neither a comma nor a space.
  if (!/^[\w.-]+$/.test(proof)) throw refuse('Send exactly one DPoP header holding one proof');

  let verified;
  let embedded: EmbeddedKey | undefined;
  try {
    verified = await jwtVerify(
      proof,
      async (header, token) => {
        if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(header.jwk ?? {}, m))) throw new PrivateJwk();
        embedded = await embeddedKey(header, token);
        return embedded.key;
      },
      { typ: 'dpop+jwt', algorithms: [...DPOP_ALGS] },
    );
  } catch (err) {
    throw refuse(err instanceof PrivateJwk ? "The DPoP proof's jwk is not a public key" : describeJwtFailure(err, 'DPoP proof', "the proof's"));
  }
  const { htm, htu, iat, jti, ath, nonce } = verified.payload;
  const bad = (claim: string) => refuse(`The DPoP proof's ${claim} claim is not acceptable`);
  if (typeof jti !== 'string' || jti === '') throw bad('jti');
  if (htm !== c.req.method) throw bad('htm');
  // The endpoint's URL as the issuer names it (behind PUBLIC_ORIGIN too), as client assertions' aud.
  if (!sameTarget(htu, `${c.get('issuer')}${new URL(c.req.url).pathname.replace(/^\/[^/]+\/as/, '')}`)) throw bad('htu');
  const now = Date.now();
  if (typeof iat !== 'number' || Math.abs(now / 1000 - iat) > CLOCK_SKEW_S) throw bad('iat');
  if (atResource && ath !== (await sha256(accessToken))) throw bad('ath');

  const tenant = c.get('tenant');
  if (tenant.settings.dpop_nonce_required) {
    const window = windowOf(now);
    const [current, previous] = await Promise.all([nonceOf(c.env, tenant.id, window), nonceOf(c.env, tenant.id, window - 1)]);
    if (nonce !== current && nonce !== previous) throw useDpopNonce(current, atResource);
  }
  const { jkt } = embedded!;
  // Spent until the proof's iat leaves the window, in the key's own namespace (docs/storage.md).
  const spent = await spendJti(c.env, tenant.id, `dpop ${jkt}`, jti, (iat + CLOCK_SKEW_S) * 1000, { byIssuer: true });
  if (spent.status === 'replayed') throw refuse('The DPoP proof was already used');
  return { jkt };
}
