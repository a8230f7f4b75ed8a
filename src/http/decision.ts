// The HTTP answer to an authenticator's decision (docs/protocol.md §5), first match wins: 401 invalid_token,
// 400 invalid_request, 410 expired_token, 409 invalid_request, else 204. Shared by the callback
// endpoint and the device page, which decides on the user's behalf.
import { callbackExpired, conflict, invalidRequest, invalidToken, type OAuthError } from '../errors.ts';
import type { DecideOutcome } from '../ciba/state.ts';

/** The refusal a decision's outcome answers with, or undefined when the decision was taken. */
export function decisionRefusal(outcome: DecideOutcome): OAuthError | undefined {
  switch (outcome.status) {
    case 'invalid_token':
      return invalidToken('The callback token is not valid');
    case 'invalid_request':
      return invalidRequest(outcome.description);
    case 'expired':
      return callbackExpired();
    case 'conflict':
      return conflict(`The request was already ${outcome.current}`);
    case 'decided':
      return undefined;
  }
}
