// Time as the server reads it: epoch seconds, one source so tests can reason about it.
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
