// What a refresh token is (docs/tokens.md): base64url(grant id ‖ generation ‖ 256 CSPRNG bits ‖ tag),
// the tag an HMAC-SHA256 of the rest under a key derived per tenant (src/secrets.ts). The grant's
// object keeps only the current token's hash and generation; the tag tells one of its spent tokens
// from a forgery (RFC 9700 §4.14.2). Tokens of the earlier shape (grant id ‖ 256 bits) are still read.
import type { Env } from '../env.ts';
import { randomBytes, sha256 } from '../lib/crypto.ts';
import { base64url, fromBase64url } from '../lib/encoding.ts';
import { idOfHandle } from '../lib/handles.ts';
import { keyedDigest, matchesKeyedDigest } from '../secrets.ts';
import type { PresentedRefresh } from './family-state.ts';

const GRANT_ID_BYTES = 16;
const GENERATION_BYTES = 4;
/** 256 CSPRNG bits after the grant id and generation (issue 9: at least 256). */
const SECRET_BYTES = 32;
const TAG_BYTES = 32;
const BODY_BYTES = GRANT_ID_BYTES + GENERATION_BYTES + SECRET_BYTES;
const TOKEN_LENGTH = Math.ceil(((BODY_BYTES + TAG_BYTES) * 4) / 3);
/** The last generation a token can name (32 bits): over a year of refreshes, 100 a second. */
export const MAX_GENERATION = 0xffff_ffff;
/** What the tags are keyed for (docs/storage.md, what is hashed). */
const PURPOSE = 'refresh tokens';

/** The tag of a token's body (base64url), under the current KEY_ENCRYPTION_SECRET. */
const tagOf = (env: Env, tenantId: string, body: string) => keyedDigest(env, PURPOSE, tenantId, body);

/** Mints the refresh token of generation `generation` of the grant (the first is 1). */
export async function mintRefreshToken(env: Env, tenantId: string, grantId: string, generation: number): Promise<string> {
  if (!Number.isInteger(generation) || generation < 1 || generation > MAX_GENERATION) throw new RangeError(`generation ${generation}`);
  const body = new Uint8Array(BODY_BYTES);
  body.set(fromBase64url(grantId)!, 0);
  new DataView(body.buffer).setUint32(GRANT_ID_BYTES, generation);
  body.set(randomBytes(SECRET_BYTES), GRANT_ID_BYTES + GENERATION_BYTES);
  const encoded = base64url(body);
  const tag = fromBase64url(await tagOf(env, tenantId, encoded))!;
  const token = new Uint8Array(BODY_BYTES + TAG_BYTES);
  token.set(body, 0);
  token.set(tag, BODY_BYTES);
  return base64url(token);
}

interface Parsed {
  grantId: string;
  generation: number;
  /** The body and tag of a token of the current shape; absent for one of the earlier shape. */
  signed?: { body: string; tag: string };
}

function parse(token: string): Parsed | undefined {
  // The earlier shape, generation 0: grant id ‖ 256 CSPRNG bits, no tag (docs/storage.md).
  const legacy = idOfHandle(token, GRANT_ID_BYTES, SECRET_BYTES);
  if (legacy !== undefined) return { grantId: legacy, generation: 0 };
  if (token.length !== TOKEN_LENGTH) return undefined;
  const bytes = fromBase64url(token);
  if (!bytes || bytes.length !== BODY_BYTES + TAG_BYTES) return undefined;
  const generation = new DataView(bytes.buffer, bytes.byteOffset).getUint32(GRANT_ID_BYTES);
  if (generation < 1) return undefined;
  return {
    grantId: base64url(bytes.subarray(0, GRANT_ID_BYTES)),
    generation,
    signed: { body: base64url(bytes.subarray(0, BODY_BYTES)), tag: base64url(bytes.subarray(BODY_BYTES)) },
  };
}

/** The grant id inside a refresh token of either shape, or undefined when it is malformed. */
export const grantIdOfRefreshToken = (token: string): string | undefined => parse(token)?.grantId;

/**
 * A refresh token as its grant's object weighs it: the grant it names, its hash, its generation, and
 * whether its tag is the server's (under the current KEY_ENCRYPTION_SECRET or, while rotating, the
 * previous one). Undefined when it is malformed.
 */
export async function presentRefreshToken(
  env: Env,
  tenantId: string,
  token: string,
): Promise<(PresentedRefresh & { grantId: string }) | undefined> {
  const parsed = parse(token);
  if (!parsed) return undefined;
  const [hash, authentic] = await Promise.all([
    sha256(token),
    parsed.signed ? matchesKeyedDigest(env, PURPOSE, tenantId, parsed.signed.body, parsed.signed.tag) : false,
  ]);
  return { grantId: parsed.grantId, hash, generation: parsed.generation, authentic };
}
