// The built-in authenticator: users from the tenant's directory, asked on the device page through
// their device inbox (docs/protocol.md §5).
import type { Env } from '../env.ts';
import { invalidUserCode } from '../errors.ts';
import { displayName } from '../clients/store.ts';
import { resolveUserHint } from '../users/hints.ts';
import { isUserCode } from '../users/store.ts';
import { userGuardStub } from '../users/user-guard.ts';
import type { AuthenticationStart, Authenticator, IdentifiedUser } from './authenticator.ts';
import { deviceInboxStub } from './device-inbox.ts';

export const builtin: Authenticator = {
  async identify(env: Env, start: AuthenticationStart): Promise<IdentifiedUser> {
    const user = await resolveUserHint(env, start.tenant, start.issuer, start.hint);
    if (start.userCode !== undefined) {
      const matches = await isUserCode(env, start.tenant.id, start.userCode, user);
      // Every attempt is counted for the user, so a code cannot be guessed (users/user-guard.ts).
      const verdict = await userGuardStub(env, start.tenant, user).userCodeAttempt(matches);
      if (verdict.locked && !matches) {
        console.log(JSON.stringify({ event: 'user_code_locked', tenant: start.tenant.id, sub: user.sub }));
      }
      if (!verdict.accepted) throw invalidUserCode('The user_code is not correct');
    }
    return { sub: user.sub, claims: user.claims, incarnation: user.incarnation };
  },

  async present(env, start, user) {
    if (!user) throw new Error('the built-in authenticator identifies before it presents');
    const inbox = deviceInboxStub(env, start.tenant, user.sub);
    const entry = {
      requestId: start.requestId,
      clientId: start.client.clientId,
      clientName: displayName(start.client),
      consent: start.consent,
      createdAt: start.createdAt,
      expiresAt: start.expiresAt,
      callbackToken: start.callbackToken,
    };
    try {
      await inbox.add(entry);
    } catch (err) {
      // The entry may have been written before the failure: the user must never see it.
      await inbox.remove(start.requestId).catch(() => undefined);
      throw err;
    }
    return user;
  },

  async cancel(env, tenant, { requestId, sub }) {
    if (sub !== undefined) await deviceInboxStub(env, tenant, sub).remove(requestId);
  },

  async forgetUser(env, tenant, sub) {
    await deviceInboxStub(env, tenant, sub).clear();
  },
};
