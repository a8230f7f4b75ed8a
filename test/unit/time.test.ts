// One clock inside (src/lib/time.ts): epoch milliseconds in records and functions, seconds only at
// a JWT or a wire body; instants stored in seconds before are read as milliseconds.
import { generateKeyPair, decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { storedInstantMs, toEpochSeconds } from '../../src/lib/time.ts';
import { mintTokenResponse } from '../../src/tokens/token-response.ts';

describe('storedInstantMs and toEpochSeconds', () => {
  it.each([
    ['epoch seconds of today', 1_800_000_000, 1_800_000_000_000],
    ['epoch milliseconds of today', 1_800_000_000_123, 1_800_000_000_123],
    ['the first second', 1, 1000],
  ])('reads %s as milliseconds', (_name, stored, ms) => {
    expect(storedInstantMs(stored)).toBe(ms);
  });

  it('floors milliseconds to the second a JWT counts in (RFC 7519 §2, NumericDate)', () => {
    expect(toEpochSeconds(1_800_000_000_999)).toBe(1_800_000_000);
  });
});

describe('the tokens count in seconds, from a clock in milliseconds', () => {
  it('iat, exp and auth_time are epoch seconds, whichever unit auth_time was stored in', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const key = { kid: 'k', alg: 'ES256' as const, key: privateKey };
    const now = 1_800_000_000_500;
    const mint = (authTime: number) =>
      mintTokenResponse(key, { access_token_ttl: 600, id_token_ttl: 300 }, {
        issuer: 'https://as.example/acme/as',
        clientId: 'rp',
        sub: 'alice',
        consent: { scope: 'openid' },
        authentication: { authenticationMethod: 'smart-id', authTime },
        grantId: 'g',
      }, now);
    for (const authTime of [1_799_999_990_000, 1_799_999_990]) {
      const tokens = await mint(authTime);
      expect(decodeJwt(tokens.access_token)).toMatchObject({ iat: 1_800_000_000, exp: 1_800_000_600, auth_time: 1_799_999_990 });
      expect(decodeJwt(tokens.id_token)).toMatchObject({ iat: 1_800_000_000, exp: 1_800_000_300, auth_time: 1_799_999_990 });
    }
  });
});
