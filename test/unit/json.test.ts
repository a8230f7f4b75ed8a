// Bounded JSON nesting (src/lib/json.ts): the linear scan of the text, brackets inside strings and
// escapes, the bound itself, and that its answers agree with the depth of the parsed value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan, parseJson, valueNestsDeeperThan } from '../../src/lib/json.ts';

const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonNestsDeeperThan', () => {
  it.each([
    ['a scalar', '42', 0, false],
    ['an empty object at its bound', '{}', 1, false],
    ['an empty object past a bound of 0', '{}', 0, true],
    ['arrays exactly at the bound', arrays(32), 32, false],
    ['arrays one past the bound', arrays(33), 32, true],
    ['objects and arrays mixed', '{"a":[{"b":[1]}]}', 4, false],
    ['objects and arrays mixed, one past', '{"a":[{"b":[1]}]}', 3, true],
    ['siblings, which do not add up', '[[1],[2],[3],{"a":1}]', 2, false],
    ['brackets inside a string', `["${'['.repeat(100)}{{{"]`, 1, false],
    ['an escaped quote inside a string', `["\\"[[[[", 1]`, 1, false],
    ['an escaped backslash ending a string', `["\\\\", [[1]]]`, 2, true],
    ['brackets in a member name', `{"[[[[": 1}`, 1, false],
    ['20,000 levels', arrays(20_000), MAX_JSON_DEPTH, true],
  ])('%s', (_name, text, max, deeper) => {
    expect(jsonNestsDeeperThan(text, max)).toBe(deeper);
  });

  it('agrees with the depth of the value JSON.parse gives, for any JSON', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'large' }), fc.nat(12), (text, max) => {
        expect(jsonNestsDeeperThan(text, max)).toBe(valueNestsDeeperThan(JSON.parse(text), max));
      }),
      { seed: 20261204, numRuns: 500 },
    );
  });
});

describe('parseJson', () => {
  it('parses JSON within the bound', () => {
    expect(parseJson('{"a":[1,"]"]}')).toEqual({ ok: true, value: { a: [1, ']'] } });
    expect(parseJson(arrays(MAX_JSON_DEPTH))).toMatchObject({ ok: true });
  });

  it('refuses deeper JSON unparsed, saying why in plain ASCII', () => {
    const refused = parseJson(arrays(MAX_JSON_DEPTH + 1));
    expect(refused).toEqual({ ok: false, tooDeep: true, problem: 'nests arrays and objects more than 32 levels deep' });
    expect(parseJson(arrays(20_000))).toMatchObject({ ok: false, tooDeep: true });
    expect(parseJson('[[1]]', 1)).toMatchObject({ ok: false, tooDeep: true, problem: expect.stringContaining('more than 1 levels') });
  });

  it('refuses text that is not JSON', () => {
    expect(parseJson('{"a":')).toEqual({ ok: false, tooDeep: false, problem: 'is not valid JSON' });
    expect(parseJson('')).toMatchObject({ ok: false, tooDeep: false });
  });
});

describe('valueNestsDeeperThan', () => {
  it('walks a value too deep for recursion without overflowing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(valueNestsDeeperThan(deep, MAX_JSON_DEPTH)).toBe(true);
    expect(valueNestsDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(valueNestsDeeperThan({ a: [{ b: 1 }] }, 2)).toBe(true);
    expect(valueNestsDeeperThan('text', 0)).toBe(false);
  });
});
