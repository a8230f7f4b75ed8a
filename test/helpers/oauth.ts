// The one assertion for an OAuth error response (RFC 6749 §5.2; contract §1), shared by every test.
import { expect } from 'vitest';

/** RFC 6749 §5.2: the only characters an error_description may hold (printable ASCII but `"` and `\`). */
export const ERROR_DESCRIPTION_CHARS = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

export interface OAuthErrorBody {
  error: string;
  error_description: string;
}

/**
 * Asserts an RFC 6749 §5.2 error response: the status, a JSON Content-Type, `Cache-Control: no-store`,
 * and a JSON object whose members are exactly `error` (the expected code) and a non-blank
 * `error_description` in RFC 6749 §5.2's character set (the server never sends `error_uri`). Returns the body, so a caller can go on
 * to check the description. `message` labels every assertion, e.g. with the input a loop is on.
 */
export async function expectOAuthError(res: Response, status: number, error: string, message?: string): Promise<OAuthErrorBody> {
  const text = await res.text();
  // The body rides along with the status, so a wrong status shows what the server said instead.
  expect({ status: res.status, text }, message).toMatchObject({ status });
  expect(res.headers.get('Content-Type'), message).toMatch(/^application\/json/);
  expect(res.headers.get('Cache-Control'), message).toBe('no-store');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${message ? `${message}: ` : ''}the error body is not JSON: ${text}`);
  }
  expect(body !== null && typeof body === 'object' && !Array.isArray(body), `${message ?? 'error body'} is a JSON object: ${text}`).toBe(true);
  const members = body as Record<string, unknown>;
  expect(Object.keys(members).sort(), message).toEqual(['error', 'error_description']);
  expect(members.error, message).toBe(error);
  expect(members.error_description, message).toBeTypeOf('string');
  expect(members.error_description, message).toMatch(/\S/);
  expect(members.error_description, message).toMatch(ERROR_DESCRIPTION_CHARS);
  return members as unknown as OAuthErrorBody;
}
