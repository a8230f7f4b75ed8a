// Reading request bodies under the 64 KiB limit: OAuth forms (RFC 6749 §3.1, docs/protocol.md §1), where empty
// values count as absent and repeated parameters are refused (except RFC 8707's `resource`), and JSON.
import type { Context } from 'hono';
import type { AppEnv } from './app-env.ts';
import { invalidRequest, payloadTooLarge } from '../errors.ts';
import { plainToken } from '../lib/error-text.ts';
import { parseJson } from '../lib/json.ts';
import { readCapped } from '../lib/streams.ts';

export const MAX_BODY_BYTES = 64 * 1024;
const REPEATABLE = new Set(['resource']);

/** Reads the body as text, answering 413 past the limit (checked before anything else is parsed). */
export async function readBody(c: Context<AppEnv>): Promise<string> {
  const declared = Number(c.req.header('Content-Length'));
  const tooLarge = () => payloadTooLarge(MAX_BODY_BYTES);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = await readCapped(c.req.raw.body, MAX_BODY_BYTES);
  if (!bytes) throw tooLarge();
  return new TextDecoder().decode(bytes);
}

export class FormParams {
  readonly #values = new Map<string, string[]>();

  constructor(
    entries: Iterable<[string, string]>,
    /** Why the body is not a form at all, reported by assertWellFormed after client authentication. */
    readonly problem?: string,
  ) {
    for (const [name, value] of entries) {
      const list = this.#values.get(name) ?? [];
      list.push(value);
      this.#values.set(name, list);
    }
  }

  /** The parameter's value; undefined when absent, empty, or repeated (repeats fail assertWellFormed). */
  get(name: string): string | undefined {
    const values = this.#values.get(name);
    if (!values || values.length !== 1) return undefined;
    return values[0] === '' ? undefined : values[0];
  }

  /** All non-empty values of a repeatable parameter. */
  getAll(name: string): string[] {
    return (this.#values.get(name) ?? []).filter((v) => v !== '');
  }

  /** The names of every parameter given. */
  names(): string[] {
    return [...this.#values.keys()];
  }

  isRepeated(name: string): boolean {
    return (this.#values.get(name)?.length ?? 0) > 1;
  }

  /** The endpoint's first own check: a real form, with no parameter given twice. */
  assertWellFormed(): void {
    if (this.problem) throw invalidRequest(this.problem);
    for (const [name, values] of this.#values) {
      if (values.length > 1 && !REPEATABLE.has(name)) {
        const named = plainToken(name);
        throw invalidRequest(`${named ? `The ${named} parameter` : 'A parameter'} is given more than once; send each parameter once`);
      }
    }
  }
}

/** The request's media type, lower-cased, without parameters. */
export const mediaTypeOf = (c: Context<AppEnv>): string =>
  (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();

/** Reads and parses an application/x-www-form-urlencoded body; a wrong media type is kept as a problem. */
export async function parseForm(c: Context<AppEnv>): Promise<FormParams> {
  const text = await readBody(c);
  if (mediaTypeOf(c) !== 'application/x-www-form-urlencoded') {
    return new FormParams([], 'The body must be application/x-www-form-urlencoded');
  }
  return new FormParams(new URLSearchParams(text));
}

/** Reads a JSON body (64 KiB limit, nesting bounded: lib/json.ts); the admin API takes JSON. */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await readBody(c);
  if (mediaTypeOf(c) !== 'application/json') throw invalidRequest('The body must be application/json');
  const parsed = parseJson(text);
  if (!parsed.ok) throw invalidRequest(`The body ${parsed.problem}`);
  return parsed.value;
}
