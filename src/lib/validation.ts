// Plain validation helpers: which webhook secrets and outbound URLs are acceptable.
// Nothing here knows the wire's error catalogue (errors.ts turns problems into OAuth errors).

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
