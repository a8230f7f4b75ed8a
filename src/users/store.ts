// The built-in user directory (docs/protocol.md §6): users by `sub`, with an index from each login hint.
import * as z from 'zod/mini';
import type { Env } from '../env.ts';
import { conflict } from '../errors.ts';
import { keyedDigest, matchesKeyedDigest } from '../secrets.ts';
import { randomToken } from '../lib/crypto.ts';
import { utf8 } from '../lib/encoding.ts';
import { tenantPrefix, type TenantRef } from '../tenants/ref.ts';

export const SUB = /^[\x21-\x7E]{1,255}$/;

/**
 * The longest login hint the directory holds, in UTF-8 bytes once normalized. KV refuses keys over
 * 512 bytes; the index key adds at most 99 (`tenant:`, a 63-character id, `:`, a 22-character
 * incarnation, `:hint:`), so 320 bytes
 * (an e-mail address's maximum) always fits. A longer hint cannot name anyone.
 */
export const MAX_LOGIN_HINT_BYTES = 320;

const hintBytes = (hint: string) => utf8(normalizeLoginHint(hint)).byteLength;

export const userInputSchema = z.strictObject({
  login_hints: z
    .array(
      z
        .string()
        .check(
          z.trim(),
          z.minLength(1),
          z.refine((h) => hintBytes(h) <= MAX_LOGIN_HINT_BYTES, `must be at most ${MAX_LOGIN_HINT_BYTES} bytes of UTF-8`),
        ),
    )
    .check(z.minLength(1), z.maxLength(20)),
  claims: z._default(z.record(z.string(), z.unknown()), {}),
  user_code: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
});

export interface UserRecord {
  sub: string;
  /** Minted when the sub is created, kept when it is replaced: a deleted and re-created user is another one. */
  incarnation: string;
  loginHints: string[];
  claims: Record<string, unknown>;
  /** HMAC of the user code under a key derived from KEY_ENCRYPTION_SECRET (see userCodeDigest). */
  userCodeHash?: string;
  /** Epoch milliseconds (seconds in records written before). */
  updatedAt: number;
}

/** User codes are short and guessable, so they are kept as a keyed digest, not a bare hash. */
export const userCodeDigest = (env: Env, tenantId: string, code: string) => keyedDigest(env, 'user codes', tenantId, code);

/** Is `code` the user's code? Under the current secret, and the previous one while rotating. */
export const isUserCode = (env: Env, tenantId: string, code: string, user: Pick<UserRecord, 'userCodeHash'>) =>
  matchesKeyedDigest(env, 'user codes', tenantId, code, user.userCodeHash);

/**
 * One spelling per identifier: e-mail addresses and other hints compare case-insensitively, phone
 * numbers without spaces, dashes, dots or parentheses.
 */
export function normalizeLoginHint(hint: string): string {
  const trimmed = hint.trim();
  if (/^\+?[0-9 ().-]{3,}$/.test(trimmed)) return trimmed.replace(/[ ().-]/g, '');
  return trimmed.toLowerCase();
}

/** The KV keys of a user record and of a login hint's index entry (docs/storage.md). */
export const userKey = (tenant: TenantRef, sub: string) => `${tenantPrefix(tenant)}user:${sub}`;

export const hintKey = (tenant: TenantRef, hint: string) => `${tenantPrefix(tenant)}hint:${normalizeLoginHint(hint)}`;

export async function getUser(env: Env, tenant: TenantRef, sub: string): Promise<UserRecord | undefined> {
  if (!SUB.test(sub)) return undefined;
  return (await env.CONFIG.get<UserRecord>(userKey(tenant, sub), 'json')) ?? undefined;
}

/** The user a login hint names in the directory, if any (CIBA §7.1 login_hint). */
export async function findUserByLoginHint(env: Env, tenant: TenantRef, hint: string): Promise<UserRecord | undefined> {
  if (hintBytes(hint) > MAX_LOGIN_HINT_BYTES) return undefined;
  const sub = await env.CONFIG.get(hintKey(tenant, hint));
  return sub ? getUser(env, tenant, sub) : undefined;
}

/** Creates or replaces a user; refuses a login hint another user already holds. */
export async function putUser(
  env: Env,
  tenant: TenantRef,
  sub: string,
  input: z.output<typeof userInputSchema>,
  now: number,
): Promise<{ created: boolean; user: UserRecord }> {
  const previous = await getUser(env, tenant, sub);
  const hints = [...new Set(input.login_hints.map(normalizeLoginHint))];
  const owners = await Promise.all(hints.map((h) => env.CONFIG.get(hintKey(tenant, h))));
  const taken = hints.find((_, i) => owners[i] !== null && owners[i] !== sub);
  if (taken !== undefined) throw conflict(`login_hints: ${taken} already belongs to another user`);
  const user: UserRecord = {
    sub,
    incarnation: previous?.incarnation ?? randomToken(16),
    loginHints: input.login_hints,
    claims: input.claims,
    ...(input.user_code !== undefined ? { userCodeHash: await userCodeDigest(env, tenant.id, input.user_code) } : {}),
    updatedAt: now,
  };
  await env.CONFIG.put(userKey(tenant, sub), JSON.stringify(user));
  await Promise.all(hints.map((h) => env.CONFIG.put(hintKey(tenant, h), sub)));
  const dropped = (previous?.loginHints ?? []).map(normalizeLoginHint).filter((h) => !hints.includes(h));
  await Promise.all(dropped.map((h) => env.CONFIG.delete(hintKey(tenant, h))));
  return { created: !previous, user };
}

export async function deleteUser(env: Env, tenant: TenantRef, sub: string): Promise<boolean> {
  const user = await getUser(env, tenant, sub);
  if (!user) return false;
  await Promise.all(user.loginHints.map((h) => env.CONFIG.delete(hintKey(tenant, h))));
  await env.CONFIG.delete(userKey(tenant, sub));
  return true;
}

/** The user's public view for the admin API: never the user code or its hash. */
export const describeUser = (user: UserRecord) => ({
  sub: user.sub,
  login_hints: user.loginHints,
  claims: user.claims,
  has_user_code: user.userCodeHash !== undefined,
});
