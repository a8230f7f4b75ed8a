// Nothing below a tenant's device page may be framed (issue 18): every answer, the pages, the list
// fragment with its forms, the script and every error, says so (RFC 7034; CSP Level 3 frame-ancestors).
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-env.ts';

const FRAME_ANCESTORS = "frame-ancestors 'none'";

// It runs before tenant resolution, so an unknown tenant's 404 is covered too: the error renderer
// (src/errors.ts) has turned any refusal below it into the response by the time next() returns.
export const refuseFraming = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  // A 101 hands the connection to a WebSocket (RFC 6455 §4.2.2): nothing is rendered to frame.
  if (c.res.status === 101) return;
  c.header('X-Frame-Options', 'DENY');
  const csp = c.res.headers.get('Content-Security-Policy');
  if (!csp) c.header('Content-Security-Policy', FRAME_ANCESTORS);
  else if (!/(^|;)\s*frame-ancestors\s/i.test(csp)) c.header('Content-Security-Policy', `${csp}; ${FRAME_ANCESTORS}`);
});
