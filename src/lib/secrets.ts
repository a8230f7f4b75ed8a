// Keys derived from the KEY_ENCRYPTION_SECRET Worker secret with HKDF-SHA256, one per purpose and
// tenant, so nothing made for one tenant or use serves another.
import type { Env } from '../env.ts';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { base64url, utf8 } from './encoding.ts';

/** A deployment that lacks what it needs to run; the error renderer answers it as server_error. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** 256 bits derived for `purpose` within `tenantId`; a missing secret is a loud configuration fault. */
export async function deriveSecret(env: Env, purpose: string, tenantId: string): Promise<Uint8Array<ArrayBuffer>> {
  const secret = env.KEY_ENCRYPTION_SECRET;
  if (!secret) throw new ConfigurationError('KEY_ENCRYPTION_SECRET is not set');
  const base = await crypto.subtle.importKey('raw', utf8(secret), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: utf8(`ciba-edge ${purpose}`), info: utf8(`tenant:${tenantId}`) },
    base,
    256,
  );
  return new Uint8Array(bits);
}

/** HMAC-SHA256 under a derived key, base64url: for low-entropy secrets a plain hash would expose. */
export async function keyedDigest(env: Env, purpose: string, tenantId: string, value: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    await deriveSecret(env, purpose, tenantId),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
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
  return new CompactEncrypt(utf8(plaintext))
    .setProtectedHeader({ ...header, alg: 'dir', enc: 'A256GCM' })
    .encrypt(await deriveSecret(env, purpose, tenantId));
}

/** Decrypts what sealSecret made for the same purpose and tenant; throws on any other ciphertext. */
export async function openSecret(env: Env, purpose: string, tenantId: string, jwe: string): Promise<string> {
  const { plaintext } = await compactDecrypt(jwe, await deriveSecret(env, purpose, tenantId));
  return new TextDecoder().decode(plaintext);
}
