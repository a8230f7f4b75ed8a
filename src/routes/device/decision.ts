// POST /{tenant}/device: the user's decision on one of their pending requests (docs/protocol.md §9),
// as named steps; it then goes through the same rules as POST {issuer}/ciba/callback (§5).
import type { Context } from 'hono';
import { deviceInboxStub } from '../../authenticators/device-inbox.ts';
import { isRequestId } from '../../ciba/auth-req-id.ts';
import { applyDecision, parseDecision } from '../../ciba/callback.ts';
import { ACR_REQUIRED, type DecisionInput } from '../../ciba/state.ts';
import { isCsrfToken } from '../../device/session.ts';
import { invalidRequest, notFound } from '../../errors.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { decisionRefusal } from '../../http/decision.ts';
import { parseForm, type FormParams } from '../../http/form.ts';
import { METHODS, assertSameOrigin, pageUrl, visitorOf, type Visitor } from './visitor.ts';

const NO_SUCH_REQUEST = 'No such pending request for this user';

/** The visitor the form names: a session's user, or (development) a login hint's. */
async function knownVisitor(c: Context<AppEnv>, form: FormParams): Promise<Visitor> {
  const visitor = await visitorOf(c, form);
  if (!visitor) throw notFound(NO_SUCH_REQUEST);
  return visitor;
}

/** A session's form carries its CSRF token. */
async function assertCsrf(c: Context<AppEnv>, visitor: Visitor, form: FormParams): Promise<void> {
  if ('session' in visitor && !(await isCsrfToken(c.env, c.get('tenant'), visitor.session, form.get('csrf')))) {
    throw invalidRequest('The form is stale or did not come from the device page; reload it');
  }
}

/**
 * The request the form answers, and the decision as the callback's rules read it; an approval
 * reports the acr the tenant maps its method to (acr_by_method, docs/protocol.md §10).
 */
function readDecision(
  form: FormParams,
  acrByMethod: Record<string, string> = {},
): { requestId: string; decision: 'approved' | 'denied'; input: DecisionInput & { ok: true } } {
  const requestId = form.get('request_id');
  const decision = form.get('decision');
  if (!requestId || !isRequestId(requestId)) throw invalidRequest('A valid request_id is required');
  if (decision !== 'approved' && decision !== 'denied') throw invalidRequest('decision must be approved or denied');
  const method = form.get('authentication_method');
  if (decision === 'approved' && (method === undefined || !METHODS.includes(method))) {
    throw invalidRequest(`authentication_method must be one of ${METHODS.join(', ')}`);
  }
  const displayHash = form.get('display_hash');
  const acr = method !== undefined && Object.hasOwn(acrByMethod, method) ? acrByMethod[method] : undefined;
  const input = parseDecision(
    decision === 'approved'
      ? {
          status: 'approved',
          authentication_method: method,
          ...(acr !== undefined ? { acr } : {}),
          ...(displayHash !== undefined ? { display_hash: displayHash } : {}),
        }
      : { status: 'denied' },
  );
  if (!input.ok) throw invalidRequest(input.description);
  return { requestId, decision, input };
}

/** The visitor's inbox entry for the request, while it is pending. */
async function pendingEntry(c: Context<AppEnv>, visitor: Visitor, requestId: string) {
  const inbox = visitor.user ? deviceInboxStub(c.env, c.get('tenant'), visitor.user.sub) : undefined;
  const entry = await inbox?.get(requestId);
  if (!inbox || !entry) throw notFound(NO_SUCH_REQUEST);
  return { inbox, entry };
}

export async function decide(c: Context<AppEnv>) {
  const form = await parseForm(c);
  form.assertWellFormed();
  // A decision comes from this page only: same origin, and a session's form carries its CSRF token.
  assertSameOrigin(c, 'The decision must come from the device page');
  const visitor = await knownVisitor(c, form);
  await assertCsrf(c, visitor, form);
  const { settings } = c.get('tenant');
  const { requestId, decision, input } = readDecision(form, settings.acr_by_method);
  const { inbox, entry } = await pendingEntry(c, visitor, requestId);
  // Refused before it is applied, so the entry stays and the user may choose a method that maps to an acr.
  if (input.status === 'approved' && !input.approval.acr && entry.consent.acrValues && settings.profile === 'fapi-ciba') {
    throw invalidRequest(`${ACR_REQUIRED}; approve with a method this tenant maps to an acr`);
  }
  // Every outcome is final (taken, already decided, expired, unknown) and clears the entry; a
  // dependency that fails throws instead, and the entry stays for the user to try again.
  const outcome = await applyDecision(c.env, c.get('tenant'), entry.callbackToken, input);
  await inbox.remove(requestId);
  const refusal = decisionRefusal(outcome);
  if (refusal) throw refusal;
  return c.redirect(pageUrl(c.get('tenantId'), visitor, `done=${decision}`), 303);
}
