// The client certificate of a mutual-TLS connection (RFC 8705 §2; docs/protocol.md §9): from
// Cloudflare's `request.cf.tlsClientAuth` on a zone with mTLS, or from an RFC 9440 `Client-Cert`
// header where the deployment allows it. Issue 20 fills this in; until then no certificate is seen.
import type { Context } from 'hono';
import type { AppEnv } from './app-env.ts';
import type { ClientCertificate } from '../sender.ts';

/** The connection's client certificate, or undefined when none was presented. */
export async function presentedCertificate(_c: Context<AppEnv>): Promise<ClientCertificate | undefined> {
  return undefined;
}
