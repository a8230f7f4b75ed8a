// The replay store for `jti`s (client assertions, request objects, device sign-in links): Durable
// Objects, strongly consistent, so a replay is caught at any edge location, and sharded, so no single
// object sees every login. A `jti` lands in one of 256 shards per tenant, picked by a hash of its
// issuer and the `jti`; each entry is deleted by the shard's alarm once what it came from expires.
import { DurableObject } from 'cloudflare:workers';
import { namespaceOf, type Env } from '../env.ts';
import { base64url, utf8 } from '../lib/encoding.ts';
import { alarmNoLaterThan, sweepExpired } from '../lib/expiring.ts';

/** Shards per tenant: 256 objects share a tenant's assertions (docs/storage.md explains the load). */
export const REPLAY_SHARDS = 256;
const PREFIX = 'jti:';

export type SpendOutcome = { status: 'fresh' } | { status: 'replayed' };

export class ReplayGuard extends DurableObject<Env> {
  /** The alarm this instance last set or saw: a sweep is due no later than this, so no storage call is needed. */
  #alarmAt: number | undefined;

  /** Records `key` until `expiresAt` (epoch ms); `replayed` when it was already recorded and not yet expired. */
  async spend(key: string, expiresAt: number): Promise<SpendOutcome> {
    const storageKey = PREFIX + key;
    const seen = this.ctx.storage.kv.get<number>(storageKey);
    if (seen !== undefined && seen > Date.now()) return { status: 'replayed' };
    this.ctx.storage.kv.put(storageKey, expiresAt);
    if (this.#alarmAt === undefined || this.#alarmAt > expiresAt) {
      await alarmNoLaterThan(this.ctx.storage, expiresAt);
      this.#alarmAt = (await this.ctx.storage.getAlarm()) ?? undefined;
    }
    return { status: 'fresh' };
  }

  /** Deletes the entries whose assertions have expired and comes back for the next one. */
  override async alarm(): Promise<void> {
    this.#alarmAt = undefined;
    await sweepExpired<number>(this.ctx.storage, PREFIX, (expiresAt) => expiresAt);
  }
}

/** One issuer's `jti`s spread over this many shards when it asks for its own (`byIssuer`, docs/storage.md). */
export const ISSUER_SHARDS = 8;

/**
 * Spends a `jti` of `issuer` (a client id, or a namespace: docs/storage.md) within the tenant:
 * `fresh` the first time, `replayed` after, until `expiresAt` (epoch ms) has passed. The shard
 * follows the hash of issuer and `jti`; `byIssuer` keeps an issuer's `jti`s on ISSUER_SHARDS shards
 * of its own, so objects that a busy issuer (a DPoP key, polling) calls stay warm.
 */
export async function spendJti(
  env: Env,
  tenantId: string,
  issuer: string,
  jti: string,
  expiresAt: number,
  { byIssuer = false } = {},
): Promise<SpendOutcome> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(`${issuer}\u0000${jti}`)));
  const shard = byIssuer
    ? ((await issuerShard(issuer)) + (digest[0]! % ISSUER_SHARDS)) % REPLAY_SHARDS
    : digest[0]! % REPLAY_SHARDS;
  const guards = namespaceOf<ReplayGuard>(env.REPLAY_GUARDS);
  const stub = guards.get(guards.idFromName(`${tenantId}/${shard}`));
  return stub.spend(base64url(digest), expiresAt);
}

/** The first of an issuer's shards: a hash of the issuer alone. */
const issuerShard = async (issuer: string) => new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(issuer)))[0]!;
