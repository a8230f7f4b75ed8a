// Resolving a login_hint to a directory user (docs/protocol.md §3): a plain identifier, or an RFC 9493
// subject identifier as JSON (email, phone_number, iss_sub with our issuer, opaque).
import type { Env } from '../env.ts';
import type { TenantRef } from '../tenants/ref.ts';
import { invalidRequest, unknownUserId } from '../errors.ts';
import { findUserByLoginHint, getUser, normalizeLoginHint, type UserRecord } from './store.ts';

export type SubjectIdentifier =
  | { format: 'email'; email: string }
  | { format: 'phone_number'; phone_number: string }
  | { format: 'iss_sub'; iss: string; sub: string }
  | { format: 'opaque'; id: string };

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** Parses an RFC 9493 subject identifier of the formats the directory can answer. */
export function parseSubjectIdentifier(value: unknown): SubjectIdentifier {
  const bad = (why: string) => invalidRequest(`Unsupported subject identifier: ${why}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object');
  const id = value as Record<string, unknown>;
  switch (id.format) {
    case 'email':
      if (isString(id.email)) return { format: 'email', email: id.email };
      throw bad('email format needs an email member');
    case 'phone_number':
      if (isString(id.phone_number)) return { format: 'phone_number', phone_number: id.phone_number };
      throw bad('phone_number format needs a phone_number member');
    case 'iss_sub':
      if (isString(id.iss) && isString(id.sub)) return { format: 'iss_sub', iss: id.iss, sub: id.sub };
      throw bad('iss_sub format needs iss and sub members');
    case 'opaque':
      if (isString(id.id)) return { format: 'opaque', id: id.id };
      throw bad('opaque format needs an id member');
    default:
      throw bad('format must be email, phone_number, iss_sub or opaque');
  }
}

/** Finds the user a subject identifier names, or undefined. */
export async function findUserBySubjectIdentifier(
  env: Env,
  tenant: TenantRef,
  issuer: string,
  id: SubjectIdentifier,
): Promise<UserRecord | undefined> {
  switch (id.format) {
    case 'email':
      return findUserByLoginHint(env, tenant, id.email);
    case 'phone_number':
      return findUserByLoginHint(env, tenant, id.phone_number);
    case 'iss_sub':
      return id.iss === issuer ? getUser(env, tenant, id.sub) : undefined;
    case 'opaque':
      return getUser(env, tenant, id.id);
  }
}

/**
 * Who the request names, once its hint is read and, for the signed hints, verified
 * (ciba/hints.ts): a login_hint as given (and, when it is an RFC 9493 subject identifier as JSON,
 * that identifier read), an id_token_hint's sub, a login_hint_token's sub_id.
 */
export type UserHint =
  | { kind: 'login_hint'; value: string; subId?: SubjectIdentifier }
  | { kind: 'id_token_hint'; sub: string }
  | { kind: 'login_hint_token'; subId: SubjectIdentifier };

/**
 * Reads a login_hint: a plain identifier, or (when it opens with `{`) an RFC 9493 subject identifier
 * of a format the server takes; any other JSON is invalid_request, whichever authenticator would be asked.
 */
export function readLoginHint(value: string): UserHint {
  if (!value.trimStart().startsWith('{')) return { kind: 'login_hint', value };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalidRequest('login_hint looks like JSON but does not parse; send an identifier or an RFC 9493 subject identifier');
  }
  return { kind: 'login_hint', value, subId: parseSubjectIdentifier(parsed) };
}

/**
 * One canonical name of whom a hint names, whatever form it came in (docs/operations.md, push-bombing
 * limits): `sub:` and the subject for a hint that names the directory subject, `login_hint:` and the
 * normalised e-mail or phone number (or other identifier) for one that names a login hint.
 */
export function canonicalUserOf(hint: UserHint, issuer: string): string {
  if (hint.kind === 'id_token_hint') return subjectKey(hint.sub);
  if (hint.kind === 'login_hint' && hint.subId === undefined) return loginHintKey(hint.value);
  const subId = hint.subId!;
  switch (subId.format) {
    case 'email':
      return loginHintKey(subId.email);
    case 'phone_number':
      return loginHintKey(subId.phone_number);
    case 'iss_sub':
      return subId.iss === issuer ? subjectKey(subId.sub) : `iss_sub:${JSON.stringify([subId.iss, subId.sub])}`;
    case 'opaque':
      return subjectKey(subId.id);
  }
}

/** The canonical name of a user known by their subject (see canonicalUserOf). */
export const subjectKey = (sub: string) => `sub:${sub}`;
const loginHintKey = (hint: string) => `login_hint:${normalizeLoginHint(hint)}`;

/** The directory user the hint names; unknown_user_id when there is none. */
export async function resolveUserHint(env: Env, tenant: TenantRef, issuer: string, hint: UserHint): Promise<UserRecord> {
  let user: UserRecord | undefined;
  if (hint.kind === 'id_token_hint') user = await getUser(env, tenant, hint.sub);
  else if (hint.kind === 'login_hint' && hint.subId === undefined) user = await findUserByLoginHint(env, tenant, hint.value);
  else user = await findUserBySubjectIdentifier(env, tenant, issuer, hint.subId!);
  if (!user) throw unknownUserId('No user matches the hint');
  return user;
}
