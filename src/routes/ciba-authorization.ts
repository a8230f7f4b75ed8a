// POST /{tenant}/as/cibaAuthorization — the backchannel authentication endpoint (CIBA §7, contract §3).
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { invalidRequest, noStoreHeaders, unauthorizedClient } from '../errors.ts';
import { CIBA_GRANT_TYPE } from '../clients/store.ts';
import { authenticateClient } from '../http/client-auth.ts';
import { parseForm } from '../http/form.ts';
import { route } from '../http/route.ts';
import { openAuthRequest } from '../ciba/open-request.ts';
import {
  checkAcrValues,
  checkBindingMessage,
  checkClientNotificationToken,
  checkHint,
  checkRequestedExpiry,
  checkScope,
  checkUserCodePresence,
} from '../ciba/checks.ts';

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
    const mode = client.metadata.backchannel_token_delivery_mode;
    const notificationToken = checkClientNotificationToken(form.get('client_notification_token'), mode);
    const bindingMessage = checkBindingMessage(form.get('binding_message'));
    const userCode = checkUserCodePresence(
      form.get('user_code'),
      settings.backchannel_user_code_parameter_supported && client.metadata.backchannel_user_code_parameter,
    );
    const ttl = checkRequestedExpiry(form.get('requested_expiry'), settings.auth_req_ttl, settings.max_auth_req_ttl);
    const acrValues = checkAcrValues(form.get('acr_values'));

    const { authReqId } = await openAuthRequest(c.env, {
      tenant,
      issuer: c.get('issuer'),
      client,
      loginHint: hint.value,
      scope: scopes.join(' '),
      ...(acrValues ? { acrValues } : {}),
      ...(bindingMessage !== undefined ? { bindingMessage } : {}),
      ...(userCode !== undefined ? { userCode } : {}),
      ttl,
      ...(mode !== 'poll' && notificationToken !== undefined ? { notificationToken } : {}),
    });

    return c.json(
      // CIBA §7.3: a push client never polls, so it gets no interval.
      mode === 'push'
        ? { auth_req_id: authReqId, expires_in: ttl }
        : { auth_req_id: authReqId, expires_in: ttl, interval: settings.poll_interval },
      200,
      noStoreHeaders,
    );
  },
});
