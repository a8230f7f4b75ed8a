// The contract every grant type plugs in through (docs/architecture.md, principles): a plain context in, a token
// response out. No HTTP here; routes/token.ts renders the answer and every refusal is an OAuthError.
import type { Env } from '../env.ts';
import { invalidGrant } from '../errors.ts';
import type { ClientRecord } from '../clients/store.ts';
import type { FormParams } from '../http/form.ts';
import type { TenantRecord } from '../tenants/store.ts';
import type { TokenResponse } from '../tokens/token-response.ts';
import type { Sender } from '../sender.ts';

/** What a grant needs to know of the request: the tenant, its issuer, the authenticated client, the form, what the sender proves. */
export interface GrantContext {
  env: Env;
  tenant: TenantRecord;
  issuer: string;
  client: ClientRecord;
  form: FormParams;
  /** The DPoP proof and client certificate the request came with (docs/protocol.md §9). */
  sender: Sender;
}

export interface Grant {
  grantType: string;
  /** Handles a well-formed request from an authenticated client allowed to use this grant. */
  handle(context: GrantContext): Promise<TokenResponse>;
}

/**
 * One answer for every refused auth_req_id or refresh token, so none reveals whether it exists
 * (docs/protocol.md §4): `description` goes to the client, the reason only to the log.
 */
export const grantRefusal =
  ({ tenant, client }: Pick<GrantContext, 'tenant' | 'client'>, description: string) =>
  (reason: string) => {
    console.log(JSON.stringify({ event: 'invalid_grant', tenant: tenant.id, client_id: client.clientId, reason }));
    return invalidGrant(description);
  };
