// Untrusted JSON with its nesting bounded. JSON.parse copes with any depth, but what a value meets
// next (JSON.stringify, zod, structured clone) recurses and overflows the stack (docs/operations.md).

/** Deeper than any body, claim set or key set the server takes legitimately needs. */
export const MAX_JSON_DEPTH = 32;

/**
 * Does the JSON text open arrays and objects more than `max` deep? One linear pass with a counter, no
 * recursion; brackets inside strings do not count (RFC 8259 §7: a string ends at an unescaped `"`).
 * On text that is not JSON the answer means nothing, and JSON.parse refuses it anyway.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, `"` included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Does the parsed value nest arrays and objects more than `max` deep? Iterative, like the scan above. */
export function valueNestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export type ParsedJson = { ok: true; value: unknown } | { ok: false; tooDeep: boolean; problem: string };

/**
 * Parses untrusted JSON, refusing it unparsed when it nests deeper than `max`. `problem` completes
 * a sentence about the text ("The body ..."): plain ASCII, fit for an error_description.
 */
export function parseJson(text: string, max = MAX_JSON_DEPTH): ParsedJson {
  if (jsonNestsDeeperThan(text, max)) {
    return { ok: false, tooDeep: true, problem: `nests arrays and objects more than ${max} levels deep` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, tooDeep: false, problem: 'is not valid JSON' };
  }
}
