// The seam between the server and whatever asks the user (docs/protocol.md §5): the interface alone. The
// implementations live beside it and the registry (index.ts) picks one by the tenant's setting.
import type { Env } from '../env.ts';
import type { ClientRecord } from '../clients/store.ts';
import type { TenantRecord } from '../tenants/store.ts';
import type { UserHint } from '../users/hints.ts';
import type { Consent } from '../consent.ts';

/** Everything an authenticator needs to identify the user and ask them. */
export interface AuthenticationStart {
  tenant: TenantRecord;
  issuer: string;
  client: ClientRecord;
  requestId: string;
  callbackToken: string;
  /** Whom the request names: a login_hint as given, or what a verified id_token_hint or login_hint_token holds. */
  hint: UserHint;
  userCode?: string;
  /** What the user is asked to consent to, shown to them before they decide, with its display hash (docs/protocol.md §8). */
  consent: Consent;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number;
}

/** The user the authenticator identified. */
export interface IdentifiedUser {
  sub: string;
  claims: Record<string, unknown>;
  /** The directory record's incarnation, when the user comes from the directory (see users/store.ts). */
  incarnation?: string;
}

/**
 * How a request reaches the user, in the order opening a request calls it (ciba/open-request.ts):
 * identify, then (once the request is stored) present, and cancel when opening fails after that.
 * An authenticator that learns who the user is only by asking (the webhook) identifies no one and
 * returns the user from present instead. Deleting a user or a tenant asks the tenant's
 * authenticator to forget the user.
 */
export interface Authenticator {
  /**
   * Finds the user and checks what must hold before they are asked, touching no device; undefined
   * when only asking will tell. Throws the refusal's OAuthError.
   */
  identify(env: Env, start: AuthenticationStart): Promise<IdentifiedUser | undefined>;
  /**
   * Shows the stored request to the user, who may decide at once. Returns the user when identify
   * could not; throws the refusal's OAuthError, having left nothing on the user's device.
   */
  present(env: Env, start: AuthenticationStart, user: IdentifiedUser | undefined): Promise<IdentifiedUser | undefined>;
  /** Takes the request back from the user's device: it will never be honoured. */
  cancel(env: Env, tenant: TenantRecord, request: { requestId: string; sub?: string }): Promise<void>;
  /** Forgets everything held for the user, so a later user with the same sub inherits nothing. */
  forgetUser(env: Env, tenant: TenantRecord, sub: string): Promise<void>;
}
