// Signing JWTs with the tenant's current key (jose).
import { SignJWT, type JWTPayload } from 'jose';
import type { SigningKey } from '../keys/store.ts';

export async function signJwt(payload: JWTPayload, key: SigningKey, typ: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ }).sign(key.key);
}
