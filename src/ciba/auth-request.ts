// The auth request Durable Object: a thin shell around the pure state machine in state.ts.
// One instance per auth_req_id; load → transition → save → set alarm, all synchronous on SQLite.
// Time is the object's own: callers never pass it.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { alarmNoLaterThan } from '../lib/expiring.ts';
import { guardByName } from '../users/user-guard.ts';
import { attemptDelivery, mintPushTokens } from './delivery.ts';
import {
  afterAttempt,
  bindUser,
  cancel,
  decide,
  expire,
  poll,
  record,
  tokensMinted,
  upgradeRequest,
  type BindOutcome,
  type BoundUser,
  type CancelOutcome,
  type AuthRequestState,
  type DecideOutcome,
  type DecisionInput,
  type Outbox,
  type PollInput,
  type PollOutcome,
  type TimelineEvent,
  type Transition,
} from './state.ts';

/** The one storage key of an AuthRequest object (docs/storage.md). */
export const STATE_KEY = 'state';

export type CreateOutcome = { status: 'created' } | { status: 'exists' };

export class AuthRequest extends DurableObject<Env> {
  /**
   * The stored state as last read or written, so a call reads storage (and deserializes the state)
   * only once per life of the object in memory. Every write goes through #store; a write storage
   * refuses resets the object, and memory with it. `null`: not read yet.
   */
  #state: AuthRequestState | undefined | null = null;

  #load(): AuthRequestState | undefined {
    if (this.#state === null) this.#state = upgradeRequest(this.ctx.storage.kv.get<Parameters<typeof upgradeRequest>[0]>(STATE_KEY));
    return this.#state;
  }

  #store(next: AuthRequestState): void {
    this.ctx.storage.kv.put(STATE_KEY, next);
    this.#state = next;
  }

  #apply<O>(transition: Transition<O>): O {
    if (transition.next) this.#store(transition.next);
    return transition.outcome;
  }

  /** Deletes everything the object holds (a discarded or finished request). */
  async #forget(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    this.#state = undefined;
    await this.ctx.storage.deleteAll();
  }

  /**
   * A pending poll's bookkeeping (its time, for the interval rule, and its timeline event) is
   * written without holding the answer until storage confirms it: the hottest path then does not
   * wait on a disk. It decides nothing, so losing it in a crash would only let the next poll through.
   */
  #applyUnconfirmed(transition: Transition<PollOutcome>): PollOutcome {
    const { status } = transition.outcome;
    if (transition.next && (status === 'pending' || status === 'held')) {
      void this.ctx.storage.put(STATE_KEY, transition.next, { allowUnconfirmed: true });
      this.#state = transition.next;
      return transition.outcome;
    }
    return this.#apply(transition);
  }

  /** Stores a new request (built by newAuthRequest) and schedules its expiry (CIBA §7.3). */
  async create(state: AuthRequestState): Promise<CreateOutcome> {
    if (this.#load()) return { status: 'exists' };
    this.#store(state);
    await this.ctx.storage.setAlarm(state.expiresAt);
    return { status: 'created' };
  }

  /** Forgets a request that could not be shown to its user: it never existed for anyone. */
  async discard(): Promise<void> {
    await this.#forget();
  }

  /** Long polls waiting for this request to change: woken by a decision, a cancellation or expiry. */
  readonly #waiters = new Set<() => void>();

  /**
   * A token-endpoint poll; redeems an approved request exactly once (CIBA §11). With `waitMs`
   * (long polling, docs/protocol.md §8), a pending poll that keeps the interval is held until the request
   * changes or the wait runs out, whichever is first, then answered from the state as it is then.
   */
  async poll(input: PollInput, waitMs = 0): Promise<PollOutcome> {
    const outcome = this.#applyUnconfirmed(poll(this.#load(), waitMs > 0 ? { ...input, phase: 'hold' } : input, Date.now()));
    if (outcome.status !== 'held') return outcome;
    await this.#changeOrTimeout(Math.min(waitMs, outcome.until - Date.now()));
    return this.#applyUnconfirmed(poll(this.#load(), { ...input, phase: 'resumed' }, Date.now()));
  }

  /** Resolves when #wake is called or after `ms`, whichever is first. */
  #changeOrTimeout(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#waiters.add(done);
    });
  }

  /** Wakes every held poll: the request has changed. */
  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** The authenticator's decision (docs/protocol.md §5). */
  async decide(callbackTokenHash: string, tenantIncarnation: string, input: DecisionInput): Promise<DecideOutcome> {
    const outcome = this.#apply(decide(this.#load(), callbackTokenHash, tenantIncarnation, input, Date.now()));
    if (outcome.status === 'decided') {
      this.#wake();
      await this.#releaseLimitsSlot();
    }
    await this.#schedule();
    return outcome;
  }

  /** Cancellation by the RP (docs/protocol.md §8); wakes held polls, which then answer invalid_grant. */
  async cancel(input: PollInput): Promise<CancelOutcome> {
    const outcome = this.#apply(cancel(this.#load(), input, Date.now()));
    if (outcome.status === 'cancelled') {
      this.#wake();
      await this.#releaseLimitsSlot();
    }
    return outcome;
  }

  /**
   * The request no longer counts as pending for its user (docs/protocol.md §8). A failure only means the
   * slot frees itself at the request's expiry, so it is logged, never passed on.
   */
  async #releaseLimitsSlot(): Promise<void> {
    const state = this.#load();
    if (!state?.limitsGuards) return;
    await Promise.all(
      state.limitsGuards.map((name) =>
        guardByName(this.env, name)
          .release(state.requestId)
          .catch((err: unknown) => console.error('releasing a limits slot failed', err)),
      ),
    );
  }

  /** The request's timeline for operators; undefined when unknown to this incarnation of the tenant. */
  async timeline(
    tenantId: string,
    tenantIncarnation: string,
  ): Promise<{ state: AuthRequestState['status']; events: TimelineEvent[] } | undefined> {
    const state = this.#load();
    if (!state || state.tenantId !== tenantId || state.tenantIncarnation !== tenantIncarnation) return undefined;
    return { state: state.status, events: state.timeline };
  }

  /** The user a webhook-like authenticator named while asking them (ciba/open-request.ts). */
  async bindUser(user: BoundUser): Promise<BindOutcome> {
    const outcome = this.#apply(bindUser(this.#load(), user, Date.now()));
    await this.#schedule();
    return outcome;
  }

  /**
   * The one alarm: a delivery attempt when one is due, then the expiry rules, then the next wake-up
   * for whichever comes first (state.ts decides; this only does the I/O).
   */
  override async alarm(): Promise<void> {
    const state = this.#load();
    const outbox = state?.outbox;
    if (state && outbox && outbox.dueAt <= Date.now() && (Date.now() < state.expiresAt || outbox.kind === 'push_expired')) {
      try {
        await this.#deliver(state, outbox);
      } catch (err) {
        // A fault of our own (a key that does not decrypt, KV down) counts as a failed attempt, so
        // the alarm always comes back and the request still expires on time.
        console.error('delivery attempt failed', err);
        this.#apply(afterAttempt(this.#load(), outbox.kind, { result: 'failed' }, Date.now()));
      }
    }
    const transition = expire(this.#load(), Date.now());
    this.#wake();
    if (transition.outcome.status === 'delete') {
      await this.#forget();
      return;
    }
    this.#apply(transition);
    await this.ctx.storage.setAlarm(transition.outcome.at);
  }

  /** Runs one attempt of the due delivery; push tokens are minted (once) before their first attempt. */
  async #deliver(state: AuthRequestState, outbox: Outbox): Promise<void> {
    if (outbox.kind === 'push_tokens' && !outbox.bodyJwe) {
      const minted = await mintPushTokens(this.env, state);
      // Other calls may have run while minting: read again before writing.
      const current = this.#load();
      if (!current?.outbox || current.outbox.kind !== 'push_tokens' || current.outbox.bodyJwe) return;
      if (minted.status === 'abandon') {
        const { outbox: _dropped, ...rest } = current;
        this.#store(record(rest, Date.now(), 'delivery_abandoned', { kind: outbox.kind, reason: minted.reason }));
        return;
      }
      const withTokens = tokensMinted(current, minted.bodyJwe, Date.now());
      this.#store(withTokens);
      state = withTokens;
      outbox = withTokens.outbox!;
    }
    const result = await attemptDelivery(this.env, state, outbox);
    this.#apply(afterAttempt(this.#load(), outbox.kind, result, Date.now()));
  }

  /** Moves the alarm earlier when a delivery became due before it. */
  async #schedule(): Promise<void> {
    const dueAt = this.#load()?.outbox?.dueAt;
    if (dueAt !== undefined) await alarmNoLaterThan(this.ctx.storage, dueAt);
  }
}
