// Applying an authenticator's decision (docs/protocol.md §5): shared by the callback endpoint and the
// built-in device page, so both answer by the same rules.
import * as z from 'zod/mini';
import type { Env } from '../env.ts';
import { sha256 } from '../lib/crypto.ts';
import { SCHEMA_CONTEXT, describeSchemaError } from '../lib/error-text.ts';
import { CLOCK_SKEW_S } from '../lib/time.ts';
import { authRequestStub, requestIdOf } from './auth-req-id.ts';
import type { TenantRecord } from '../tenants/store.ts';
import type { DecideOutcome, DecisionInput } from './state.ts';

/** A printable-ASCII token of at most `max` characters. */
const token = (max: number) => z.string().check(z.regex(/^[\x21-\x7E]+$/), z.maxLength(max));

const decisionSchema = z.discriminatedUnion(
  'status',
  [
    z.object({
      status: z.literal('approved'),
      authentication_method: token(64),
      acr: z.optional(token(256)),
      amr: z.optional(z.array(token(64)).check(z.minLength(1), z.maxLength(16))),
      auth_time: z.optional(z.int().check(z.positive())),
      // docs/protocol.md §8: the display_hash the device showed, echoed to prove what was approved.
      display_hash: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256'))),
    }),
    z.object({ status: z.literal('denied') }),
  ],
  { error: 'status must be approved or denied' },
);

/** Reads a decision body into the state machine's input; problems become a described refusal. */
export function parseDecision(body: unknown, now = Date.now()): DecisionInput {
  const result = decisionSchema.safeParse(body, SCHEMA_CONTEXT);
  if (!result.success) {
    const missingMethod = result.error.issues.some((i) => i.path[0] === 'authentication_method');
    return {
      ok: false,
      description: missingMethod
        ? 'authentication_method is required to approve and must be a token of at most 64 characters'
        : describeSchemaError(result.error),
    };
  }
  const decision = result.data;
  if (decision.status === 'denied') return { ok: true, status: 'denied' };
  // auth_time is epoch seconds on the wire (OpenID Connect Core §2); the approval keeps milliseconds.
  const authTime = decision.auth_time !== undefined ? decision.auth_time * 1000 : now;
  if (authTime > now + CLOCK_SKEW_S * 1000) {
    return { ok: false, description: 'auth_time is in the future' };
  }
  return {
    ok: true,
    status: 'approved',
    approval: {
      authenticationMethod: decision.authentication_method,
      ...(decision.acr !== undefined ? { acr: decision.acr } : {}),
      ...(decision.amr !== undefined ? { amr: decision.amr } : {}),
      authTime,
    },
    ...(decision.display_hash !== undefined ? { displayHash: decision.display_hash } : {}),
  };
}

/**
 * Applies a decision to the request the callback token names (docs/protocol.md §5) and returns the
 * object's outcome; a malformed token is `invalid_token` like an unknown one. Throws only when a
 * dependency fails, so every outcome is final.
 */
export async function applyDecision(
  env: Env,
  tenant: TenantRecord,
  callbackToken: string,
  input: DecisionInput,
): Promise<DecideOutcome> {
  const requestId = requestIdOf(callbackToken);
  if (!requestId) return { status: 'invalid_token' };
  if (input.ok && input.status === 'approved' && tenant.settings.profile === 'fapi-ciba') input = { ...input, acrRequired: true };
  return authRequestStub(env, tenant, requestId).decide(await sha256(callbackToken), tenant.incarnation, input);
}
