// The Hono app's environment: the Worker's bindings and the per-request variables the middleware
// sets (the tenant, its id and its issuer).
import type { Env } from '../env.ts';
import type { TenantRecord } from '../tenants/store.ts';

export interface Variables {
  tenantId: string;
  tenant: TenantRecord;
  issuer: string;
}

export type AppEnv = { Bindings: Env; Variables: Variables };
