// The backchannel authentication request's checks (CIBA §7.1, contract §3), each a small pure
// function that returns the validated value or throws an OAuthError.
import { invalidBindingMessage, invalidRequest, invalidScope, missingUserCode } from '../errors.ts';
import type { FormParams } from '../http/form.ts';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * scope: required, must hold openid and only scopes the tenant offers and, when the client registered
 * a `scope` (RFC 7591 §2), only those. Returns the scopes, deduplicated.
 */
export function checkScope(value: string | undefined, offered: readonly string[], registered?: readonly string[]): string[] {
  if (value === undefined) throw invalidRequest('The scope parameter is required');
  const scopes = [...new Set(value.split(' ').filter((s) => s !== ''))];
  if (scopes.length === 0 || !scopes.every((s) => SCOPE_TOKEN.test(s))) {
    throw invalidRequest('The scope parameter is malformed');
  }
  if (!scopes.includes('openid')) throw invalidScope('The scope must include openid');
  const unknown = scopes.find((s) => !offered.includes(s));
  if (unknown !== undefined) throw invalidScope(`The scope ${unknown} is not offered`);
  const unregistered = registered && scopes.find((s) => !registered.includes(s));
  if (unregistered !== undefined) throw invalidScope(`This client may not request the scope ${unregistered}`);
  return scopes;
}

export type Hint =
  | { kind: 'login_hint'; value: string }
  | { kind: 'id_token_hint'; value: string }
  | { kind: 'login_hint_token'; value: string };

/** Exactly one of login_hint, id_token_hint, login_hint_token (CIBA §7.1). */
export function checkHint(form: FormParams): Hint {
  const given = (['login_hint', 'id_token_hint', 'login_hint_token'] as const).flatMap((kind) => {
    const value = form.get(kind);
    return value === undefined ? [] : [{ kind, value }];
  });
  if (given.length === 0) {
    throw invalidRequest('One of login_hint, id_token_hint or login_hint_token is required');
  }
  if (given.length > 1) {
    throw invalidRequest('Only one of login_hint, id_token_hint or login_hint_token may be given');
  }
  return given[0]!;
}

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** client_notification_token: required for ping and push clients, ≤ 1024 chars of b64token. */
export function checkClientNotificationToken(value: string | undefined, deliveryMode: string): string | undefined {
  if (deliveryMode === 'poll') return value;
  if (value === undefined) {
    throw invalidRequest('client_notification_token is required for ping and push clients');
  }
  if (value.length > 1024 || !B64TOKEN.test(value)) {
    throw invalidRequest('client_notification_token must be at most 1024 characters of RFC 6750 b64token syntax');
  }
  return value;
}

const BINDING_MESSAGE = /^[\p{L}\p{M}\p{Nd}\p{Zs}\p{P}\p{Sc}]{1,64}$/u;

/** binding_message: 1 to 64 letters, marks, digits, spaces, punctuation or currency signs. */
export function checkBindingMessage(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if ([...value].length > 64 || !BINDING_MESSAGE.test(value)) {
    throw invalidBindingMessage('binding_message must be 1 to 64 letters, digits, spaces, punctuation marks or currency signs');
  }
  return value;
}

/**
 * requested_expiry: a positive integer of seconds, however many digits, capped at the tenant's
 * maximum (contract §3). Returns the lifetime.
 */
export function checkRequestedExpiry(value: string | undefined, defaultTtl: number, maxTtl: number): number {
  if (value === undefined) return defaultTtl;
  if (!/^0*[1-9][0-9]*$/.test(value)) {
    throw invalidRequest('requested_expiry must be a positive integer number of seconds');
  }
  // Number() of a very long digit string is Infinity, which the cap turns into the maximum.
  return Math.min(Number(value), maxTtl);
}

/** acr_values: space-separated values, in order of preference. */
export function checkAcrValues(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const values = value.split(' ').filter((v) => v !== '');
  if (values.length === 0 || values.some((v) => !/^[\x21-\x7E]+$/.test(v))) {
    throw invalidRequest('acr_values must be space-separated values');
  }
  return values;
}

/** user_code: where both the tenant and the client use it, it is required. */
export function checkUserCodePresence(value: string | undefined, required: boolean): string | undefined {
  if (required && value === undefined) {
    throw missingUserCode('user_code is required for this client');
  }
  return required ? value : undefined;
}
