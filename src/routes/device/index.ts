// /{tenant}/device: the built-in authenticator's device page (docs/protocol.md §9), its paths in one
// table. Off unless the tenant uses the built-in authenticator and enables it (`device_page`).
// Outside development the user signs in with a link from the operator and holds a session cookie
// (session.ts); in development the login-hint shortcut stays, marked as such.
import { notFound } from '../../errors.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { Hono } from '../../http/hono.ts';
import { route } from '../../http/route.ts';
import { decide } from './decision.ts';
import { openLive, serveScript, showList, showPage } from './page.ts';
import { showLink, signIn } from './session.ts';

export const device = new Hono<AppEnv>();

device.use('*', async (c, next) => {
  const { settings } = c.get('tenant');
  if (settings.authenticator.type !== 'builtin' || settings.device_page !== true) throw notFound('This tenant has no device page');
  await next();
});

route(device, '/', { GET: showPage, POST: decide });
route(device, '/list', { GET: showList });
route(device, '/live', { GET: openLive });
route(device, '/app.js', { GET: serveScript });
route(device, '/session', { GET: showLink, POST: signIn });
