// The auth request Durable Object: a thin shell around the pure state machine in state.ts.
// One instance per auth_req_id; load → transition → save → set alarm, all synchronous on SQLite.
// Time is the object's own: callers never pass it.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import {
  decide,
  expire,
  poll,
  type AuthRequestState,
  type DecideOutcome,
  type DecisionInput,
  type PollInput,
  type PollOutcome,
  type TimelineEvent,
  type Transition,
} from './state.ts';

/** The one storage key of an AuthRequest object (docs/storage.md). */
export const STATE_KEY = 'state';

export type CreateOutcome = { status: 'created' } | { status: 'exists' };

export class AuthRequest extends DurableObject<Env> {
  #load(): AuthRequestState | undefined {
    return this.ctx.storage.kv.get<AuthRequestState>(STATE_KEY);
  }

  #apply<O>(transition: Transition<O>): O {
    if (transition.next) this.ctx.storage.kv.put(STATE_KEY, transition.next);
    return transition.outcome;
  }

  /** Stores a new request (built by newAuthRequest) and schedules its expiry (CIBA §7.3). */
  async create(state: AuthRequestState): Promise<CreateOutcome> {
    if (this.#load()) return { status: 'exists' };
    this.ctx.storage.kv.put(STATE_KEY, state);
    await this.ctx.storage.setAlarm(state.expiresAt);
    return { status: 'created' };
  }

  /** Forgets a request that could not be shown to its user: it never existed for anyone. */
  async discard(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** A token-endpoint poll; redeems an approved request exactly once (CIBA §11). */
  async poll(input: PollInput): Promise<PollOutcome> {
    return this.#apply(poll(this.#load(), input, Date.now()));
  }

  /** The authenticator's decision (contract §5). */
  async decide(callbackTokenHash: string, tenantIncarnation: string, input: DecisionInput): Promise<DecideOutcome> {
    return this.#apply(decide(this.#load(), callbackTokenHash, tenantIncarnation, input, Date.now()));
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

  override async alarm(): Promise<void> {
    const transition = expire(this.#load(), Date.now());
    if (transition.outcome.status === 'delete') {
      await this.ctx.storage.deleteAll();
      return;
    }
    this.#apply(transition);
    await this.ctx.storage.setAlarm(transition.outcome.at);
  }
}
