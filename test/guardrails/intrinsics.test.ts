/** What strings a CloudFormation value can be assembled from (lib/guardrails/intrinsics.ts). */
import {
  assembleStrings,
  candidateStrings,
  findSecretValue,
  hasLiteralContent,
  isSecretDynamicReference,
  literalRemainder,
  MAX_TEXTS,
  namedValues,
  TOKEN_PLACEHOLDER as P,
} from '../../lib/guardrails';
import { FAKE, FAKE_PASSWORD } from './fakes';

/** Splits a string into n pieces (a secret spread over an Fn::Join). */
const pieces = (s: string, n: number): string[] => {
  const size = Math.ceil(s.length / n);
  return Array.from({ length: n }, (_, i) => s.slice(i * size, (i + 1) * size));
};

describe('assembleStrings', () => {
  test('a literal is its own text', () => {
    expect(assembleStrings('abc')).toEqual({ fragments: ['abc'], texts: ['abc'], complete: true });
  });

  test('Fn::Join joins literal pieces and writes a placeholder for Ref / GetAtt / ImportValue', () => {
    const a = assembleStrings({ 'Fn::Join': ['-', ['a', { Ref: 'X' }, { 'Fn::GetAtt': ['Y', 'Arn'] }, { 'Fn::ImportValue': 'Z' }, 'b']] });
    expect(a.texts).toEqual([`a-${P}-${P}-${P}-b`]);
    expect(a.fragments).toEqual(expect.arrayContaining(['a', 'b']));
  });

  test('a key split over the pieces of a join is seen whole, though no piece looks like a key', () => {
    const value = { 'Fn::Join': ['', pieces(FAKE.stripeLive, 4)] };
    expect(pieces(FAKE.stripeLive, 4).some((p) => findSecretValue(p))).toBe(false);
    expect(candidateStrings(value).some((s) => findSecretValue(s)?.id === 'stripe-secret-key')).toBe(true);
  });

  test('a dynamic reference assembled from several pieces is recognised', () => {
    const value = { 'Fn::Join': ['', ['{{resol', 've:secrets', 'manager:', { Ref: 'Secret' }, ':SecretString:password::}}']] };
    expect(assembleStrings(value).fragments.some((f) => isSecretDynamicReference(f))).toBe(false);
    expect(assembleStrings(value).texts.some((t) => isSecretDynamicReference(t))).toBe(true);
  });

  test('Fn::Sub: variables from its map (nested intrinsics included), pseudo parameters and resources as placeholders, ${!Literal}', () => {
    const value = {
      'Fn::Sub': ['{{resolve:${Svc}:${Secret}}} ${AWS::Region} ${!Literal}', { Svc: { 'Fn::Join': ['', ['secrets', 'manager']] } }],
    };
    expect(assembleStrings(value).texts).toEqual([`{{resolve:secretsmanager:${P}}} ${P} \${Literal}`]);
    expect(assembleStrings({ 'Fn::Sub': 'x-${Y}' }).texts).toEqual([`x-${P}`]);
  });

  test('Fn::If yields both branches; AWS::NoValue none', () => {
    expect(assembleStrings({ 'Fn::If': ['C', 'a', { 'Fn::If': ['D', 'b', { Ref: 'AWS::NoValue' }] }] }).texts).toEqual(['a', 'b']);
  });

  test('Fn::Select picks a literal index, or any element; Fn::Split feeds it', () => {
    expect(assembleStrings({ 'Fn::Select': [1, ['a', 'b', 'c']] }).texts).toEqual(['b']);
    expect(assembleStrings({ 'Fn::Select': ['2', { 'Fn::Split': [',', 'a,b,c'] }] }).texts).toEqual(['c']);
    expect(assembleStrings({ 'Fn::Select': [{ Ref: 'I' }, ['a', 'b']] }).texts).toEqual(['a', 'b']);
    expect(assembleStrings({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }).texts).toEqual([P]);
  });

  test('Fn::Base64 and Fn::ToJsonString keep their literal text', () => {
    expect(assembleStrings({ 'Fn::Base64': { 'Fn::Join': ['', ['a', 'b']] } }).texts).toEqual(['ab']);
    expect(assembleStrings({ 'Fn::ToJsonString': { password: 'x', host: { Ref: 'H' } } }).texts).toEqual([
      JSON.stringify({ password: 'x', host: P }),
    ]);
  });

  test('Fn::FindInMap looks values up in the template Mappings: a literal key, or every entry', () => {
    const template = { Mappings: { Env: { prod: { Url: 'p' }, staging: { Url: 's' } } } };
    expect(assembleStrings({ 'Fn::FindInMap': ['Env', 'prod', 'Url'] }, template).texts).toEqual(['p']);
    expect(assembleStrings({ 'Fn::FindInMap': ['Env', { Ref: 'Stage' }, 'Url'] }, template).texts).toEqual(['p', 's']);
    expect(assembleStrings({ 'Fn::FindInMap': ['Nope', 'a', 'b'] }, template).texts).toEqual([P]);
  });

  test('objects are not strings; numbers are', () => {
    expect(assembleStrings({ A: 1, B: 2 }).texts).toEqual([]);
    expect(assembleStrings(5432).texts).toEqual(['5432']);
  });

  test('the number of texts is capped, and says so; fragments stay complete', () => {
    const branches = Array.from({ length: 8 }, (_, i) => ({ 'Fn::If': ['C', `a${i}`, `b${i}`] }));
    const a = assembleStrings({ 'Fn::Join': ['', branches] });
    expect(a.texts).toHaveLength(MAX_TEXTS);
    expect(a.complete).toBe(false);
    expect(a.fragments).toEqual(expect.arrayContaining(['a7', 'b7']));
  });
});

describe('literal content', () => {
  test('a value only from a secret store or from elsewhere in the stack has none; anything else has', () => {
    expect(literalRemainder(`{{resolve:secretsmanager:${P}:SecretString:password::}}`)).toBe('');
    expect(literalRemainder(`{{resolve:ssm-secure:/db/pw:1}}${P}`)).toBe('');
    expect(literalRemainder(`${P}x`)).toBe('x');
    expect(literalRemainder('{{resolve:ssm:/plain/param}}')).not.toBe('');
    expect(hasLiteralContent({ Ref: 'Password' })).toBe(false);
    expect(hasLiteralContent({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: 'S' }, ':SecretString:password::}}']] })).toBe(false);
    expect(hasLiteralContent(FAKE_PASSWORD)).toBe(true);
    expect(hasLiteralContent({ 'Fn::If': ['C', { Ref: 'P' }, FAKE_PASSWORD] })).toBe(true);
  });
});

describe('namedValues', () => {
  test('JSON at any depth, and name=value / name: value texts', () => {
    expect(namedValues(JSON.stringify({ a: { dbPassword: 'x', n: 1 }, list: [{ token: 'y' }] }))).toEqual([
      { name: 'dbPassword', value: 'x' },
      { name: 'token', value: 'y' },
    ]);
    expect(namedValues('host=db;Password=abc;user id=app')).toEqual(expect.arrayContaining([{ name: 'Password', value: 'abc' }]));
    expect(namedValues('password: "a b"\nuser: app')).toEqual(expect.arrayContaining([{ name: 'password', value: 'a b' }]));
  });
});
