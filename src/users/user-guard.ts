// One Durable Object per directory user: what must be counted for the user with strong consistency
// at every edge location. Today, wrong user codes (CIBA §7.1 user_code): a code is short, so after
// USER_CODE_MAX_FAILURES wrong ones within USER_CODE_LOCK_MS the user's code is locked until the
// oldest of them is that old, and the RP gets invalid_user_code whatever code it sends.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import type { TenantRef } from '../tenants/ref.ts';

export const USER_CODE_MAX_FAILURES = 5;
export const USER_CODE_LOCK_MS = 15 * 60_000;

const FAILURES = 'userCodeFailures';

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
    await this.ctx.storage.setAlarm(now + USER_CODE_LOCK_MS);
    return { accepted: false, locked: failures.length >= USER_CODE_MAX_FAILURES };
  }

  /** The last failure has aged out: nothing is left to count. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

/** The guard of one directory user (this tenant incarnation, this user incarnation). */
export const userGuardStub = (env: Env, tenant: TenantRef, user: { sub: string; incarnation: string }) =>
  env.USER_GUARDS.get(env.USER_GUARDS.idFromName(`${tenant.id}/${tenant.incarnation}/${user.sub}/${user.incarnation}`));
