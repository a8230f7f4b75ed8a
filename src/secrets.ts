// Keys derived from the KEY_ENCRYPTION_SECRET Worker secret with HKDF-SHA256, one per purpose and
// tenant, so nothing made for one tenant or use serves another. While the secret is being rotated,
// KEY_ENCRYPTION_SECRET_PREVIOUS still opens and verifies what the old one made (docs/operations.md).
import type { Env } from './env.ts';
import { ConfigurationError } from './errors.ts';
import { constantTimeEqual } from './lib/crypto.ts';
import { base64url, utf8 } from './lib/encoding.ts';
import { JweDecryptionFailed, decryptDirA256gcm, encryptDirA256gcm } from './lib/jwe.ts';

/**
 * Derived keys, per isolate: HKDF is deterministic, so each (secret, purpose, tenant) is derived
 * once and reused; a poll or a backchannel request then pays for no derivation. Bounded: cleared
 * when full, so a deployment with many tenants only derives again.
 */
const derived = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
const hmacKeys = new Map<string, Promise<CryptoKey>>();
const opened = new Map<string, Promise<string>>();
const MAX_MEMO = 1024;

function memo<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let made = map.get(key);
  if (!made) {
    if (map.size >= MAX_MEMO) map.clear();
    made = make();
    map.set(key, made);
    // A failure is not remembered.
    made.catch(() => map.delete(key));
  }
  return made;
}

/** 256 bits derived for `purpose` within `tenantId`; a missing secret is a loud configuration fault. */
export async function deriveSecret(
  env: Env,
  purpose: string,
  tenantId: string,
  secret = env.KEY_ENCRYPTION_SECRET,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!secret) throw new ConfigurationError('KEY_ENCRYPTION_SECRET is not set');
  return memo(derived, `${secret}\u0000${purpose}\u0000${tenantId}`, async () => {
    const base = await crypto.subtle.importKey('raw', utf8(secret), 'HKDF', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: utf8(`ciba-edge ${purpose}`), info: utf8(`tenant:${tenantId}`) },
      base,
      256,
    );
    return new Uint8Array(bits);
  });
}

/** The secrets that may open what is stored: the current one, then the previous one while rotating. */
const secretsOf = (env: Env) => [env.KEY_ENCRYPTION_SECRET, env.KEY_ENCRYPTION_SECRET_PREVIOUS].filter((s) => !!s) as string[];

/** HMAC-SHA256 under a derived key, base64url: for low-entropy secrets a plain hash would expose. */
export async function keyedDigest(env: Env, purpose: string, tenantId: string, value: string, secret?: string): Promise<string> {
  const key = await memo(hmacKeys, `${secret ?? env.KEY_ENCRYPTION_SECRET}\u0000${purpose}\u0000${tenantId}`, async () =>
    crypto.subtle.importKey('raw', await deriveSecret(env, purpose, tenantId, secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
  );
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(value))));
}

/**
 * Encrypts `plaintext` as a compact JWE (`dir`, `A256GCM`) under the key derived for `purpose` within
 * `tenantId`, so a ciphertext opens only for the tenant and use it was made for. `header` adds
 * members to the protected header (a key's `kid`).
 */
export async function sealSecret(
  env: Env,
  purpose: string,
  tenantId: string,
  plaintext: string,
  header: Record<string, string> = {},
): Promise<string> {
  return encryptDirA256gcm(plaintext, await deriveSecret(env, purpose, tenantId), header);
}

/**
 * Is `digest` the keyed digest of `value` (keyedDigest), under the current secret or, while
 * rotating, the previous one? Compared in constant time; an absent digest matches nothing.
 */
export async function matchesKeyedDigest(
  env: Env,
  purpose: string,
  tenantId: string,
  value: string,
  digest: string | undefined,
): Promise<boolean> {
  if (digest === undefined) return false;
  const secrets = secretsOf(env);
  if (secrets.length === 0) throw new ConfigurationError('KEY_ENCRYPTION_SECRET is not set');
  const expected = await Promise.all(secrets.map((secret) => keyedDigest(env, purpose, tenantId, value, secret)));
  return (await Promise.all(expected.map((e) => constantTimeEqual(e, digest)))).some(Boolean);
}

/**
 * Decrypts what sealSecret made for the same purpose and tenant, under the current secret or, while
 * rotating, the previous one; throws on any other ciphertext. `remember` keeps the plaintext for the
 * isolate's life (bounded like the derived keys), keyed by the ciphertext, so a changed secret is a
 * new entry.
 */
export async function openSecret(
  env: Env,
  purpose: string,
  tenantId: string,
  jwe: string,
  options: { remember?: boolean } = {},
): Promise<string> {
  // A secret opened on every request (a client's, a webhook's) is opened once per isolate.
  if (options.remember) return memo(opened, `${purpose}\u0000${tenantId}\u0000${jwe}`, () => openSecret(env, purpose, tenantId, jwe));
  const secrets = secretsOf(env);
  if (secrets.length === 0) throw new ConfigurationError('KEY_ENCRYPTION_SECRET is not set');
  for (const [i, secret] of secrets.entries()) {
    try {
      return await decryptDirA256gcm(jwe, await deriveSecret(env, purpose, tenantId, secret));
    } catch (err) {
      if (!(err instanceof JweDecryptionFailed) || i === secrets.length - 1) throw err;
    }
  }
  throw new ConfigurationError('no secret opens the ciphertext');
}

/** Re-encrypts a sealed value under the current secret (rotating KEY_ENCRYPTION_SECRET). */
export async function resealSecret(env: Env, purpose: string, tenantId: string, jwe: string, header: Record<string, string> = {}) {
  return sealSecret(env, purpose, tenantId, await openSecret(env, purpose, tenantId, jwe), header);
}
