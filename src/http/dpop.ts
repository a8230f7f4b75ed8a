// DPoP proofs (RFC 9449 §4): read from the `DPoP` header and checked against the request they came
// with (docs/protocol.md §9). Issue 20 fills in the checks; until then any proof is refused.
import type { Context } from 'hono';
import type { AppEnv } from './app-env.ts';
import { invalidDpopProof, invalidDpopProofAtResource } from '../errors.ts';
import type { DpopProof } from '../sender.ts';

export interface ProofOptions {
  /** At a protected resource (userinfo): the access token the proof's `ath` must hash (RFC 9449 §4.3). */
  accessToken?: string;
}

/** The request's DPoP proof, checked; undefined when it sends none. */
export async function readDpopProof(c: Context<AppEnv>, options: ProofOptions = {}): Promise<DpopProof | undefined> {
  const header = c.req.header('DPoP');
  if (header === undefined) return undefined;
  const refuse = options.accessToken === undefined ? invalidDpopProof : invalidDpopProofAtResource;
  throw refuse('DPoP proofs are not checked yet');
}
