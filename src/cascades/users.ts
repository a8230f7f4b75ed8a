// Deleting a user, across stores: the directory forgets the record and its login hints, and the
// tenant's authenticator forgets what it holds for the user (the built-in one, its device inbox).
import type { Env } from '../env.ts';
import { authenticatorFor } from '../authenticators/index.ts';
import type { TenantRecord } from '../tenants/store.ts';
import { deleteUser } from '../users/store.ts';

/** Deletes a user; false when there was none. A later user with the same sub inherits nothing. */
export async function removeUser(env: Env, tenant: TenantRecord, sub: string): Promise<boolean> {
  if (!(await deleteUser(env, tenant, sub))) return false;
  await authenticatorFor(tenant).forgetUser(env, tenant, sub);
  return true;
}
