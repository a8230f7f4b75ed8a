// GET /{tenant}/as/.well-known/openid-configuration (OpenID Connect Discovery 1.0 §3, CIBA §4):
// exactly what is built, nothing more.
import { Hono } from '../http/hono.ts';
import type { AppEnv } from '../http/app-env.ts';
import { route } from '../http/route.ts';
import { REQUEST_OBJECT_ALGS } from '../ciba/request-object.ts';
import { getKeySet, signingAlgsOf } from '../keys/store.ts';
import { CLAIMS_BY_SCOPE } from '../tokens/claims.ts';
import { FAPI_AUTH_METHODS } from '../clients/profile.ts';
import {
  ENDPOINTS,
  ASYMMETRIC_ALGS,
  DPOP_ALGS,
  FAPI_ALGS,
  HMAC_ALGS,
  SUPPORTED_GRANT_TYPES,
  SUPPORTED_AUTH_METHODS,
  SUPPORTED_DELIVERY_MODES,
} from '../vocabulary.ts';

export const discovery = new Hono<AppEnv>();

route(discovery, '/', {
  GET: async (c) => {
    const issuer = c.get('issuer');
    const tenant = c.get('tenant');
    const { settings } = tenant;
    const algs = signingAlgsOf(await getKeySet(c.env, tenant), Date.now());
    // docs/protocol.md §10: a fapi-ciba tenant lists only what the profile allows.
    const fapi = settings.profile === 'fapi-ciba';
    const authMethods = fapi ? FAPI_AUTH_METHODS : SUPPORTED_AUTH_METHODS;
    const authAlgs = fapi ? FAPI_ALGS : [...HMAC_ALGS, ...ASYMMETRIC_ALGS];
    return c.json(
      {
        issuer,
        jwks_uri: issuer + ENDPOINTS.jwks,
        token_endpoint: issuer + ENDPOINTS.token,
        backchannel_authentication_endpoint: issuer + ENDPOINTS.backchannelAuthentication,
        userinfo_endpoint: issuer + ENDPOINTS.userinfo,
        introspection_endpoint: issuer + ENDPOINTS.introspection,
        revocation_endpoint: issuer + ENDPOINTS.revocation,
        scopes_supported: settings.scopes,
        response_types_supported: [],
        grant_types_supported: SUPPORTED_GRANT_TYPES,
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: algs.length > 0 ? algs : [settings.signing_alg],
        token_endpoint_auth_methods_supported: authMethods,
        token_endpoint_auth_signing_alg_values_supported: authAlgs,
        introspection_endpoint_auth_methods_supported: authMethods,
        introspection_endpoint_auth_signing_alg_values_supported: authAlgs,
        revocation_endpoint_auth_methods_supported: authMethods,
        revocation_endpoint_auth_signing_alg_values_supported: authAlgs,
        // RFC 8705 §3.3: access tokens bound to the client's certificate (docs/protocol.md §10).
        tls_client_certificate_bound_access_tokens: true,
        claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', ...Object.values(CLAIMS_BY_SCOPE).flat()],
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        backchannel_token_delivery_modes_supported: fapi ? ['poll', 'ping'] : SUPPORTED_DELIVERY_MODES,
        backchannel_user_code_parameter_supported: settings.backchannel_user_code_parameter_supported,
        backchannel_authentication_request_signing_alg_values_supported: fapi ? FAPI_ALGS : REQUEST_OBJECT_ALGS,
        backchannel_authentication_endpoint_auth_methods_supported: authMethods,
        // RFC 9449 §5.1.
        dpop_signing_alg_values_supported: fapi ? FAPI_ALGS : DPOP_ALGS,
        // docs/protocol.md §8: what goes beyond CIBA.
        backchannel_long_poll_supported: true,
        backchannel_authentication_cancel_endpoint: issuer + ENDPOINTS.cancel,
        ...(settings.authorization_details_types_supported.length > 0
          ? { authorization_details_types_supported: settings.authorization_details_types_supported }
          : {}),
        ...(settings.acr_values_supported?.length ? { acr_values_supported: settings.acr_values_supported } : {}),
      },
      200,
      { 'Cache-Control': 'public, max-age=300' },
    );
  },
});
