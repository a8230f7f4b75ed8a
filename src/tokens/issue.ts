// Issuing the tokens of a redeemed request (CIBA §11, §10.3): once the request's object has consumed
// the approval (consume before minting: docs/architecture.md, principles), the grant family is opened in its own Durable Object (so its
// tokens can be refreshed, introspected and revoked) and the tokens are minted. The CIBA grant at the
// token endpoint and push delivery both call issueTokens, which holds the one check that an approval
// is still good to issue for. No HTTP here.
import type { Authentication, Consent } from '../consent.ts';
import type { Env } from '../env.ts';
import type { Confirmation } from '../sender.ts';
import type { ClientRecord } from '../clients/store.ts';
import type { SigningKey } from '../keys/store.ts';
import type { TenantRecord } from '../tenants/store.ts';
import { openFamily } from './family.ts';
import { grantStanding } from './standing.ts';
import { familyToMint, mintTokenResponse, type IdTokenExtras, type TokenResponse } from './token-response.ts';

/** A request the user approved, consumed exactly once: who approved what, and how. */
export interface Redeemed {
  requestId: string;
  clientId: string;
  sub: string;
  /** The directory user's incarnation, when the user came from the directory (docs/storage.md). */
  userIncarnation?: string;
  /** The user's claims, JSON, as an authenticator that keeps its own users (the webhook) returned them. */
  claimsJson?: string;
  consent: Consent;
  authentication: Authentication;
}

export type IssueOutcome = { status: 'issued'; tokens: TokenResponse } | { status: 'refused'; reason: string };

/** What issuing needs beside the redeemed request: where, for whom, signed with what key, when. */
export interface IssueContext {
  env: Env;
  tenant: TenantRecord;
  issuer: string;
  client: ClientRecord;
  /** Loaded before the approval was consumed, so a key-store fault cannot burn an approval. */
  key: SigningKey;
  /** Epoch milliseconds. */
  now: number;
  extras?: IdTokenExtras;
  /** What the tokens are bound to (tokens/binding.ts), decided before the approval was consumed. */
  confirmation?: Confirmation;
}

/**
 * The token response for an approval already consumed, unless it is no longer good: its user deleted
 * (or re-created) since the request was opened, or its client gone. The approval is spent either way.
 */
export async function issueTokens(context: IssueContext, redeemed: Redeemed): Promise<IssueOutcome> {
  const { env, tenant, issuer, client, key, now, extras, confirmation } = context;
  if (!(await grantStanding(env, tenant, redeemed, client))) {
    return { status: 'refused', reason: 'the user or the client was deleted after the request was opened' };
  }
  const { family, refreshToken } = await openFamily(env, tenant, issuer, client, redeemed, now, confirmation);
  const minted = familyToMint(family, issuer, family.consent.scope);
  return { status: 'issued', tokens: await mintTokenResponse(key, tenant.settings, refreshToken ? { ...minted, refreshToken } : minted, now, extras) };
}
