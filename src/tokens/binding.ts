// What a token request's access tokens are bound to (docs/protocol.md §9): the key of its DPoP proof
// (RFC 9449 §5), else, for a client registered for it, the certificate of its mutual-TLS connection
// (RFC 8705 §3); else nothing, a bearer token. Decided before an approval is consumed or a refresh
// token spent, so a refusal here costs the client nothing.
import type { ClientRecord } from '../clients/store.ts';
import { invalidClient, invalidDpopProof } from '../errors.ts';
import type { Confirmation, Sender } from '../sender.ts';

export function confirmationFor(client: ClientRecord, sender: Sender, realm: string): Confirmation | undefined {
  const { metadata } = client;
  if (sender.dpop) return { jkt: sender.dpop.jkt };
  if (metadata.dpop_bound_access_tokens) throw invalidDpopProof('This client must send a DPoP proof with every token request');
  if (metadata.tls_client_certificate_bound_access_tokens) {
    // RFC 8705 §3: the token is bound to the certificate the client presents now.
    if (!sender.certificate) throw invalidClient('This client must present its certificate over mutual TLS', realm);
    return { 'x5t#S256': sender.certificate.thumbprint };
  }
  return undefined;
}
