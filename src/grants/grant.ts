// The contract every grant type plugs in through (design principle 3).
import type { Context } from 'hono';
import type { AppEnv } from '../env.ts';
import type { ClientRecord } from '../clients/store.ts';
import type { FormParams } from '../middleware/form.ts';

export interface Grant {
  grantType: string;
  /** Handles a well-formed request from an authenticated client allowed to use this grant. */
  handle(c: Context<AppEnv>, form: FormParams, client: ClientRecord): Promise<Response>;
}
