// auth_req_id and callback token: each is base64url(request id ‖ secret), so either one leads to
// the request's Durable Object while only its hash is stored there. The request id is public (the
// authenticator and operators see it); the secret half is 192 CSPRNG bits.
import { base64url, fromBase64url } from '../lib/encoding.ts';
import { randomBytes } from '../lib/crypto.ts';
import { idOfHandle, mintHandle } from '../lib/handles.ts';
import { namespaceOf, type Env } from '../env.ts';
import { placed, type TenantPlace } from '../tenants/ref.ts';
import type { AuthRequest } from './auth-request.ts';

const REQUEST_ID_BYTES = 16;
const SECRET_BYTES = 24;

export interface RequestCredentials {
  requestId: string;
  /** The RP's secret handle (CIBA §7.3): 320 CSPRNG bits, base64url. */
  authReqId: string;
  /** The authenticator's bearer token for the decision callback. */
  callbackToken: string;
}

/** Mints a fresh request id with its auth_req_id and callback token. */
export function mintRequestCredentials(): RequestCredentials {
  const id = randomBytes(REQUEST_ID_BYTES);
  return {
    requestId: base64url(id),
    authReqId: mintHandle(id, SECRET_BYTES),
    callbackToken: mintHandle(id, SECRET_BYTES),
  };
}

/** The request id inside an auth_req_id or callback token, or undefined when it is malformed. */
export const requestIdOf = (token: string): string | undefined => idOfHandle(token, REQUEST_ID_BYTES, SECRET_BYTES);

export const isRequestId = (value: string): boolean => {
  const bytes = /^[A-Za-z0-9_-]{22}$/.test(value) ? fromBase64url(value) : undefined;
  return bytes?.length === REQUEST_ID_BYTES;
};

/** The Durable Object that holds a tenant's request, in the tenant's jurisdiction. */
export function authRequestStub(env: Env, tenant: TenantPlace, requestId: string) {
  const namespace = placed(env.ENVIRONMENT, namespaceOf<AuthRequest>(env.AUTH_REQUESTS), tenant);
  return namespace.get(namespace.idFromName(`${tenant.id}/${requestId}`));
}
