// What-you-see binding (docs/protocol.md §8): the digest of what the user is shown before deciding, so an
// approval can prove it was given for exactly that. base64url(SHA-256) of the JSON
// {"binding_message", "authorization_details", "client_name", "scope"}, members in that order, an
// absent one null. The webhook payload carries it; an approval that echoes it must match.
import { base64url, utf8 } from '../lib/encoding.ts';
import type { Consent } from '../consent.ts';

/** What the user is shown: the parts of the consent they see, and who asks. */
export type Shown = Pick<Consent, 'bindingMessage' | 'authorizationDetails' | 'scope'> & { clientName: string };

export async function displayHashOf(shown: Shown): Promise<string> {
  const json = JSON.stringify({
    binding_message: shown.bindingMessage ?? null,
    authorization_details: shown.authorizationDetails ?? null,
    client_name: shown.clientName,
    scope: shown.scope,
  });
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(json))));
}
