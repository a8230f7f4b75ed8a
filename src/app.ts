// The Hono app: mounts one sub-app per endpoint under its tenant, the admin API, and the single
// error exit. Every response that is not a success is an RFC 6749 §5.2 JSON body.
import { Hono } from './http/hono.ts';
import type { AppEnv } from './http/app-env.ts';
import { notFound, renderError } from './errors.ts';
import { refuseFraming } from './middleware/refuse-framing.ts';
import { resolveTenant } from './middleware/tenant.ts';
import { cibaAuthorization } from './routes/ciba-authorization.ts';
import { cibaCallback } from './routes/ciba-callback.ts';
import { cibaCancel } from './routes/ciba-cancel.ts';
import { device } from './routes/device/index.ts';
import { discovery } from './routes/discovery.ts';
import { jwks } from './routes/jwks.ts';
import { token } from './routes/token.ts';
import { introspect } from './routes/introspect.ts';
import { revoke } from './routes/revoke.ts';
import { userinfo } from './routes/userinfo.ts';
import { requireAdmin } from './middleware/admin-auth.ts';
import { clients } from './routes/admin/clients.ts';
import { devSeed } from './routes/admin/dev-seed.ts';
import { requests } from './routes/admin/requests.ts';
import { tenants } from './routes/admin/tenants.ts';
import { users } from './routes/admin/users.ts';
import { ENDPOINTS } from './vocabulary.ts';

export const app = new Hono<AppEnv>({ strict: true });

app.onError(renderError);
app.notFound(() => {
  throw notFound('No such endpoint');
});

app.use('/admin/*', requireAdmin);
app.use('/admin', requireAdmin);
app.route('/admin/tenants', tenants);
app.route('/admin/tenants', clients);
app.route('/admin/tenants', users);
app.route('/admin/tenants', requests);
app.route('/admin/dev', devSeed);

app.use('/:tenant/as/*', resolveTenant);
// The wildcard covers the page itself and every path below it, so no device path runs without its
// tenant, and no answer there (an unknown tenant's 404 included) can be framed.
app.use('/:tenant/device/*', refuseFraming);
app.use('/:tenant/device/*', resolveTenant);
const issuerPath = '/:tenant/as';
app.route(issuerPath + ENDPOINTS.discovery, discovery);
app.route(issuerPath + ENDPOINTS.jwks, jwks);
app.route(issuerPath + ENDPOINTS.backchannelAuthentication, cibaAuthorization);
app.route(issuerPath + ENDPOINTS.token, token);
app.route(issuerPath + ENDPOINTS.userinfo, userinfo);
app.route(issuerPath + ENDPOINTS.introspection, introspect);
app.route(issuerPath + ENDPOINTS.revocation, revoke);
app.route(issuerPath + ENDPOINTS.callback, cibaCallback);
app.route(issuerPath + ENDPOINTS.cancel, cibaCancel);
app.route('/:tenant/device', device);
