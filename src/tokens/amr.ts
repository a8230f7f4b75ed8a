// Authentication Method Reference values (RFC 8176) for the methods authenticators report. The
// table is documented in docs/tokens.md; an authenticator that reports `amr` itself overrides it.

/** RFC 8176 values for each known authentication method. */
export const AMR_BY_METHOD: Readonly<Record<string, readonly string[]>> = {
  // Smart-ID: a key split between the app and the server, unlocked with a PIN.
  'smart-id': ['swk', 'pin', 'mfa'],
  // Mobile-ID: a key on the SIM card (hardware), unlocked with a PIN.
  'mobile-id': ['hwk', 'pin', 'mfa'],
  // The bank app's own key, unlocked with the app passcode.
  'app-passcode': ['swk', 'pin', 'mfa'],
  // The bank app's own key, unlocked with the device's biometrics.
  'app-biometrics': ['swk', 'user', 'mfa'],
};

/** The amr claim for an approval: as reported, else mapped from the method, else none. */
export function amrFor(method: string, reported?: string[]): string[] | undefined {
  if (reported && reported.length > 0) return reported;
  const mapped = AMR_BY_METHOD[method];
  return mapped ? [...mapped] : undefined;
}
