// POST /{tenant}/as/cibaAuthorization — the backchannel authentication endpoint (CIBA §7, docs/protocol.md §3).
import { Hono } from '../http/hono.ts';
import type { AppEnv } from '../http/app-env.ts';
import { invalidRequest, noStoreHeaders, unauthorizedClient } from '../errors.ts';
import { readClientRequest } from '../http/client-auth.ts';
import { route } from '../http/route.ts';
import { openAuthRequest } from '../ciba/open-request.ts';
import { checkAcrValues, checkAuthorizationDetails, checkBindingMessage, checkClientNotificationToken, checkRequestedExpiry, checkResource, checkScope, checkUserCodePresence } from '../ciba/checks.ts';
import { pickHint, verifyHint } from '../ciba/hints.ts';
import { assertOnlyClientAuthentication, paramsFromClaims, paramsFromForm, type BackchannelParams } from '../ciba/params.ts';
import { verifyRequestObject } from '../ciba/request-object.ts';
import { CIBA_GRANT_TYPE } from '../vocabulary.ts';

export const cibaAuthorization = new Hono<AppEnv>();

route(cibaAuthorization, '/', {
  POST: async (c) => {
    const { form, client } = await readClientRequest(c);
    const tenant = c.get('tenant');
    const issuer = c.get('issuer');
    const { settings } = tenant;
    // docs/protocol.md §10: FAPI-CIBA §5.2.2 asks for signed requests and a binding_message.
    const fapi = settings.profile === 'fapi-ciba';

    if (!client.metadata.grant_types.includes(CIBA_GRANT_TYPE)) {
      throw unauthorizedClient('This client may not use CIBA');
    }
    if (form.getAll('request_uri').length > 0) throw invalidRequest('request_uri is not supported; send the request object as request');
    // CIBA §7.1.1: a signed request carries every parameter; a client that registered an algorithm must sign.
    const requestObject = form.get('request');
    let params: BackchannelParams;
    if (requestObject !== undefined) {
      assertOnlyClientAuthentication(form);
      params = paramsFromClaims(await verifyRequestObject(c.env, client, issuer, requestObject));
    } else if (fapi || client.metadata.backchannel_authentication_request_signing_alg !== undefined) {
      throw invalidRequest('This client must send its authentication request as a signed request object');
    } else {
      params = paramsFromForm(form);
    }

    const scopes = checkScope(params.scope, settings.scopes, client.metadata.scope?.split(' '));
    const givenHint = pickHint(params);
    const mode = client.metadata.backchannel_token_delivery_mode;
    const notificationToken = checkClientNotificationToken(params.client_notification_token, mode);
    const bindingMessage = checkBindingMessage(params.binding_message, fapi);
    const userCode = checkUserCodePresence(
      params.user_code,
      settings.backchannel_user_code_parameter_supported && client.metadata.backchannel_user_code_parameter,
    );
    const ttl = checkRequestedExpiry(params.requested_expiry, settings.auth_req_ttl, settings.max_auth_req_ttl);
    // Under fapi-ciba the ID token must carry acr: ask only for one the tenant can achieve.
    const achievable = fapi ? [...(settings.acr_values_supported ?? []), ...Object.values(settings.acr_by_method ?? {})] : undefined;
    const acrValues = checkAcrValues(params.acr_values, achievable);
    const resource = checkResource(params.resource, settings.resources);
    const authorizationDetails = checkAuthorizationDetails(
      params.authorization_details,
      settings.authorization_details_types_supported,
      client.metadata.authorization_details_types,
    );
    // A signed hint is verified last: it may fetch keys, and a request refused earlier costs nothing.
    const hint = await verifyHint({ env: c.env, tenant, issuer, client }, givenHint);

    const { authReqId } = await openAuthRequest(c.env, {
      tenant,
      issuer,
      client,
      hint,
      ...(userCode !== undefined ? { userCode } : {}),
      consent: {
        scope: scopes.join(' '),
        ...(resource ? { resource } : {}),
        ...(authorizationDetails ? { authorizationDetails } : {}),
        ...(bindingMessage !== undefined ? { bindingMessage } : {}),
        ...(acrValues ? { acrValues } : {}),
      },
      ttl,
      ...(mode !== 'poll' && notificationToken !== undefined ? { notificationToken } : {}),
    }, (promise) => c.executionCtx.waitUntil(promise));

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
