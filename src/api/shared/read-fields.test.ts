import { describe, expect, it } from 'vitest';
import { failureOf } from '../testing/turn-failure.js';
import { describeJson, Fields, fieldPath, headerValue } from './read-fields.js';

describe('Fields', () => {
  it('rejects a body that is not an object, without a param', () => {
    const e = failureOf(() => Fields.of([1], ''));
    expect(e.error).toEqual({ kind: 'invalid_request', message: 'request body: expected a JSON object, got an array' });
  });

  it('names nested fields by dotted path', () => {
    const f = Fields.of({ a: { b: 3 } }, '');
    const e = failureOf(() => f.requiredObject('a').string('b'));
    expect(e.error).toMatchObject({ kind: 'invalid_request', param: 'a.b', message: 'a.b: expected a string, got a number' });
  });

  it('treats null as absent for optional fields and as missing for required ones', () => {
    const f = Fields.of({ t: null, s: null }, 'x');
    expect(f.number('t')).toBeUndefined();
    expect(f.has('t')).toBe(false);
    expect(failureOf(() => f.requiredString('s')).error).toMatchObject({ param: 'x.s', message: 'x.s: field required' });
  });

  it('reads only own properties', () => {
    const f = Fields.of(JSON.parse('{"__proto__": "p"}'), '');
    expect(f.string('__proto__')).toBe('p');
    expect(f.raw('constructor')).toBeUndefined();
    expect(f.raw('toString')).toBeUndefined();
  });

  it('checks integers, ranges and enums', () => {
    const f = Fields.of({ n: 1.5, m: -1, e: 'x', big: 2 ** 60 }, '');
    expect(failureOf(() => f.integer('n')).message).toBe('n: expected an integer, got a number');
    expect(failureOf(() => f.integer('big')).message).toBe('big: expected an integer, got a number');
    expect(failureOf(() => f.number('m', { min: 0 })).message).toBe('m: must be at least 0, got -1');
    expect(failureOf(() => f.oneOf('e', ['a', 'b'])).message).toBe("e: must be one of 'a', 'b', got 'x'");
  });

  it('reports the element of a string array that is wrong', () => {
    const f = Fields.of({ s: ['a', 2] }, 'r');
    expect(failureOf(() => f.stringArray('s')).error.param).toBe('r.s.1');
  });

  it('requires non-empty strings where asked', () => {
    expect(failureOf(() => Fields.of({ id: '' }, '').nonEmptyString('id')).message).toBe('id: must not be empty');
  });
});

describe('describeJson / fieldPath', () => {
  it('describes JSON values', () => {
    expect([null, [], 'a', 1, true, {}].map(describeJson)).toEqual(['null', 'an array', 'a string', 'a number', 'a boolean', 'an object']);
  });
  it('joins paths', () => {
    expect(fieldPath('', 'a')).toBe('a');
    expect(fieldPath('a', 0)).toBe('a.0');
  });
});

describe('headerValue', () => {
  it('returns the first non-blank header of the list, trimmed', () => {
    const ctx = { headers: { a: '  ', b: ' x ', c: 'y' } };
    expect(headerValue(ctx, ['a', 'b', 'c'])).toBe('x');
    expect(headerValue(ctx, ['z'])).toBeUndefined();
  });
});
