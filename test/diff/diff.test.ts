import * as fs from 'fs';
import { diffAssemblies, diffStack, readAssemblyTemplates, renderReport, REPORT_MARKER } from '../../lib/diff';
import { BASE, synthVariant } from './apps';

const baseDir = synthVariant(BASE);
const headDir = synthVariant({
  secretName: 'fleapo/test/auth-secret-v2',
  broadIam: true,
  openIngress: true,
  dropKey: true,
  stacksMoved: true,
});
const base = readAssemblyTemplates(baseDir);
const head = readAssemblyTemplates(headDir);
afterAll(() => [baseDir, headDir].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

test('reads every stack of an assembly; a missing assembly is empty', () => {
  expect(Object.keys(base).sort()).toEqual(['Legacy', 'Main']);
  expect(Object.keys(head).sort()).toEqual(['Added', 'Main']);
  expect(readAssemblyTemplates('/nonexistent')).toEqual({});
});

describe('diffAssemblies', () => {
  const diff = diffAssemblies(base, head);
  const main = diff.stacks.find((s) => s.stack === 'Main')!;

  test('IAM broadening and security-group changes are detected', () => {
    expect(main.permissionsBroadened).toBe(true);
    expect(main.iamChanges).toBe(true);
    expect(main.securityGroupChanges).toBe(true);
    expect(main.securityText).toContain('s3:*');
    expect(main.securityText).toContain('Everyone (IPv4)');
  });

  test("the replaced secret, the destroyed key and the removed stack's secret are critical", () => {
    const critical = diff.critical.map((d) => `${d.stack} ${d.resourceType} ${d.impact}`).sort();
    expect(critical).toEqual([
      'Legacy AWS::SecretsManager::Secret WILL_DESTROY',
      'Main AWS::KMS::Key WILL_DESTROY',
      'Main AWS::SecretsManager::Secret WILL_REPLACE',
    ]);
    const secret = diff.critical.find((d) => d.stack === 'Main' && d.resourceType === 'AWS::SecretsManager::Secret')!;
    expect(secret.constructPath).toBe('Main/AuthSecret/Resource');
    expect(secret.causes).toEqual(['Name']);
  });

  test('added and removed stacks', () => {
    expect(diff.stacks.map((s) => `${s.stack}:${s.status}`)).toEqual(['Added:added', 'Legacy:removed', 'Main:changed']);
  });

  test('identical assemblies: no changes', () => {
    const same = diffAssemblies(base, base);
    expect(same.stacks.every((s) => s.status === 'unchanged')).toBe(true);
    expect(renderReport(same)).toContain('No stack changes.');
  });

  test('a base with no app: every stack added, nothing critical', () => {
    const fromNothing = diffAssemblies({}, head);
    expect(fromNothing.stacks.map((s) => s.status)).toEqual(['added', 'added']);
    expect(fromNothing.critical).toEqual([]);
  });
});

describe('renderReport', () => {
  const report = renderReport(diffAssemblies(base, head), { baseLabel: 'main (abc)', headLabel: 'pr (def)' });
  const at = (s: string) => {
    const i = report.indexOf(s);
    expect(i).toBeGreaterThanOrEqual(0);
    return i;
  };

  test('what a reviewer must see comes first: secrets/KMS, then security, then other destruction, then the rest', () => {
    expect(report.startsWith(REPORT_MARKER)).toBe(true);
    const caution = at('[!CAUTION]');
    const secretLine = at('`Main/AuthSecret/Resource`');
    const security = at('### Security changes');
    const other = at('### Other resources replaced or destroyed');
    const stacks = at('### Stacks added / removed');
    const all = at('### All changes');
    expect(caution).toBeLessThan(security);
    expect(secretLine).toBeLessThan(security);
    expect(security).toBeLessThan(other);
    expect(other).toBeLessThan(stacks);
    expect(stacks).toBeLessThan(all);
    expect(report).toContain('**permissions broadened**');
    expect(report).toContain('security-group changes');
    expect(report).toContain('will be REPLACED');
    expect(report).toContain('REMOVED: **Legacy**');
    expect(report).toContain('added: **Added**');
    expect(report.slice(other, stacks)).toContain('AWS::SQS::Queue');
  });

  test('maxChars keeps the top and cuts the full diff', () => {
    const short = renderReport(diffAssemblies(base, head), { maxChars: report.indexOf('### All changes') + 50 });
    expect(short.length).toBeLessThanOrEqual(report.indexOf('### All changes') + 51);
    expect(short).toContain('[!CAUTION]');
    expect(short).not.toContain('### All changes');
  });
});

test('diffStack of an unchanged stack reports nothing', () => {
  const d = diffStack('Main', base.Main, base.Main);
  expect(d.status).toBe('unchanged');
  expect(d.differencesText).toBe('');
  expect(d.securityText).toBe('');
});
