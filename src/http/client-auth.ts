// Client authentication at every endpoint that authenticates clients (RFC 6749 §2.3.1, RFC 7523,
// OpenID Connect Core §9, RFC 8705 §2, docs/protocol.md §2): exactly one method, the one the client registered. Every
// failure is 401 invalid_client with WWW-Authenticate; jose's error codes, never its messages,
// decide what the description says.
import type { Context } from 'hono';
import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { AppEnv } from './app-env.ts';
import { invalidClient } from '../errors.ts';
import { assertionKeyOf } from '../clients/keys.ts';
import { describeJwtFailure } from '../lib/jwt-failure.ts';
import { getClient, type ClientRecord } from '../clients/store.ts';
import { presentedCertificate } from './client-cert.ts';
import { sameDn } from '../lib/x509.ts';
import type { ClientCertificate } from '../sender.ts';
import { constantTimeEqual, sha256 } from '../lib/crypto.ts';
import { CLOCK_SKEW_S } from '../lib/time.ts';
import { spendJti } from '../replay/guard.ts';
import { parseForm, type FormParams } from './form.ts';
import { ASYMMETRIC_ALGS, HMAC_ALGS, MTLS_AUTH_METHODS, type ClientAuthMethod } from '../vocabulary.ts';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** An assertion's `exp` may lie at most this far ahead (docs/protocol.md §2). */
export const MAX_ASSERTION_LIFETIME_S = 300;

interface BasicCredentials {
  clientId: string;
  secret: string;
}

const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));

/** Parses `Authorization: Basic`, whose parts are form-urlencoded (RFC 6749 §2.3.1). */
function parseBasic(header: string): BasicCredentials | undefined {
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) return undefined;
  try {
    const decoded = atob(match[1]!);
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    return clientId && secret ? { clientId, secret } : undefined;
  } catch {
    return undefined;
  }
}

/** What the request presents: a secret (Basic or form) or an assertion, and the client it names. */
type Presented =
  | { kind: 'secret'; method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { kind: 'assertion'; clientId: string; assertion: string }
  | { kind: 'certificate'; clientId: string };


/** Authenticates the calling client from the header and form; returns its record. */
export async function authenticateClient(c: Context<AppEnv>, form: FormParams): Promise<ClientRecord> {
  const realm = c.get('issuer');
  const fail = (description: string) => invalidClient(description, realm);
  const presented = presentedCredentials(c, form, fail);
  const client = await getClient(c.env, c.get('tenant'), presented.clientId);
  const registered = client?.metadata.token_endpoint_auth_method;
  if (presented.kind === 'certificate') {
    // A client_id alone is no credential but for a client that authenticates by its certificate.
    if (!client || !(MTLS_AUTH_METHODS as readonly unknown[]).includes(registered)) throw fail('Client authentication is required');
    checkCertificate(client, await presentedCertificate(c), fail);
    return client;
  }
  if (!client) throw fail('Client authentication failed');

  if (presented.kind === 'secret') {
    const matches = client.secretHash !== undefined && (await constantTimeEqual(await sha256(presented.secret), client.secretHash));
    if (!matches) throw fail('Client authentication failed');
    if (registered !== presented.method) throw fail(`This client authenticates with ${registered}`);
    return client;
  }
  if (registered !== 'client_secret_jwt' && registered !== 'private_key_jwt') {
    throw fail(`This client authenticates with ${registered}`);
  }
  await verifyAssertion(c, client, registered, presented.assertion, fail);
  return client;
}

/** Reads exactly one set of credentials from the request, and the client id they name. */
function presentedCredentials(c: Context<AppEnv>, form: FormParams, fail: (d: string) => Error): Presented {
  for (const name of ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type']) {
    if (form.isRepeated(name)) throw fail(`The ${name} parameter is given more than once`);
  }
  const header = c.req.header('Authorization');
  const basic = header === undefined ? undefined : parseBasic(header);
  if (header !== undefined && !basic) throw fail('The Authorization header is not valid HTTP Basic credentials');
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  const count = [basic, bodySecret, assertion].filter((v) => v !== undefined).length;
  if (count === 0) {
    // RFC 8705 §2: a client authenticating by its certificate names itself with client_id.
    if (bodyId === undefined || form.get('client_assertion_type') !== undefined) throw fail('Client authentication is required');
    return { kind: 'certificate', clientId: bodyId };
  }
  if (count > 1) throw fail('Credentials for more than one client authentication method were given');

  if (assertion !== undefined) {
    if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION) {
      throw fail(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    }
    let claims: JWTPayload;
    try {
      claims = decodeJwt(assertion);
    } catch {
      throw fail('The client assertion is not a JWT');
    }
    // RFC 7523 §3: the client is the assertion's subject (and issuer); a client_id, if sent, must agree.
    if (typeof claims.sub !== 'string' || claims.sub === '') throw fail('The client assertion has no sub');
    if (bodyId !== undefined && bodyId !== claims.sub) throw fail('client_id does not match the client assertion');
    return { kind: 'assertion', clientId: claims.sub, assertion };
  }
  if (form.get('client_assertion_type') !== undefined) throw fail('client_assertion_type was given without a client_assertion');
  if (basic) {
    if (bodyId !== undefined && bodyId !== basic.clientId) throw fail('client_id in the body does not match the Authorization header');
    return { kind: 'secret', method: 'client_secret_basic', clientId: basic.clientId, secret: basic.secret };
  }
  if (bodyId === undefined) throw fail('client_id is required');
  return { kind: 'secret', method: 'client_secret_post', clientId: bodyId, secret: bodySecret! };
}

/**
 * RFC 8705 §2.1: tls_client_auth takes a certificate the deployment's trust verified, naming what the
 * client registered (the subject DN compared as a DN, or one SAN of the kind, DNS names in any case).
 * RFC 8705 §2.2: self_signed_tls_client_auth takes a certificate that is the first of some registered
 * key's `x5c`, byte for byte (docs/protocol.md §10).
 */
function checkCertificate(client: ClientRecord, certificate: ClientCertificate | undefined, fail: (d: string) => Error): void {
  if (!certificate) throw fail('No client certificate was presented');
  const { metadata } = client;
  if (metadata.token_endpoint_auth_method === 'self_signed_tls_client_auth') {
    const presented = Array.from(certificate.der, (x) => String.fromCharCode(x)).join('');
    const registered = metadata.jwks?.keys.some((key) => {
      try {
        return atob((key.x5c as string[])[0]!) === presented;
      } catch {
        return false;
      }
    });
    if (!registered) throw fail('The certificate is not one this client registered');
    return;
  }
  if (!certificate.verified) throw fail('The certificate is not verified');
  const { san } = certificate;
  const { tls_client_auth_subject_dn: dn, tls_client_auth_san_dns: dns, tls_client_auth_san_uri: uri, tls_client_auth_san_email: email } = metadata;
  const matches =
    dn !== undefined ? sameDn(dn, certificate.subjectDn) : dns !== undefined ? san.dns.some((name) => name.toLowerCase() === dns.toLowerCase()) : san.uri.includes(uri!) || san.email.includes(email!);
  if (!matches) throw fail('The certificate does not match this client');
}

/** The fewest key octets each HMAC algorithm takes: its hash's size. */
const HMAC_KEY_OCTETS: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/**
 * RFC 7523 §3 and docs/protocol.md §2: `iss` = `sub` = client_id; `aud` the issuer, the token endpoint or
 * this endpoint; `exp` required, at most 5 minutes ahead; `iat` and `nbf` at most 60 s ahead; `jti`
 * required and never accepted twice while the assertion lives (spent once the signature verifies).
 */
async function verifyAssertion(
  c: Context<AppEnv>,
  client: ClientRecord,
  method: Extract<ClientAuthMethod, 'client_secret_jwt' | 'private_key_jwt'>,
  assertion: string,
  fail: (d: string) => Error,
): Promise<void> {
  const issuer = c.get('issuer');
  const registeredAlg = client.metadata.token_endpoint_auth_signing_alg;
  const algorithms = registeredAlg ? [registeredAlg] : [...(method === 'client_secret_jwt' ? HMAC_ALGS : ASYMMETRIC_ALGS)];
  const endpoint = `${issuer}${new URL(c.req.url).pathname.replace(/^\/[^/]+\/as/, '')}`;
  let key: Awaited<ReturnType<typeof assertionKeyOf>>;
  try {
    key = await assertionKeyOf(c.env, client);
  } catch (err) {
    throw fail(describeJwtFailure(err, 'client assertion', "the client's"));
  }
  if (key === undefined) throw fail('This client has no secret yet; the operator must issue one');
  let payload: JWTPayload;
  try {
    const options = {
      // OpenID Connect Core §16.19: an HMAC key has at least as many octets as its hash (a secret
      // issued before secrets grew to 512 bits serves HS256 only, until it is rotated).
      algorithms: key instanceof Uint8Array ? algorithms.filter((alg) => key.length >= HMAC_KEY_OCTETS[alg]!) : algorithms,
      issuer: client.clientId,
      subject: client.clientId,
      audience: [...new Set([issuer, `${issuer}/token`, endpoint])],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_SKEW_S,
    };
    ({ payload } = key instanceof Uint8Array ? await jwtVerify(assertion, key, options) : await jwtVerify(assertion, key, options));
  } catch (err) {
    throw fail(describeJwtFailure(err, 'client assertion', "the client's"));
  }
  const now = Math.floor(Date.now() / 1000);
  const { exp, iat, jti } = payload as { exp: number; iat?: number; jti: unknown };
  if (typeof jti !== 'string' || jti === '') throw fail("The client assertion's jti claim is not acceptable");
  // The clock tolerance covers skew on nbf; exp itself must still lie ahead, and not too far.
  if (exp <= now) throw fail('The client assertion has expired');
  if (exp > now + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S) throw fail('The client assertion lives longer than 5 minutes');
  if (iat !== undefined && iat > now + CLOCK_SKEW_S) throw fail("The client assertion's iat claim is in the future");
  const spent = await spendJti(c.env, client.tenantId, client.clientId, jti, exp * 1000);
  if (spent.status === 'replayed') throw fail('The client assertion was already used');
}

/**
 * The prelude of every client-authenticated form endpoint, in the order errors win (docs/protocol.md
 * §1): read the form (413), authenticate the client (401), then check the form is well formed.
 */
export async function readClientRequest(c: Context<AppEnv>): Promise<{ form: FormParams; client: ClientRecord }> {
  const form = await parseForm(c);
  const client = await authenticateClient(c, form);
  form.assertWellFormed();
  return { form, client };
}
