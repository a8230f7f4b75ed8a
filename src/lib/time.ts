// Time as the server reads it: epoch seconds, one source so tests can reason about it.
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** How far another party's clock may be off: JWT times (iat, nbf, exp) are judged with this tolerance. */
export const CLOCK_SKEW_S = 60;
