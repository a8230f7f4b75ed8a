// The authentication request's parameters (CIBA §7.1, docs/protocol.md §3), wherever they come from: the
// form, or the claims of a signed request object (CIBA §7.1.1). Both are read into one shape, so
// the checks that follow do not care which it was.
import { invalidAuthorizationDetails, invalidRequest } from '../errors.ts';
import { plainToken } from '../lib/error-text.ts';
import { parseJson } from '../lib/json.ts';
import { MAX_AUTHORIZATION_DETAILS_DEPTH } from './checks.ts';

/** What a backchannel request's form gives: one value, every value, every name (the route's form reader fits it). */
export interface FormValues {
  get(name: string): string | undefined;
  getAll(name: string): string[];
  names(): string[];
}

export interface BackchannelParams {
  scope?: string;
  login_hint?: string;
  id_token_hint?: string;
  login_hint_token?: string;
  client_notification_token?: string;
  binding_message?: string;
  user_code?: string;
  /** Digits as given; a request object may carry a number, which is read as its decimal digits. */
  requested_expiry?: string;
  acr_values?: string;
  /** RFC 8707: zero or more. */
  resource: string[];
  /** RFC 9396: the parsed JSON value, checked later (checks.ts). */
  authorization_details?: unknown;
}

const STRING_PARAMS = [
  'scope',
  'login_hint',
  'id_token_hint',
  'login_hint_token',
  'client_notification_token',
  'binding_message',
  'user_code',
  'acr_values',
] as const;

/** The parameters that authenticate the client: the only ones allowed beside a request object. */
const CLIENT_AUTHENTICATION = new Set(['client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'request']);

/** Reads the parameters of a form-encoded request. */
export function paramsFromForm(form: FormValues): BackchannelParams {
  const params: BackchannelParams = { resource: form.getAll('resource') };
  for (const name of STRING_PARAMS) {
    const value = form.get(name);
    if (value !== undefined) params[name] = value;
  }
  const expiry = form.get('requested_expiry');
  if (expiry !== undefined) params.requested_expiry = expiry;
  const details = form.get('authorization_details');
  if (details !== undefined) {
    // Bounded before it is parsed, as checkAuthorizationDetails bounds a request object's after.
    const parsed = parseJson(details, MAX_AUTHORIZATION_DETAILS_DEPTH);
    if (!parsed.ok) {
      throw invalidAuthorizationDetails(
        parsed.tooDeep ? `authorization_details must nest at most ${MAX_AUTHORIZATION_DETAILS_DEPTH} levels` : 'authorization_details is not JSON',
      );
    }
    params.authorization_details = parsed.value;
  }
  return params;
}

/** CIBA §7.1.1: with a request object, nothing but client authentication may stand outside it. */
export function assertOnlyClientAuthentication(form: FormValues): void {
  // An empty parameter counts as absent (RFC 6749 §3.1), here as everywhere.
  const outside = form.names().find((name) => !CLIENT_AUTHENTICATION.has(name) && form.getAll(name).length > 0);
  if (outside !== undefined) {
    const named = plainToken(outside);
    throw invalidRequest(
      `With a request object, every authentication request parameter goes inside it; ${named ? `${named} was` : 'a parameter was'} outside`,
    );
  }
}

/** Reads the parameters of a verified request object's claims; a member of the wrong type is invalid_request. */
export function paramsFromClaims(claims: Record<string, unknown>): BackchannelParams {
  const wrongType = (name: string, what: string) => invalidRequest(`The request object's ${name} must be ${what}`);
  const params: BackchannelParams = { resource: [] };
  for (const name of STRING_PARAMS) {
    const value = claims[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') throw wrongType(name, 'a string');
    params[name] = value;
  }
  const expiry = claims.requested_expiry;
  if (typeof expiry === 'number') {
    if (!Number.isSafeInteger(expiry)) throw invalidRequest('requested_expiry must be a positive integer number of seconds');
    params.requested_expiry = String(expiry);
  } else if (typeof expiry === 'string') params.requested_expiry = expiry;
  else if (expiry !== undefined) throw wrongType('requested_expiry', 'a string or a number');
  const resource = claims.resource;
  if (typeof resource === 'string') params.resource = [resource];
  else if (Array.isArray(resource) && resource.every((r): r is string => typeof r === 'string')) params.resource = resource;
  else if (resource !== undefined) throw wrongType('resource', 'a string or an array of strings');
  if (claims.authorization_details !== undefined) params.authorization_details = claims.authorization_details;
  return params;
}
