// What a caller proves it holds beside its token or credentials, and what a token is bound to
// (docs/protocol.md §9): a DPoP proof's key (RFC 9449) and the mutual-TLS connection's certificate
// (RFC 8705), each named once and carried whole from the HTTP edge to the grant and its tokens.
// Types only.

/** A DPoP proof that passed every check (RFC 9449 §4.3): the thumbprint of the key that signed it. */
export interface DpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key, base64url. */
  jkt: string;
}

/** The client certificate of the connection (RFC 8705 §2), as the deployment's mTLS handed it over. */
export interface ClientCertificate {
  /** The certificate's DER. */
  der: Uint8Array;
  /** base64url(SHA-256(DER)): RFC 8705 §3.1's `x5t#S256`. */
  thumbprint: string;
  /** Did the deployment's mTLS trust verify its chain (tls_client_auth needs this; self-signed ones never are)? */
  verified: boolean;
  /** The subject's distinguished name, RFC 4514 string form. */
  subjectDn: string;
  /** The subject alternative names (RFC 5280 §4.2.1.6) RFC 8705 §2.1.2 matches on. */
  san: { dns: string[]; uri: string[]; email: string[] };
}

/** What the caller of a token request or a protected resource proves it holds. */
export interface Sender {
  dpop?: DpopProof;
  certificate?: ClientCertificate;
}

/** RFC 7800 `cnf`: what an access token is bound to, a DPoP key (RFC 9449 §6) or a certificate (RFC 8705 §3.1). */
export type Confirmation = { jkt: string } | { 'x5t#S256': string };
