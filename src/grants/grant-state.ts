// A grant after redemption, as pure functions: what a CIBA approval becomes once its tokens are
// minted. It lives in its own Durable Object (token-grant.ts), holds only hashes of its refresh
// tokens, rotates them on every use, and is revoked whole when a spent one comes back (RFC 9700
// §4.14) or when the client revokes any of its tokens (RFC 7009). Time comes in as an argument.
import type { Approval } from '../ciba/state.ts';

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
  /** The scope granted; a refresh may narrow what it asks for, never widen this. */
  scope: string;
  /** RFC 8707 and RFC 9396, as granted: every access token of the grant carries them. */
  resource?: string[];
  authorizationDetailsJson?: string;
  /** Contract §8: what the user saw, carried by every token of the grant. */
  bindingMessage?: string;
  approval: Approval;
  /** SHA-256 of the refresh token that may be used next; absent when the client has no refresh grant. */
  refreshHash?: string;
  /** SHA-256 of every refresh token already used: presenting one again revokes the grant. */
  spentHashes: string[];
  status: 'active' | 'revoked';
  /** Epoch milliseconds. */
  createdAt: number;
  /** When refresh tokens stop working (epoch ms); access tokens may outlive it by their lifetime. */
  expiresAt: number;
}

/** Who is asking: the grant answers only to its own tenant incarnation and, where said, client. */
export interface GrantCaller {
  tenantId: string;
  tenantIncarnation: string;
}

export type RefreshOutcome =
  | { status: 'rotated'; grant: GrantState; scope: string }
  | { status: 'invalid_grant'; reason: string }
  | { status: 'invalid_scope'; scope: string };

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
 * The refresh grant (RFC 6749 §6, RFC 9700 §4.14): the current refresh token of an active grant,
 * presented by its client, is spent and replaced by `nextHash`; a spent one revokes the grant. The
 * requested scope, when given, must lie within the granted one.
 */
export function refresh(
  state: GrantState | undefined,
  input: GrantCaller & { clientId: string; tokenHash: string; nextHash: string; scope?: string[] },
  now: number,
): Transition<RefreshOutcome> {
  if (!state || !isCaller(state, input) || state.clientId !== input.clientId) {
    return { outcome: { status: 'invalid_grant', reason: 'unknown refresh token' } };
  }
  if (state.spentHashes.includes(input.tokenHash)) {
    const next = state.status === 'active' ? { ...state, status: 'revoked' as const } : undefined;
    return { next, outcome: { status: 'invalid_grant', reason: 'a spent refresh token came back: the grant is revoked' } };
  }
  if (state.refreshHash !== input.tokenHash) return { outcome: { status: 'invalid_grant', reason: 'unknown refresh token' } };
  if (state.status !== 'active') return { outcome: { status: 'invalid_grant', reason: 'the grant was revoked' } };
  if (now >= state.expiresAt) return { outcome: { status: 'invalid_grant', reason: 'the refresh token expired' } };
  const granted = state.scope.split(' ');
  const wider = input.scope?.find((s) => !granted.includes(s));
  if (wider !== undefined) return { outcome: { status: 'invalid_scope', scope: wider } };
  const next: GrantState = { ...state, refreshHash: input.nextHash, spentHashes: [...state.spentHashes, input.tokenHash] };
  return { next, outcome: { status: 'rotated', grant: next, scope: input.scope?.join(' ') ?? state.scope } };
}
