// Compact JWE with `alg: dir` and `enc: A256GCM` (RFC 7516 §7.1, RFC 7518 §4.5 and §5.3), the one
// shape this server seals secrets in, written on WebCrypto's AES-GCM. jose's general JWE code
// (every key management algorithm, compression) would cost the bundle about 6 KiB gzipped for this
// one case; the tests check both directions against jose's CompactEncrypt and compactDecrypt.
import { base64url, fromBase64url, utf8 } from './encoding.ts';

/** The ciphertext is not a dir/A256GCM compact JWE, or does not open under the key. */
export class JweDecryptionFailed extends Error {
  override readonly name = 'JweDecryptionFailed';
}

const importKey = (key: Uint8Array<ArrayBuffer>, use: 'encrypt' | 'decrypt') => crypto.subtle.importKey('raw', key, 'AES-GCM', false, [use]);

/** Encrypts `plaintext` under the 256-bit `key`; `header` adds members to the protected header. */
export async function encryptDirA256gcm(plaintext: string, key: Uint8Array<ArrayBuffer>, header: Record<string, string> = {}): Promise<string> {
  const encodedHeader = base64url(utf8(JSON.stringify({ ...header, alg: 'dir', enc: 'A256GCM' })));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: utf8(encodedHeader), tagLength: 128 },
      await importKey(key, 'encrypt'),
      utf8(plaintext),
    ),
  );
  const ciphertext = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  return `${encodedHeader}..${base64url(iv)}.${base64url(ciphertext)}.${base64url(tag)}`;
}

/** Decrypts what encryptDirA256gcm (or any dir/A256GCM compact JWE without `zip`) made under `key`. */
export async function decryptDirA256gcm(jwe: string, key: Uint8Array<ArrayBuffer>): Promise<string> {
  const fail = (why: string) => new JweDecryptionFailed(`decryption failed: ${why}`);
  const parts = jwe.split('.');
  if (parts.length !== 5 || parts[1] !== '') throw fail('not a dir compact JWE');
  const [encodedHeader, , ivText, ciphertextText, tagText] = parts as [string, string, string, string, string];
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(fromBase64url(encodedHeader) ?? new Uint8Array()));
  } catch {
    throw fail('the header is not JSON');
  }
  const h = header as Record<string, unknown> | null;
  if (typeof h !== 'object' || h === null || h.alg !== 'dir' || h.enc !== 'A256GCM' || 'zip' in h || 'crit' in h) {
    throw fail('not dir and A256GCM');
  }
  const iv = fromBase64url(ivText);
  const ciphertext = fromBase64url(ciphertextText);
  const tag = fromBase64url(tagText);
  if (!iv || iv.length !== 12 || !ciphertext || !tag || tag.length !== 16) throw fail('malformed parts');
  const sealed = new Uint8Array(ciphertext.length + 16);
  sealed.set(ciphertext);
  sealed.set(tag, ciphertext.length);
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer>, additionalData: utf8(encodedHeader), tagLength: 128 },
      await importKey(key, 'decrypt'),
      sealed,
    );
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(plaintext);
  } catch {
    throw fail('the key does not open it');
  }
}
