// The compact JWE (dir, A256GCM) the server seals secrets in (src/lib/jwe.ts, on WebCrypto) is the
// standard one: jose opens what it seals and it opens what jose seals; tampering, another key or
// another shape never opens.
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { JweDecryptionFailed, decryptDirA256gcm, encryptDirA256gcm } from '../../src/lib/jwe.ts';

const key = () => crypto.getRandomValues(new Uint8Array(32));
const text = 'a secret: {"kty":"EC"} ünïcödé €';

describe('compact JWE, dir + A256GCM', () => {
  it('jose decrypts what it encrypts, with the extra header members protected', async () => {
    const k = key();
    const jwe = await encryptDirA256gcm(text, k, { kid: 'k1' });
    expect(decodeProtectedHeader(jwe)).toEqual({ kid: 'k1', alg: 'dir', enc: 'A256GCM' });
    expect(new TextDecoder().decode((await compactDecrypt(jwe, k)).plaintext)).toBe(text);
  });

  it('it decrypts what jose encrypts', async () => {
    const k = key();
    const jwe = await new CompactEncrypt(new TextEncoder().encode(text)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'x' }).encrypt(k);
    expect(await decryptDirA256gcm(jwe, k)).toBe(text);
    expect(await decryptDirA256gcm(await encryptDirA256gcm('', k), k)).toBe('');
  });

  it('never opens under another key, tampered, or in another shape', async () => {
    const k = key();
    const jwe = await encryptDirA256gcm(text, k);
    const [h, e, iv, c, t] = jwe.split('.') as [string, string, string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const bad = [
      jwe.replace(h, flip(h)), // the protected header is authenticated
      [h, e, iv, flip(c), t].join('.'),
      [h, e, iv, c, flip(t)].join('.'),
      [h, e, flip(iv), c, t].join('.'),
      [h, 'a2V5', iv, c, t].join('.'), // an encrypted key: not dir
      jwe.split('.').slice(0, 4).join('.'),
      'not a jwe',
      `${Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A128GCM' })).toString('base64url')}..${iv}.${c}.${t}`,
      `${Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', zip: 'DEF' })).toString('base64url')}..${iv}.${c}.${t}`,
    ];
    await expect(decryptDirA256gcm(jwe, key())).rejects.toBeInstanceOf(JweDecryptionFailed);
    for (const b of bad) await expect(decryptDirA256gcm(b, k), b).rejects.toBeInstanceOf(JweDecryptionFailed);
    await expect(compactDecrypt(jwe.replace(h, flip(h)), k)).rejects.toThrow();
  });

  it('every encryption has its own IV', async () => {
    const k = key();
    const [a, b] = await Promise.all([encryptDirA256gcm(text, k), encryptDirA256gcm(text, k)]);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(a).not.toBe(b);
  });
});
