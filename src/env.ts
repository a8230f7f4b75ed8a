// The Worker's bindings and the per-request variables the middleware sets.
import type { AuthRequest } from './ciba/auth-request.ts';
import type { DeviceInbox } from './authenticators/device-inbox.ts';
import type { ReplayGuard } from './replay/guard.ts';
import type { TokenGrant } from './grants/token-grant.ts';
import type { TenantSweeper } from './tenants/sweeper.ts';
import type { UserGuard } from './users/user-guard.ts';
import type { TenantRecord } from './tenants/store.ts';

export interface Env {
  CONFIG: KVNamespace;
  AUTH_REQUESTS: DurableObjectNamespace<AuthRequest>;
  DEVICE_INBOXES: DurableObjectNamespace<DeviceInbox>;
  REPLAY_GUARDS: DurableObjectNamespace<ReplayGuard>;
  TOKEN_GRANTS: DurableObjectNamespace<TokenGrant>;
  TENANT_SWEEPERS: DurableObjectNamespace<TenantSweeper>;
  USER_GUARDS: DurableObjectNamespace<UserGuard>;
  ADMIN_TOKEN?: string;
  KEY_ENCRYPTION_SECRET?: string;
  /** Set only while rotating KEY_ENCRYPTION_SECRET: the old value, still able to open what it sealed. */
  KEY_ENCRYPTION_SECRET_PREVIOUS?: string;
  ENVIRONMENT?: string;
  PUBLIC_ORIGIN?: string;
}

export interface Variables {
  tenantId: string;
  tenant: TenantRecord;
  issuer: string;
}

export type AppEnv = { Bindings: Env; Variables: Variables };

export const isDevelopment = (env: Env) => env.ENVIRONMENT === 'development';
