import { mergePatch } from '../../lib/config/json-merge-patch';
import { mergeConfig } from '../../lib/config/load-config';

describe("the merge of the team's configuration over the defaults: JSON Merge Patch (RFC 7396)", () => {
  test('is what loadConfig applies', () => {
    expect(mergeConfig).toBe(mergePatch);
  });

  // RFC 7396, Appendix A, every example: original, patch, result.
  test.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('RFC 7396 appendix A: %j patched with %j is %j', (original, patch, result) => {
    expect(mergePatch(original, patch)).toEqual(result);
  });

  test('RFC 7396 section 3: the example document and patch', () => {
    const original = {
      title: 'Goodbye!',
      author: { givenName: 'John', familyName: 'Doe' },
      tags: ['example', 'sample'],
      content: 'This will be unchanged',
    };
    const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
    expect(mergePatch(original, patch)).toEqual({
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
  });

  test('changes neither the defaults nor the patch, and shares nothing with them', () => {
    const original = { environments: { prod: { account: '111111111111', network: { availabilityZones: ['us-east-1a'] } } } };
    const patch = { environments: { prod: { account: null, network: { vpcId: 'vpc-1' } } } };
    const [originalText, patchText] = [JSON.stringify(original), JSON.stringify(patch)];
    const merged = mergePatch(original, patch) as typeof original;
    merged.environments.prod.network.availabilityZones.push('us-east-1b');
    expect(JSON.stringify(original)).toBe(originalText);
    expect(JSON.stringify(patch)).toBe(patchText);
    expect(merged.environments.prod).toEqual({ network: { availabilityZones: ['us-east-1a', 'us-east-1b'], vpcId: 'vpc-1' } });
  });

  test('keeps a "__proto__" key of a parsed file as a key (the schema then refuses it) instead of changing a prototype', () => {
    const merged = mergePatch({ a: 1 }, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.keys(merged)).toEqual(['a', '__proto__']);
    expect((merged as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
