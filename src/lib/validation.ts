// Turning zod failures into OAuth errors that name the offending parameter (design principle 5).
import type { z } from 'zod';
import { OAuthError, type OAuthErrorCode } from '../errors.ts';

export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Parses `input` with `schema` or throws an OAuthError of `code` describing the first problem. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: OAuthErrorCode = 'invalid_request',
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new OAuthError(code, describeZodError(result.error));
  return result.data;
}

/** Is this an absolute http(s) URL acceptable for outbound calls (https, or loopback http in development)? */
export function isAllowedOutboundUrl(value: string, development: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hash || url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:' || !development) return false;
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
