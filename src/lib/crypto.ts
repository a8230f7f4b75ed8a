// Randomness, hashing and constant-time comparison, all on WebCrypto.
import { base64url, utf8 } from './encoding.ts';

export const randomBytes = (length: number): Uint8Array =>
  crypto.getRandomValues(new Uint8Array(length));

/** A base64url token of `bytes` CSPRNG bytes. */
export const randomToken = (bytes = 32): string => base64url(randomBytes(bytes));

/** SHA-256 of a string, base64url: how high-entropy secrets and tokens are stored. */
export async function sha256(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(text))));
}

/** Compares two strings in time independent of where they differ (by hashing both first). */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest('SHA-256', utf8(a)),
    crypto.subtle.digest('SHA-256', utf8(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}
