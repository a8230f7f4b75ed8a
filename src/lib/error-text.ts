// The words of an error_description: the character set RFC 6749 §5.2 allows, the rule for echoing
// what a caller sent, and a schema's first problem said as what to send instead (not a validator's
// wording). Nothing here knows the wire's error catalogue (errors.ts turns problems into OAuth errors).

/**
 * RFC 6749 §5.2: an error_description holds only %x20-21 / %x23-5B / %x5D-7E, printable ASCII
 * without `"` and `\`. Anything else is replaced, so no input can put it on the wire.
 */
export function toErrorDescription(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, (ch) =>
    ch === '"' ? "'" : ch === '\\' ? '/' : /\s/.test(ch) ? ' ' : '?',
  );
}

/**
 * A value the caller sent, fit to be named in a description: a short plain token (a parameter
 * name, a scope, a type). Anything else is not echoed, and the description says what to send instead.
 */
export function plainToken(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : undefined;
}

/** One problem a failed schema parse reports (zod's issues), with the members the descriptions use. */
export interface SchemaIssue {
  path: ReadonlyArray<PropertyKey>;
  message: string;
  code?: string;
  input?: unknown;
  expected?: string;
  values?: ReadonlyArray<unknown>;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  format?: string;
  divisor?: number;
  keys?: ReadonlyArray<string>;
}

/** What a failed schema parse reports: its issues, each with the path to the offending member. */
export interface SchemaError {
  issues: ReadonlyArray<SchemaIssue>;
}

/** How schemas are parsed: each issue carries its input, so a missing member reads as required. */
export const SCHEMA_CONTEXT = { reportInput: true } as const;

/** The message zod gives an issue that carries no message of ours (no locale is loaded). */
const NO_MESSAGE = 'Invalid input';

const KINDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'an array',
  record: 'a JSON object',
  literal: 'a fixed value',
};

/** `a, b or c`, when every value is plain enough to name; undefined otherwise. */
function listOf(values: ReadonlyArray<unknown>): string | undefined {
  const named = values.map((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : plainToken(v)));
  if (named.length === 0 || named.some((v) => v === undefined)) return undefined;
  return named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} or ${named[named.length - 1]}`;
}

/** How big an origin's size is counted: characters, items, or the number itself. */
function bound(issue: SchemaIssue, word: 'least' | 'most'): string {
  const limit = String(word === 'least' ? issue.minimum : issue.maximum);
  if (issue.origin === 'string') return `must be at ${word} ${limit} characters long`;
  if (issue.origin === 'array' || issue.origin === 'set') return `must hold at ${word} ${limit} items`;
  if (issue.inclusive === false) return `must be ${word === 'least' ? 'greater' : 'less'} than ${limit}`;
  return `must be at ${word} ${limit}`;
}

/** What to send instead, for one issue: our own message when the schema gave one, else by its code. */
function describeIssue(issue: SchemaIssue): string {
  if (issue.message !== NO_MESSAGE && issue.message !== '') return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${KINDS[issue.expected ?? ''] ?? 'of another type'}`;
    case 'invalid_value': {
      const list = listOf(issue.values ?? []);
      return list ? `must be ${(issue.values?.length ?? 0) > 1 ? 'one of ' : ''}${list}` : 'is not an accepted value';
    }
    case 'too_small':
      return bound(issue, 'least');
    case 'too_big':
      return bound(issue, 'most');
    case 'invalid_format':
      return issue.format && issue.format !== 'regex' ? `must be a valid ${issue.format}` : 'is not in the accepted form';
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys': {
      const list = listOf(issue.keys ?? []);
      return `holds ${list ? `members this server does not take (${list})` : 'members this server does not take'}; remove them`;
    }
    case 'invalid_union':
      return 'is in none of the accepted forms';
    default:
      return 'is not acceptable';
  }
}

/** `member.path: what to send instead` for the first issue, so an error names the parameter. */
export function describeSchemaError(error: SchemaError): string {
  const issue = error.issues[0];
  if (!issue) return 'The body is not acceptable';
  const path = issue.path.map(String).join('.');
  const what = describeIssue(issue);
  return path ? `${path}: ${what}` : what;
}
