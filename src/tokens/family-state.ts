// A grant after redemption, as pure functions: what a CIBA approval becomes once its tokens are
// minted. It lives in its own Durable Object (token-grant.ts), holds only the hash and generation of
// its current refresh token (constant space, however often it rotates), rotates it on every use, and
// is revoked whole when a spent one comes back (RFC 9700 §4.14) or when the client revokes any of its
// tokens (RFC 7009). Time comes in as an argument.
import { consentFromFlat, type Authentication, type Consent, type FlatConsent } from '../consent.ts';
import type { Confirmation } from '../sender.ts';

export interface GrantState {
  grantId: string;
  tenantId: string;
  tenantIncarnation: string;
  issuer: string;
  clientId: string;
  /** The client record's incarnation at the approval; absent for a client registered before clients had one. */
  clientIncarnation?: string;
  sub: string;
  userIncarnation?: string;
  /** The user's claims, JSON, as an authenticator that keeps its own users (the webhook) returned them. */
  claimsJson?: string;
  /** What the user consented to: every token of the grant carries it; a refresh may narrow the scope it asks for, never widen it. */
  consent: Consent;
  /** How the user authenticated when they approved. */
  authentication: Authentication;
  /**
   * What the grant's first tokens were bound to (docs/protocol.md §9). A DPoP key binds the grant for
   * good: every refresh must prove the same key (RFC 9449 §5). A certificate binds each access token
   * to the certificate of its own token request.
   */
  confirmation?: Confirmation;
  /** SHA-256 of the refresh token that may be used next; absent when the client has no refresh grant. */
  refreshHash?: string;
  /**
   * The generation of that token (refresh-tokens.ts): the first is 1, each rotation adds one; an
   * authentic token of an earlier generation is a spent one. Absent in a record of the earlier shape,
   * whose current token is of generation 0.
   */
  refreshGeneration?: number;
  /**
   * Only in a record of the earlier shape (docs/storage.md): SHA-256 of every refresh token it spent
   * before generations existed, plus the last one of that shape. Read, never grown after that.
   */
  spentHashes?: string[];
  status: 'active' | 'revoked';
  /** Epoch milliseconds. */
  createdAt: number;
  /** When refresh tokens stop working (epoch ms); access tokens may outlive it by their lifetime. */
  expiresAt: number;
}

/** A grant as stored before its consent and authentication were named (docs/storage.md): flat members. */
type EarlierGrantState = Omit<GrantState, 'consent' | 'authentication'> & FlatConsent & { approval: Authentication };

/** Reads a stored grant of either shape as the current one; the next write stores the current shape. */
export function upgradeFamily(stored: GrantState | EarlierGrantState | undefined): GrantState | undefined {
  if (stored === undefined || 'consent' in stored) return stored;
  const { rest: { approval, ...rest }, consent } = consentFromFlat(stored);
  return { ...rest, consent, authentication: approval };
}

/** Who is asking: the grant answers only to its own tenant incarnation and, where said, client. */
export interface GrantCaller {
  tenantId: string;
  tenantIncarnation: string;
}

/** A refresh token as presented (refresh-tokens.ts): its hash, the generation it names, whether its tag is the server's. */
export interface PresentedRefresh {
  hash: string;
  generation: number;
  authentic: boolean;
}

export type RefreshOutcome =
  | { status: 'rotated'; grant: GrantState; scope: string }
  | { status: 'invalid_grant'; reason: string }
  | { status: 'invalid_scope'; scope: string }
  | { status: 'invalid_dpop_proof'; reason: string };

export interface Transition<O> {
  next?: GrantState;
  outcome: O;
}

const isCaller = (state: GrantState, caller: GrantCaller) =>
  state.tenantId === caller.tenantId && state.tenantIncarnation === caller.tenantIncarnation;

/** Is the grant usable now by this tenant incarnation? */
export const isActive = (state: GrantState | undefined, caller: GrantCaller, now: number): state is GrantState =>
  state !== undefined && isCaller(state, caller) && state.status === 'active' && now < state.expiresAt;

/**
 * Which of the grant's refresh tokens this is: the current one, a spent one, or none it issued. An
 * earlier generation counts as spent only when its tag is the server's, so a forged token naming a
 * real grant and an old generation cannot revoke the grant (RFC 9700 §4.14.2 revokes on the reuse of
 * a token that was issued, not on a guess).
 */
export function refreshTokenStanding(state: GrantState, token: PresentedRefresh): 'current' | 'spent' | 'unknown' {
  const generation = state.refreshGeneration ?? 0;
  if (state.refreshHash !== undefined && token.hash === state.refreshHash && token.generation === generation) return 'current';
  if (token.authentic && token.generation < generation) return 'spent';
  if (state.spentHashes?.includes(token.hash)) return 'spent';
  return 'unknown';
}

/**
 * The refresh grant (RFC 6749 §6, RFC 9700 §4.14): the current refresh token of an active grant,
 * presented by its client, is spent and replaced by the next generation's, `nextHash`; a spent one
 * revokes the grant. The requested scope, when given, must lie within the granted one. Racing
 * refreshes of one token: the object runs one at a time, so the first rotates and every later one
 * presents a spent token.
 */
export function refresh(
  state: GrantState | undefined,
  input: GrantCaller & { clientId: string; token: PresentedRefresh; nextHash: string; scope?: string[]; jkt?: string },
  now: number,
): Transition<RefreshOutcome> {
  if (!state || !isCaller(state, input) || state.clientId !== input.clientId) {
    return { outcome: { status: 'invalid_grant', reason: 'unknown refresh token' } };
  }
  const standing = refreshTokenStanding(state, input.token);
  if (standing === 'spent') {
    const next = state.status === 'active' ? { ...state, status: 'revoked' as const } : undefined;
    return { next, outcome: { status: 'invalid_grant', reason: 'a spent refresh token came back: the grant is revoked' } };
  }
  if (standing === 'unknown') return { outcome: { status: 'invalid_grant', reason: 'unknown refresh token' } };
  if (state.status !== 'active') return { outcome: { status: 'invalid_grant', reason: 'the grant was revoked' } };
  if (now >= state.expiresAt) return { outcome: { status: 'invalid_grant', reason: 'the refresh token expired' } };
  // RFC 9449 §5: a grant bound to a DPoP key is refreshed only with a proof of that key; the token stays unspent.
  const bound = state.confirmation && 'jkt' in state.confirmation ? state.confirmation.jkt : undefined;
  if (bound !== undefined && input.jkt !== bound) {
    return { outcome: { status: 'invalid_dpop_proof', reason: input.jkt === undefined ? 'this grant is bound to a DPoP key; send a proof of it' : 'the DPoP proof is of another key than the one this grant is bound to' } };
  }
  const granted = state.consent.scope.split(' ');
  const wider = input.scope?.find((s) => !granted.includes(s));
  if (wider !== undefined) return { outcome: { status: 'invalid_scope', scope: wider } };
  const next: GrantState = {
    ...state,
    refreshHash: input.nextHash,
    refreshGeneration: input.token.generation + 1,
    // The last token of the earlier shape joins its record's list, which then never grows again.
    ...(input.token.generation === 0 ? { spentHashes: [...(state.spentHashes ?? []), input.token.hash] } : {}),
  };
  return { next, outcome: { status: 'rotated', grant: next, scope: input.scope?.join(' ') ?? state.consent.scope } };
}

/**
 * Revocation (RFC 7009 §2.1) ends the whole grant. Only its own client may, and, when it names the
 * grant by a refresh token, only with one the grant issued (current or spent).
 */
export function revoke(
  state: GrantState | undefined,
  input: GrantCaller & { clientId: string; token?: PresentedRefresh },
): Transition<void> {
  if (!state || !isCaller(state, input) || state.clientId !== input.clientId) return { outcome: undefined };
  if (input.token && refreshTokenStanding(state, input.token) === 'unknown') return { outcome: undefined };
  return { next: state.status === 'active' ? { ...state, status: 'revoked' } : undefined, outcome: undefined };
}
