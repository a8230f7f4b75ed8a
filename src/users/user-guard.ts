// What must be counted per user with strong consistency at every edge location, in one Durable
// Object per user (a per-location rate limiter or KV would let an attacker spread over locations):
// - wrong user codes (CIBA §7.1 user_code), per directory user: a code is short, so after
//   USER_CODE_MAX_FAILURES wrong ones within USER_CODE_LOCK_MS the user's code is locked until the
//   oldest of them is that old, and the RP gets invalid_user_code whatever code it sends;
// - push-bombing limits (docs/protocol.md §8), per user the hint names: the requests pending at once, and
//   the requests started in any USER_REQUEST_WINDOW_MS, counted before the user's device is asked.
import { DurableObject } from 'cloudflare:workers';
import { namespaceOf, type Env } from '../env.ts';
import type { TenantRef } from '../tenants/ref.ts';

export const USER_CODE_MAX_FAILURES = 5;
export const USER_CODE_LOCK_MS = 15 * 60_000;

/** The window user_request_limit counts requests started in (docs/protocol.md §8). */
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
   * The pending requests (id → expiry) and the start times, as stored, mirrored in memory once read:
   * an admission then reads nothing and writes two small entries. Every write goes through the
   * methods below; a write storage refuses resets the object, and memory with it.
   */
  #pendingMirror: Map<string, number> | undefined;
  #startsMirror: number[] | undefined;

  /** Requests still pending at `now` (expired ones leave memory here, storage at the alarm). */
  #pending(now: number): Map<string, number> {
    this.#pendingMirror ??= new Map(this.ctx.storage.kv.list<number>({ prefix: PENDING }));
    for (const [key, at] of this.#pendingMirror) if (at <= now) this.#pendingMirror.delete(key);
    return this.#pendingMirror;
  }

  /** Start times within the window at `now`, oldest first. */
  #starts(now: number): number[] {
    this.#startsMirror = (this.#startsMirror ?? this.ctx.storage.kv.get<number[]>(STARTS) ?? []).filter(
      (at) => at > now - USER_REQUEST_WINDOW_MS,
    );
    return this.#startsMirror;
  }

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
    await this.#ensureAlarm(now + USER_CODE_LOCK_MS);
    return { accepted: false, locked: failures.length >= USER_CODE_MAX_FAILURES };
  }

  /**
   * Admits a request for the user unless a limit is reached: `pendingLimit` requests pending at once
   * (each until it is released or expires), `requestLimit` started in any USER_REQUEST_WINDOW_MS.
   */
  async admit(requestId: string, expiresAt: number, limits: UserLimits): Promise<AdmitOutcome> {
    const now = Date.now();
    const pending = this.#pending(now);
    const starts = this.#starts(now);
    if (pending.size >= limits.pendingLimit) {
      const freesAt = Math.min(...pending.values());
      return { admitted: false, limit: 'user_pending_limit', retryAfterS: Math.max(1, Math.ceil((freesAt - now) / 1000)) };
    }
    if (starts.length >= limits.requestLimit) {
      const freesAt = starts[starts.length - limits.requestLimit]! + USER_REQUEST_WINDOW_MS;
      return { admitted: false, limit: 'user_request_limit', retryAfterS: Math.max(1, Math.ceil((freesAt - now) / 1000)) };
    }
    this.ctx.storage.kv.put(PENDING + requestId, expiresAt);
    pending.set(PENDING + requestId, expiresAt);
    starts.push(now);
    this.ctx.storage.kv.put(STARTS, starts);
    await this.#ensureAlarm(Math.max(expiresAt, now + USER_REQUEST_WINDOW_MS));
    return { admitted: true };
  }

  /** The request left the pending count: decided, cancelled, or never opened. */
  async release(requestId: string): Promise<void> {
    this.ctx.storage.kv.delete(PENDING + requestId);
    this.#pendingMirror?.delete(PENDING + requestId);
  }

  /** Entries that have aged out go; the object's storage goes once nothing is left to count. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const [key, at] of this.ctx.storage.kv.list<number>({ prefix: PENDING })) if (at <= now) this.ctx.storage.kv.delete(key);
    const failures = (this.ctx.storage.kv.get<number[]>(FAILURES) ?? []).filter((at) => at > now - USER_CODE_LOCK_MS);
    const starts = this.#starts(now);
    const until = Math.max(
      ...this.#pending(now).values(),
      ...failures.map((at) => at + USER_CODE_LOCK_MS),
      ...starts.map((at) => at + USER_REQUEST_WINDOW_MS),
    );
    if (until > now) {
      this.ctx.storage.kv.put(STARTS, starts);
      await this.ctx.storage.setAlarm(until);
    } else {
      this.#pendingMirror = undefined;
      this.#startsMirror = undefined;
      await this.ctx.storage.deleteAll();
    }
  }

  /**
   * Makes sure an alarm is set, at `at` when there is none. One set earlier is left alone: it finds
   * what still counts and sets itself again for the last of it, so nothing is deleted while it counts
   * (and an admission writes no alarm).
   */
  async #ensureAlarm(at: number): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(at);
  }
}

/** The limits of the user a request names (`key`: the directory sub, else the hint), in this tenant incarnation. */
export const limitsGuardName = (tenant: TenantRef, key: string) => `limits/${tenant.id}/${tenant.incarnation}/${key}`;
const guards = (env: Env) => namespaceOf<UserGuard>(env.USER_GUARDS);
export const guardByName = (env: Env, name: string) => guards(env).get(guards(env).idFromName(name));

/** The guard of one directory user (this tenant incarnation, this user incarnation). */
export const userGuardStub = (env: Env, tenant: TenantRef, user: { sub: string; incarnation: string }) =>
  guardByName(env, `${tenant.id}/${tenant.incarnation}/${user.sub}/${user.incarnation}`);
