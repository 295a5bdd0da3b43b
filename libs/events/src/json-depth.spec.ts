import { exampleEvent } from './examples';
import { jsonDepthProblem, MAX_EVENT_DEPTH } from './json-depth';

/** An array nested `depth` levels: depth 1 is `[]`. */
function nestedArray(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

describe('jsonDepthProblem', () => {
  it('accepts every example event', () => {
    expect(jsonDepthProblem(exampleEvent('message_created'))).toBeNull();
  });

  it.each([null, 1, 'text', true])('accepts the scalar %p', (value) => {
    expect(jsonDepthProblem(value, 1)).toBeNull();
  });

  it('accepts exactly the limit and names the first level past it', () => {
    expect(jsonDepthProblem({ a: { b: {} } }, 3)).toBeNull();
    expect(jsonDepthProblem({ a: { b: { c: {} } } }, 3)).toEqual({
      field: 'a.b.c',
      message: 'nests deeper than 3 levels; flatten it',
    });
  });

  it('names array indices and the root', () => {
    expect(jsonDepthProblem({ list: [1, [2, [3]]] }, 3)).toEqual({
      field: 'list[1][1]',
      message: 'nests deeper than 3 levels; flatten it',
    });
    expect(jsonDepthProblem([[]], 1)).toMatchObject({ field: '[0]' });
    expect(jsonDepthProblem({}, 0)).toMatchObject({ field: '(root)' });
  });

  it('walks an array nested far deeper than the stack allows recursion, without overflowing', () => {
    const event = { ...exampleEvent('message_created'), extra: nestedArray(200_000) };
    expect(jsonDepthProblem(event)).toEqual({
      field: `extra${'[0]'.repeat(MAX_EVENT_DEPTH - 1)}`,
      message: `nests deeper than ${MAX_EVENT_DEPTH} levels; flatten it`,
    });
  });
});
