// The backchannel authentication request's checks (CIBA §7.1, docs/protocol.md §3), each a small pure
// function that returns the validated value or throws an OAuthError.
import {
  invalidAuthorizationDetails,
  invalidBindingMessage,
  invalidRequest,
  invalidScope,
  invalidTarget,
  missingUserCode,
} from '../errors.ts';
import { utf8 } from '../lib/encoding.ts';
import { plainToken } from '../lib/error-text.ts';
import { valueNestsDeeperThan } from '../lib/json.ts';
import { SCOPE_TOKEN, B64TOKEN, type AuthorizationDetail } from '../vocabulary.ts';


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

/** binding_message: 1 to 64 letters, marks, digits, spaces, punctuation or currency signs; required under fapi-ciba. */
export function checkBindingMessage(value: string | undefined, required = false): string | undefined {
  if (value === undefined) {
    if (required) throw invalidBindingMessage('binding_message is required under the fapi-ciba profile');
    return undefined;
  }
  if ([...value].length > 64 || !BINDING_MESSAGE.test(value)) {
    throw invalidBindingMessage('binding_message must be 1 to 64 letters, digits, spaces, punctuation marks or currency signs');
  }
  return value;
}

/**
 * requested_expiry: a positive integer of seconds, however many digits, capped at the tenant's
 * maximum (docs/protocol.md §3). Returns the lifetime.
 */
export function checkRequestedExpiry(value: string | undefined, defaultTtl: number, maxTtl: number): number {
  if (value === undefined) return defaultTtl;
  if (!/^0*[1-9][0-9]*$/.test(value)) {
    throw invalidRequest('requested_expiry must be a positive integer number of seconds');
  }
  // Number() of a very long digit string is Infinity, which the cap turns into the maximum.
  return Math.min(Number(value), maxTtl);
}

/**
 * acr_values: space-separated values, in order of preference. With `achievable` (a fapi-ciba tenant,
 * whose ID token must then carry acr: docs/protocol.md §10) one of them must be an acr it can reach.
 */
export function checkAcrValues(value: string | undefined, achievable?: readonly string[]): string[] | undefined {
  if (value === undefined) return undefined;
  const values = value.split(' ').filter((v) => v !== '');
  if (values.length === 0 || values.some((v) => !/^[\x21-\x7E]+$/.test(v))) {
    throw invalidRequest('acr_values must be space-separated values');
  }
  if (achievable && !values.some((v) => achievable.includes(v))) {
    throw invalidRequest('acr_values: none of them is an acr this tenant can achieve');
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

/**
 * resource (RFC 8707 §2): absolute URIs without a fragment, each one the tenant lists; the access
 * token's audience. Undefined when none is asked for (the audience is then the issuer).
 */
export function checkResource(values: readonly string[], offered: readonly string[]): string[] | undefined {
  if (values.length === 0) return undefined;
  for (const value of values) {
    if (!URL.canParse(value) || new URL(value).hash !== '' || value.includes('#')) {
      throw invalidTarget('resource must be an absolute URI without a fragment');
    }
    if (!offered.includes(value)) throw invalidTarget('A resource is not offered; ask only for resources this server lists');
  }
  return [...new Set(values)];
}


/** authorization_details bounds: what the request's state, the tokens and the user's screen can hold. */
export const MAX_AUTHORIZATION_DETAILS_BYTES = 8192;
export const MAX_AUTHORIZATION_DETAILS_DEPTH = 8;

const isStringArray = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * authorization_details (RFC 9396 §2, §5): a non-empty JSON array of objects, each with a `type` the
 * tenant supports and the client registered (`authorization_details_types`), the common members
 * (`locations`, `actions`, `datatypes`, `privileges` arrays of strings; `identifier` a string) well
 * typed, within size and nesting bounds.
 */
export function checkAuthorizationDetails(
  value: unknown,
  supported: readonly string[],
  allowed: readonly string[] | undefined,
): AuthorizationDetail[] | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string) => invalidAuthorizationDetails(`authorization_details ${why}`);
  if (!Array.isArray(value) || value.length === 0) throw bad('must be a non-empty JSON array of objects');
  if (valueNestsDeeperThan(value, MAX_AUTHORIZATION_DETAILS_DEPTH)) throw bad(`must nest at most ${MAX_AUTHORIZATION_DETAILS_DEPTH} levels`);
  if (utf8(JSON.stringify(value)).length > MAX_AUTHORIZATION_DETAILS_BYTES) {
    throw bad(`must be at most ${MAX_AUTHORIZATION_DETAILS_BYTES} bytes`);
  }
  return value.map((detail: unknown, i) => {
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw bad(`[${i}] must be an object`);
    const d = detail as Record<string, unknown>;
    if (typeof d.type !== 'string' || d.type === '') throw bad(`[${i}] must have a type`);
    if (!supported.includes(d.type)) {
      const named = plainToken(d.type);
      throw bad(`[${i}]: ${named ? `the type ${named}` : 'its type'} is not supported; use a type this server lists`);
    }
    if (!allowed?.includes(d.type)) throw bad(`[${i}]: this client may not request the type ${d.type}`);
    for (const member of ['locations', 'actions', 'datatypes', 'privileges']) {
      if (d[member] !== undefined && !isStringArray(d[member])) throw bad(`[${i}].${member} must be an array of strings`);
    }
    if (d.identifier !== undefined && typeof d.identifier !== 'string') throw bad(`[${i}].identifier must be a string`);
    return d as AuthorizationDetail;
  });
}
