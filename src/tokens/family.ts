// The grant's Durable Object: one per grant family (the tokens of one approval and their refreshes),
// a thin shell around grant-state.ts. Access tokens name it (`gid`), so introspection, userinfo and
// revocation ask it whether the grant still stands; refresh tokens lead to it like auth_req_ids do.
import { DurableObject } from 'cloudflare:workers';
import { namespaceOf, type Env } from '../env.ts';
import type { ClientRecord } from '../clients/store.ts';
import { randomBytes, sha256 } from '../lib/crypto.ts';
import { base64url } from '../lib/encoding.ts';
import type { TenantRecord } from '../tenants/store.ts';
import { placed, type TenantPlace } from '../tenants/ref.ts';
import {
  isActive,
  upgradeFamily,
  refresh,
  revoke,
  type GrantCaller,
  type GrantState,
  type PresentedRefresh,
  type RefreshOutcome,
  type Transition,
} from './family-state.ts';
import { mintRefreshToken } from './refresh-tokens.ts';
import type { Redeemed } from './issue.ts';
import type { Confirmation } from '../sender.ts';
import { REFRESH_TOKEN_GRANT_TYPE } from '../vocabulary.ts';

export const STATE_KEY = 'grant';
const GRANT_ID_BYTES = 16;

export class TokenGrant extends DurableObject<Env> {
  #load(): GrantState | undefined {
    return upgradeFamily(this.ctx.storage.kv.get<Parameters<typeof upgradeFamily>[0]>(STATE_KEY));
  }

  #apply<O>(transition: Transition<O>): O {
    if (transition.next) this.ctx.storage.kv.put(STATE_KEY, transition.next);
    return transition.outcome;
  }

  /** Stores a new grant and schedules its deletion once neither it nor any token of it can be used. */
  async open(state: GrantState, deleteAt: number): Promise<void> {
    this.ctx.storage.kv.put(STATE_KEY, state);
    await this.ctx.storage.setAlarm(deleteAt);
  }

  /**
   * The refresh grant: rotates the refresh token, or revokes the grant on reuse. No await between
   * reading and writing the state, so racing refreshes run one after the other.
   */
  async refresh(input: Parameters<typeof refresh>[1]): Promise<RefreshOutcome> {
    return this.#apply(refresh(this.#load(), input, Date.now()));
  }

  /** The grant when it still stands for this tenant incarnation, else undefined. */
  async active(caller: GrantCaller): Promise<GrantState | undefined> {
    const state = this.#load();
    return isActive(state, caller, Date.now()) ? state : undefined;
  }

  /** Is `tokenHash` the refresh token that may be used next, in a grant that still stands? */
  async isCurrentRefresh(caller: GrantCaller, tokenHash: string): Promise<GrantState | undefined> {
    const state = await this.active(caller);
    return state?.refreshHash === tokenHash ? state : undefined;
  }

  /**
   * Ends the grant (RFC 7009 §2.1): every token of it stops working. Only its own client may, and,
   * when it names the grant by a refresh token, only with one the grant issued.
   */
  async revoke(caller: GrantCaller, clientId: string, token?: PresentedRefresh): Promise<void> {
    this.#apply(revoke(this.#load(), { ...caller, clientId, ...(token ? { token } : {}) }));
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

export const newGrantId = () => base64url(randomBytes(GRANT_ID_BYTES));

export const isGrantId = (value: string) => /^[A-Za-z0-9_-]{22}$/.test(value);

/** The Durable Object that holds a tenant's grant, in the tenant's jurisdiction. */
export function grantStub(env: Env, tenant: TenantPlace, grantId: string) {
  const namespace = placed(env.ENVIRONMENT, namespaceOf<TokenGrant>(env.TOKEN_GRANTS), tenant);
  return namespace.get(namespace.idFromName(`${tenant.id}/${grantId}`));
}

/**
 * Opens the grant family of a redeemed request: its object holds the grant until its refresh tokens
 * expire (or, without the refresh_token grant, its access token) and is deleted once no token of it
 * can live. Returns the family and, for a client with the refresh_token grant, the first refresh token.
 */
export async function openFamily(
  env: Env,
  tenant: TenantRecord,
  issuer: string,
  client: ClientRecord,
  redeemed: Redeemed,
  now: number,
  confirmation?: Confirmation,
): Promise<{ family: GrantState; refreshToken?: string }> {
  const grantId = newGrantId();
  const refreshToken = client.metadata.grant_types.includes(REFRESH_TOKEN_GRANT_TYPE)
    ? await mintRefreshToken(env, tenant.id, grantId, 1)
    : undefined;
  const { settings } = tenant;
  const createdAt = now;
  const expiresAt = createdAt + (refreshToken ? settings.refresh_token_ttl : settings.access_token_ttl) * 1000;
  const { sub, userIncarnation, claimsJson, consent, authentication } = redeemed;
  const family: GrantState = {
    grantId,
    tenantId: tenant.id,
    tenantIncarnation: tenant.incarnation,
    issuer,
    clientId: client.clientId,
    ...(client.incarnation !== undefined ? { clientIncarnation: client.incarnation } : {}),
    sub,
    ...(userIncarnation !== undefined ? { userIncarnation } : {}),
    ...(claimsJson !== undefined ? { claimsJson } : {}),
    consent,
    authentication,
    ...(confirmation ? { confirmation } : {}),
    ...(refreshToken ? { refreshHash: await sha256(refreshToken), refreshGeneration: 1 } : {}),
    status: 'active',
    createdAt,
    expiresAt,
  };
  const deleteAt = expiresAt + Math.max(settings.access_token_ttl, settings.id_token_ttl) * 1000;
  await grantStub(env, tenant, grantId).open(family, deleteAt);
  return { family, ...(refreshToken ? { refreshToken } : {}) };
}
