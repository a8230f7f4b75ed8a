// Whether a grant stands beyond its own object: its directory user and its client are still the ones
// it was opened for, not deleted and not re-created under the same sub or client_id (docs/storage.md,
// incarnations). Introspection, userinfo and the refresh grant all ask this one check.
import type { Env } from '../env.ts';
import { getClient, type ClientRecord } from '../clients/store.ts';
import type { TenantRef } from '../tenants/ref.ts';
import { getUser, type UserRecord } from '../users/store.ts';
import type { GrantState } from './family-state.ts';

/** What a standing grant's tokens are still good for: its client, and its directory user when it has one. */
export interface Standing {
  client: ClientRecord;
  user?: UserRecord;
}

/**
 * The grant's client and user when both are still the ones it was opened for, else undefined: a
 * token of a deleted user or client is no longer active (RFC 7662 §2.2), is refused at userinfo
 * (OpenID Connect Core §5.3.3) and refreshes nothing (RFC 6749 §6). A grant of a user the webhook
 * authenticator keeps (no `userIncarnation`) has no directory user to check. `client` is the
 * caller's own record when it is the grant's client (the refresh grant), saving a read.
 */
export async function grantStanding(
  env: Env,
  tenant: TenantRef,
  grant: Pick<GrantState, 'clientId' | 'clientIncarnation' | 'sub' | 'userIncarnation'>,
  client?: ClientRecord,
): Promise<Standing | undefined> {
  const [current, user] = await Promise.all([
    client?.clientId === grant.clientId ? client : getClient(env, tenant, grant.clientId),
    grant.userIncarnation === undefined ? undefined : getUser(env, tenant, grant.sub),
  ]);
  if (!current) return undefined;
  // A grant opened before clients had incarnations is held to its client_id only.
  if (grant.clientIncarnation !== undefined && current.incarnation !== grant.clientIncarnation) return undefined;
  if (grant.userIncarnation === undefined) return { client: current };
  if (!user || user.incarnation !== grant.userIncarnation) return undefined;
  return { client: current, user };
}
