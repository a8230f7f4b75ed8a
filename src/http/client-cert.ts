// The client certificate of a mutual-TLS connection (RFC 8705 §2; docs/protocol.md §10, docs/operations.md
// "Mutual TLS"): from Cloudflare's `request.cf.tlsClientAuth` on a zone with mTLS; else, only where
// the deployment says a proxy in front sets it (`CLIENT_CERT_HEADER=rfc9440`, or in development), from
// the RFC 9440 `Client-Cert` header, then taken as verified. Read once per request.
import type { Context } from 'hono';
import type { AppEnv } from './app-env.ts';
import { isDevelopment, type Env } from '../env.ts';
import { base64url } from '../lib/encoding.ts';
import { readCertificate } from '../lib/x509.ts';
import type { ClientCertificate } from '../sender.ts';

const seen = new WeakMap<Request, Promise<ClientCertificate | undefined>>();

/** The connection's client certificate, or undefined when none (or none that parses) was presented. */
export function presentedCertificate(c: Context<AppEnv>): Promise<ClientCertificate | undefined> {
  const request = c.req.raw;
  let certificate = seen.get(request);
  if (!certificate) seen.set(request, (certificate = readPresented(c.env, request)));
  return certificate;
}

async function readPresented(env: Env, request: Request): Promise<ClientCertificate | undefined> {
  const auth = request.cf?.tlsClientAuth as IncomingRequestCfPropertiesTLSClientAuth | undefined;
  let field: string | null | undefined;
  let verified = true;
  if (auth?.certPresented === '1') {
    field = auth.certRFC9440;
    // Cloudflare verifies against the zone's client CA; a revoked certificate still says SUCCESS.
    verified = auth.certVerified === 'SUCCESS' && auth.certRevoked !== '1';
  } else if (isDevelopment(env) || env.CLIENT_CERT_HEADER === 'rfc9440') {
    field = request.headers.get('Client-Cert');
  }
  // RFC 9440 §2.2: the DER as an RFC 8941 §3.3.5 byte sequence, `:base64:`.
  const match = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(field?.trim() ?? '');
  if (!match) return undefined;
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(match[1]!), (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
  const names = readCertificate(der);
  if (!names) return undefined;
  const thumbprint = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', der)));
  return { der, thumbprint, verified, ...names };
}
