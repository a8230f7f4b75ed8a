// Deleting a user, across stores: the directory forgets the record and its login hints, and every
// authenticator forgets what it holds for the user (the built-in one, its device inbox).
import type { Env } from '../env.ts';
import { everyAuthenticator } from '../authenticators/index.ts';
import { deleteUser } from './store.ts';

/** Deletes a user; false when there was none. A later user with the same sub inherits nothing. */
export async function removeUser(env: Env, tenantId: string, sub: string): Promise<boolean> {
  if (!(await deleteUser(env, tenantId, sub))) return false;
  await Promise.all(everyAuthenticator().map((a) => a.forgetUser(env, tenantId, sub)));
  return true;
}
