// The seam between the server and whatever asks the user (contract §5). A tenant's `authenticator`
// setting picks the implementation; an unknown one is a loud configuration error.
import type { Env } from '../env.ts';
import { OAuthError } from '../errors.ts';
import type { ClientRecord } from '../clients/store.ts';
import type { TenantRecord } from '../tenants/store.ts';
import { cancelBuiltin, startBuiltin } from './builtin.ts';

/** Everything an authenticator needs to identify the user and start asking them. */
export interface AuthenticationStart {
  tenant: TenantRecord;
  issuer: string;
  client: ClientRecord;
  requestId: string;
  callbackToken: string;
  /** The login_hint as given (id_token_hint and login_hint_token come in a later issue). */
  loginHint: string;
  scope: string;
  acrValues?: string[];
  bindingMessage?: string;
  userCode?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number;
}

/** The user the authenticator identified and is now asking. */
export interface AuthenticationStarted {
  sub: string;
  claims: Record<string, unknown>;
}

/** Withdraws a started authentication whose request could not be stored, so nothing is left behind. */
export async function cancelAuthentication(env: Env, start: AuthenticationStart, started: AuthenticationStarted): Promise<void> {
  if (start.tenant.settings.authenticator.type === 'builtin') await cancelBuiltin(env, start, started);
}

/** Identifies the user and starts asking them, or throws the refusal's OAuthError. */
export async function startAuthentication(env: Env, start: AuthenticationStart): Promise<AuthenticationStarted> {
  const authenticator = start.tenant.settings.authenticator;
  switch (authenticator.type) {
    case 'builtin':
      return startBuiltin(env, start);
    default:
      throw new OAuthError('server_error', 'The server is not configured', {
        cause: new Error(`tenant ${start.tenant.id} has an unknown authenticator`),
      });
  }
}
