// Time, one clock inside: epoch milliseconds in every record and every function (docs/architecture.md,
// time). Seconds only where a JWT or a wire body is built or read, converted there.
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Epoch milliseconds as the epoch seconds of a JWT's `iat`, `exp`, `auth_time`, or a wire body. */
export const toEpochSeconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * An instant as a record stored it: records written before the server kept milliseconds hold epoch
 * seconds. A value below 10^11 can only be seconds (10^11 ms is 1973; 10^11 s is the year 5138).
 */
export const storedInstantMs = (value: number): number => (value < 1e11 ? value * 1000 : value);

/** How far another party's clock may be off: JWT times (iat, nbf, exp) are judged with this tolerance. */
export const CLOCK_SKEW_S = 60;
