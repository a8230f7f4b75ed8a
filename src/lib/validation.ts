// Plain validation helpers: naming a schema's first problem, and which outbound URLs are acceptable.
// Nothing here knows the wire's error catalogue (errors.ts turns problems into OAuth errors).

/** What a failed schema parse reports: its issues, each with the path to the offending member. */
export interface SchemaError {
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>;
}

/** `member.path: message` for the first issue, so an error names the parameter (design principle 5). */
export function describeSchemaError(error: SchemaError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** A Standard Webhooks secret: `whsec_` and 24 to 64 random bytes in base64. */
export function isWebhookSecret(value: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value);
  if (!match) return false;
  try {
    const length = atob(match[1]!).length;
    return length >= 24 && length <= 64;
  } catch {
    return false;
  }
}

/** Is this an absolute http(s) URL acceptable for outbound calls (https, or loopback http in development)? */
export function isAllowedOutboundUrl(value: string, development: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hash || url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:' || !development) return false;
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
