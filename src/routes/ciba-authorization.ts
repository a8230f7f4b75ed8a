// POST /{tenant}/as/cibaAuthorization — the backchannel authentication endpoint (CIBA §7, contract §3).
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { invalidRequest, noStoreHeaders, serverError, unauthorizedClient } from '../errors.ts';
import { CIBA_GRANT_TYPE } from '../clients/store.ts';
import { authenticateClient } from '../middleware/client-auth.ts';
import { parseForm } from '../middleware/form.ts';
import { route } from '../middleware/methods.ts';
import { cancelAuthentication, startAuthentication, type AuthenticationStart } from '../authenticators/authenticator.ts';
import { authRequestStub, mintRequestCredentials } from '../ciba/auth-req-id.ts';
import type { CreateOutcome } from '../ciba/auth-request.ts';
import type { AuthRequestState } from '../ciba/state.ts';
import {
  checkAcrValues,
  checkBindingMessage,
  checkClientNotificationToken,
  checkHint,
  checkRequestedExpiry,
  checkScope,
  checkUserCodePresence,
} from '../ciba/checks.ts';
import { sha256 } from '../lib/crypto.ts';

/** Parameters this endpoint does not take yet; refusing them beats silently ignoring them. */
const NOT_YET = ['request', 'request_uri', 'resource', 'authorization_details'];

export const cibaAuthorization = new Hono<AppEnv>();

route(cibaAuthorization, '/', {
  POST: async (c) => {
    const form = await parseForm(c);
    const client = await authenticateClient(c, form);
    form.assertWellFormed();
    const tenant = c.get('tenant');
    const { settings } = tenant;

    if (!client.metadata.grant_types.includes(CIBA_GRANT_TYPE)) {
      throw unauthorizedClient('This client may not use CIBA');
    }
    const unsupported = NOT_YET.find((name) => form.getAll(name).length > 0);
    if (unsupported) throw invalidRequest(`The ${unsupported} parameter is not supported yet`);
    const scopes = checkScope(form.get('scope'), settings.scopes, client.metadata.scope?.split(' '));
    const hint = checkHint(form);
    if (hint.kind !== 'login_hint') throw invalidRequest(`${hint.kind} is not supported yet; use login_hint`);
    checkClientNotificationToken(form.get('client_notification_token'), client.metadata.backchannel_token_delivery_mode);
    const bindingMessage = checkBindingMessage(form.get('binding_message'));
    const userCode = checkUserCodePresence(
      form.get('user_code'),
      settings.backchannel_user_code_parameter_supported && client.metadata.backchannel_user_code_parameter,
    );
    const ttl = checkRequestedExpiry(form.get('requested_expiry'), settings.auth_req_ttl, settings.max_auth_req_ttl);
    const acrValues = checkAcrValues(form.get('acr_values'));

    const credentials = mintRequestCredentials();
    const createdAt = Date.now();
    const expiresAt = createdAt + ttl * 1000;
    const scope = scopes.join(' ');
    const start: AuthenticationStart = {
      tenant,
      issuer: c.get('issuer'),
      client,
      requestId: credentials.requestId,
      callbackToken: credentials.callbackToken,
      loginHint: hint.value,
      scope,
      ...(acrValues ? { acrValues } : {}),
      ...(bindingMessage !== undefined ? { bindingMessage } : {}),
      ...(userCode !== undefined ? { userCode } : {}),
      createdAt,
      expiresAt,
    };
    const started = await startAuthentication(c.env, start);

    const [authReqIdHash, callbackTokenHash] = await Promise.all([
      sha256(credentials.authReqId),
      sha256(credentials.callbackToken),
    ]);
    const state: AuthRequestState = {
      tenantId: tenant.id,
      requestId: credentials.requestId,
      clientId: client.clientId,
      authReqIdHash,
      callbackTokenHash,
      sub: started.sub,
      scope,
      ...(acrValues ? { acrValues } : {}),
      ...(bindingMessage !== undefined ? { bindingMessage } : {}),
      createdAt,
      expiresAt,
      interval: settings.poll_interval,
      status: 'pending',
      timeline: [
        { at: createdAt, event: 'authenticator_asked', detail: { authenticator: settings.authenticator.type } },
        { at: Date.now(), event: 'authenticator_answered', detail: { result: 'started' } },
      ],
    };
    let stored: CreateOutcome | undefined;
    try {
      stored = await authRequestStub(c.env, tenant.id, credentials.requestId).create(state);
    } finally {
      // The user is being asked about a request that does not exist: withdraw it.
      if (stored?.status !== 'created') await cancelAuthentication(c.env, start, started);
    }
    if (stored.status !== 'created') throw serverError(new Error('auth request id collision'));

    return c.json(
      { auth_req_id: credentials.authReqId, expires_in: ttl, interval: settings.poll_interval },
      200,
      noStoreHeaders,
    );
  },
});
