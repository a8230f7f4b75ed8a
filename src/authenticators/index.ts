// The authenticator registry: a tenant's `authenticator.type` names its implementation; adding one
// is one file and one line here. An unknown type is a loud configuration fault, never an approval.
import { notConfigured } from '../errors.ts';
import type { Env } from '../env.ts';
import type { TenantRecord } from '../tenants/store.ts';
import type { Authenticator } from './authenticator.ts';
import { builtin } from './builtin.ts';
import { webhook } from './webhook.ts';

const authenticators: Readonly<Record<string, Authenticator>> = { builtin, webhook };

/** The authenticator the tenant is configured with. */
export function authenticatorFor(tenant: TenantRecord): Authenticator {
  const type = tenant.settings.authenticator.type;
  const authenticator = Object.hasOwn(authenticators, type) ? authenticators[type] : undefined;
  if (!authenticator) throw notConfigured(`tenant ${tenant.id} has an unknown authenticator ${type}`);
  return authenticator;
}

/**
 * Tells the tenant's authenticator that a request will never be honoured, so the user's device stops
 * asking, without making the caller wait: one attempt, handed to `waitUntil`; a failure is logged.
 */
export function tellCancelled(
  env: Env,
  tenant: TenantRecord,
  request: { requestId: string; sub?: string | undefined },
  waitUntil: (promise: Promise<unknown>) => void,
): void {
  const { requestId, sub } = request;
  const told = authenticatorFor(tenant)
    .cancel(env, tenant, { requestId, ...(sub !== undefined ? { sub } : {}) })
    .catch((err: unknown) => console.error(`the authenticator was not told that request ${requestId} is cancelled`, err));
  waitUntil(told);
}
