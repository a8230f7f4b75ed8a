// Deleting a tenant's records in batches. A tenant may hold thousands of users and clients: more KV
// operations than one invocation may make (1,000; 50 subrequests on Workers Free). So deleting a
// tenant hands its incarnation's prefix (tenants/ref.ts) to a TenantSweeper, one Durable Object per
// deleted incarnation, whose alarm deletes SWEEP_BATCH records per run and re-arms until the prefix
// is empty. Nothing reads below an old incarnation's prefix, so the sweep may take its time, and a
// tenant re-created under the same id meanwhile writes under a new prefix the sweep never touches.
import { DurableObject } from 'cloudflare:workers';
import { namespaceOf, type Env } from '../env.ts';
import { tenantPrefix, type TenantRef } from '../tenants/ref.ts';

/** Records deleted per alarm run: with the listing, well inside the smallest plan's subrequest limit. */
export const SWEEP_BATCH = 40;

/**
 * The first pass walks the prefix once; a second pass this long after it catches a record written
 * by a request that was in flight when the tenant was deleted, or that KV's listing did not yet show
 * (KV propagates within about 60 s).
 */
export const SWEEP_SETTLE_MS = 90_000;

export interface SweepState {
  prefix: string;
  pass: 1 | 2;
  cursor?: string;
  deleted: number;
}

const STATE = 'sweep';

export class TenantSweeper extends DurableObject<Env> {
  /** Starts sweeping `prefix`; a sweep already under way goes on where it is. */
  async start(prefix: string): Promise<void> {
    if (this.ctx.storage.kv.get<SweepState>(STATE)) return;
    this.ctx.storage.kv.put<SweepState>(STATE, { prefix, pass: 1, deleted: 0 });
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** The sweep under way; undefined once it has finished (or never started). */
  async status(): Promise<SweepState | undefined> {
    return this.ctx.storage.kv.get<SweepState>(STATE);
  }

  /** Deletes one batch, then comes back at once for the next, or after the settle time for the second pass. */
  override async alarm(): Promise<void> {
    const state = this.ctx.storage.kv.get<SweepState>(STATE);
    if (!state) return;
    const { prefix, cursor } = state;
    const page = await this.env.CONFIG.list({ prefix, limit: SWEEP_BATCH, ...(cursor ? { cursor } : {}) });
    await Promise.all(page.keys.map(({ name }) => this.env.CONFIG.delete(name)));
    const deleted = state.deleted + page.keys.length;
    if (!page.list_complete) {
      this.ctx.storage.kv.put<SweepState>(STATE, { prefix, pass: state.pass, cursor: page.cursor, deleted });
      await this.ctx.storage.setAlarm(Date.now());
    } else if (state.pass === 1) {
      this.ctx.storage.kv.put<SweepState>(STATE, { prefix, pass: 2, deleted });
      await this.ctx.storage.setAlarm(Date.now() + SWEEP_SETTLE_MS);
    } else {
      console.log(JSON.stringify({ event: 'tenant_swept', prefix, deleted }));
      await this.ctx.storage.deleteAll();
    }
  }
}

/** The sweeper of one deleted incarnation of a tenant. */
export const tenantSweeperStub = (env: Env, tenant: TenantRef) =>
  namespaceOf<TenantSweeper>(env.TENANT_SWEEPERS).get(env.TENANT_SWEEPERS.idFromName(tenantPrefix(tenant)));

/** Hands the incarnation's records to its sweeper. */
export async function sweepTenant(env: Env, tenant: TenantRef): Promise<void> {
  await tenantSweeperStub(env, tenant).start(tenantPrefix(tenant));
}
