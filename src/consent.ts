// What the user is asked and how they answered, each named once and carried whole: the request
// opened at the backchannel endpoint, the grant family its approval starts and the tokens it issues
// all hold these values, never copies of their fields (docs/architecture.md).
import type { AuthorizationDetail } from './vocabulary.ts';

/** What the RP asked the user to consent to, as checked at the backchannel endpoint (CIBA §7.1) and shown to the user. */
export interface Consent {
  /** Space-separated scopes; a refresh may narrow them for one token response, never widen them. */
  scope: string;
  /** RFC 8707: the resources the access token is for (its aud); the issuer when absent. */
  resource?: string[];
  /** RFC 9396, as checked: returned with the tokens and carried by the access token. */
  authorizationDetails?: AuthorizationDetail[];
  /** CIBA §7.1: what the user saw beside the request; the ID and access tokens carry it (docs/protocol.md §8). */
  bindingMessage?: string;
  /** CIBA §7.1: the acr values the RP asked for, passed to the authenticator. */
  acrValues?: string[];
  /** The digest of what the user is shown (docs/protocol.md §8); absent in grants started before it existed. */
  displayHash?: string;
}

/** How the user authenticated when they approved, as the authenticator reported it (docs/protocol.md §5). */
export interface Authentication {
  authenticationMethod: string;
  acr?: string;
  amr?: string[];
  /** Epoch milliseconds (seconds in records written before); a JWT carries it as auth_time in seconds (OpenID Connect Core §2). */
  authTime: number;
}

/**
 * A consent as records stored it before it was named (docs/storage.md): its members flat beside the
 * record's own, the authorization details as JSON.
 */
export interface FlatConsent {
  scope: string;
  resource?: string[];
  authorizationDetailsJson?: string;
  bindingMessage?: string;
  acrValues?: string[];
  displayHash?: string;
}

/** Splits a record of the earlier shape into its own members and its consent, whole. */
export function consentFromFlat<R extends FlatConsent>(record: R): { rest: Omit<R, keyof FlatConsent>; consent: Consent } {
  const { scope, resource, authorizationDetailsJson, bindingMessage, acrValues, displayHash, ...rest } = record;
  const consent: Consent = {
    scope,
    ...(resource ? { resource } : {}),
    ...(authorizationDetailsJson !== undefined
      ? { authorizationDetails: JSON.parse(authorizationDetailsJson) as Consent['authorizationDetails'] }
      : {}),
    ...(bindingMessage !== undefined ? { bindingMessage } : {}),
    ...(acrValues ? { acrValues } : {}),
    ...(displayHash !== undefined ? { displayHash } : {}),
  };
  return { rest, consent };
}
