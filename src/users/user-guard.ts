// What must be counted per user with strong consistency at every edge location, in one Durable
// Object per user (a per-location rate limiter or KV would let an attacker spread over locations):
// - wrong user codes (CIBA §7.1 user_code), per directory user: a code is short, so after
//   USER_CODE_MAX_FAILURES wrong ones within USER_CODE_LOCK_MS the user's code is locked until the
//   oldest of them is that old, and the RP gets invalid_user_code whatever code it sends;
// - push-bombing limits (contract §8), per user the hint names: the requests pending at once, and
//   the requests started in any USER_REQUEST_WINDOW_MS, counted before the user's device is asked.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import type { TenantRef } from '../tenants/ref.ts';

export const USER_CODE_MAX_FAILURES = 5;
export const USER_CODE_LOCK_MS = 15 * 60_000;

/** The window user_request_limit counts requests started in (contract §8). */
export const USER_REQUEST_WINDOW_MS = 10 * 60_000;

const FAILURES = 'userCodeFailures';
const STARTS = 'starts';
const PENDING = 'pending:';

export interface UserLimits {
  pendingLimit: number;
  requestLimit: number;
}

export type AdmitOutcome =
  | { admitted: true }
  | { admitted: false; limit: 'user_pending_limit' | 'user_request_limit'; retryAfterS: number };

export interface UserCodeVerdict {
  accepted: boolean;
  /** Is the code locked now (after this attempt)? */
  locked: boolean;
}

export class UserGuard extends DurableObject<Env> {
  /**
   * Records a user_code attempt whose comparison the caller made (`matches`). While locked, nothing
   * is accepted and nothing is counted (so the lock does not grow); a correct code clears the count.
   */
  async userCodeAttempt(matches: boolean): Promise<UserCodeVerdict> {
    const now = Date.now();
    const failures = (this.ctx.storage.kv.get<number[]>(FAILURES) ?? []).filter((at) => at > now - USER_CODE_LOCK_MS);
    if (failures.length >= USER_CODE_MAX_FAILURES) return { accepted: false, locked: true };
    if (matches) {
      this.ctx.storage.kv.delete(FAILURES);
      return { accepted: true, locked: false };
    }
    failures.push(now);
    this.ctx.storage.kv.put(FAILURES, failures);
    await this.#keepUntil(now + USER_CODE_LOCK_MS);
    return { accepted: false, locked: failures.length >= USER_CODE_MAX_FAILURES };
  }

  /**
   * Admits a request for the user unless a limit is reached: `pendingLimit` requests pending at once
   * (each until it is released or expires), `requestLimit` started in any USER_REQUEST_WINDOW_MS.
   */
  async admit(requestId: string, expiresAt: number, limits: UserLimits): Promise<AdmitOutcome> {
    const now = Date.now();
    const pending = this.#pending(now);
    const starts = (this.ctx.storage.kv.get<number[]>(STARTS) ?? []).filter((at) => at > now - USER_REQUEST_WINDOW_MS);
    if (pending.length >= limits.pendingLimit) {
      const freesAt = Math.min(...pending.map(([, at]) => at));
      return { admitted: false, limit: 'user_pending_limit', retryAfterS: Math.max(1, Math.ceil((freesAt - now) / 1000)) };
    }
    if (starts.length >= limits.requestLimit) {
      const freesAt = starts[starts.length - limits.requestLimit]! + USER_REQUEST_WINDOW_MS;
      return { admitted: false, limit: 'user_request_limit', retryAfterS: Math.max(1, Math.ceil((freesAt - now) / 1000)) };
    }
    this.ctx.storage.kv.put(PENDING + requestId, expiresAt);
    this.ctx.storage.kv.put(STARTS, [...starts, now]);
    await this.#keepUntil(Math.max(expiresAt, now + USER_REQUEST_WINDOW_MS));
    return { admitted: true };
  }

  /** The request left the pending count: decided, cancelled, or never opened. */
  async release(requestId: string): Promise<void> {
    this.ctx.storage.kv.delete(PENDING + requestId);
  }

  /** Entries that have aged out go; the object's storage goes once nothing is left to count. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const [key, at] of this.ctx.storage.kv.list<number>({ prefix: PENDING })) if (at <= now) this.ctx.storage.kv.delete(key);
    const failures = (this.ctx.storage.kv.get<number[]>(FAILURES) ?? []).filter((at) => at > now - USER_CODE_LOCK_MS);
    const starts = (this.ctx.storage.kv.get<number[]>(STARTS) ?? []).filter((at) => at > now - USER_REQUEST_WINDOW_MS);
    const until = Math.max(
      ...this.#pending(now).map(([, at]) => at),
      ...failures.map((at) => at + USER_CODE_LOCK_MS),
      ...starts.map((at) => at + USER_REQUEST_WINDOW_MS),
    );
    if (until > now) await this.ctx.storage.setAlarm(until);
    else await this.ctx.storage.deleteAll();
  }

  #pending(now: number): [string, number][] {
    return [...this.ctx.storage.kv.list<number>({ prefix: PENDING })].filter(([, at]) => at > now);
  }

  /** Keeps the alarm at or after `at`, so nothing is deleted while it still counts. */
  async #keepUntil(at: number): Promise<void> {
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm < at) await this.ctx.storage.setAlarm(at);
  }
}

/** The limits of the user a request names (`key`: the directory sub, else the hint), in this tenant incarnation. */
export const limitsGuardName = (tenant: TenantRef, key: string) => `limits/${tenant.id}/${tenant.incarnation}/${key}`;
export const guardByName = (env: Env, name: string) => env.USER_GUARDS.get(env.USER_GUARDS.idFromName(name));

/** The guard of one directory user (this tenant incarnation, this user incarnation). */
export const userGuardStub = (env: Env, tenant: TenantRef, user: { sub: string; incarnation: string }) =>
  env.USER_GUARDS.get(env.USER_GUARDS.idFromName(`${tenant.id}/${tenant.incarnation}/${user.sub}/${user.incarnation}`));
