import { CONTAIN_RESUME_WINDOW_MS, containStart, type ContainResult } from '../../lib/cli/commands/contain';
import { containedNames } from '../../lib/cli/commands/contain-command';
import { containExitCode, containReportJson, renderContainReport } from '../../lib/cli/contain-report';
import { TAG_CONTAIN_STARTED, TAG_CONTAIN_VERSION } from '../../catalog/tags';

const now = new Date('2026-12-02T05:00:00.000Z');
const tags = (version: string, started: string) => ({ [TAG_CONTAIN_VERSION]: version, [TAG_CONTAIN_STARTED]: started });

test('containStart: a recorded containment is continued within the window, from the stage its version holds', () => {
  const started = '2026-12-02T04:00:00.000Z';
  expect(containStart({ v1: ['AWSCURRENT'] }, {}, now)).toEqual({ kind: 'new' });
  expect(containStart({ v1: ['AWSCURRENT'] }, tags('v1', started), now)).toEqual({
    kind: 'current',
    token: 'v1',
    startedAt: new Date(started),
  });
  expect(containStart({ v0: ['AWSCURRENT'], v1: ['AWSPENDING'] }, tags('v1', started), now)).toEqual({
    kind: 'rotating',
    token: 'v1',
    startedAt: new Date(started),
  });
  // Its version is gone or now AWSPREVIOUS (a later rotation): a new containment.
  expect(containStart({ v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] }, tags('v1', started), now)).toEqual({ kind: 'new' });
  expect(containStart({ v2: ['AWSCURRENT'] }, tags('v1', started), now)).toEqual({ kind: 'new' });
  // Older than the window, or an unreadable time: a new containment.
  const old = new Date(now.getTime() - CONTAIN_RESUME_WINDOW_MS - 1).toISOString();
  expect(containStart({ v1: ['AWSCURRENT'] }, tags('v1', old), now)).toEqual({ kind: 'new' });
  expect(containStart({ v1: ['AWSCURRENT'] }, tags('v1', 'yesterday'), now)).toEqual({ kind: 'new' });
});

test('containedNames: catalog order, each once; --all or names, not both, not neither', () => {
  expect(containedNames(['stripe-secret-key', 'AUTH_SECRET', 'auth-secret'], false)).toEqual(['AUTH_SECRET', 'STRIPE_SECRET_KEY']);
  expect(containedNames([], true)).toHaveLength(5);
  expect(() => containedNames(['AUTH_SECRET'], true)).toThrow('give either <secret...> or --all, not both');
  expect(() => containedNames([], false)).toThrow('name the leaked secret(s), or --all');
  expect(() => containedNames(['sk_live_not-a-name'], false)).toThrow(/what was given is not shown/);
});

test('the report: one row a secret, failures and what is left; exit 1 only when something failed', () => {
  const results: ContainResult[] = [
    {
      secret: 'DATABASE_URL',
      secretId: 'fleapo/prod/database-url',
      state: 'contained',
      containmentStarted: '2026-12-02T04:00:00.000Z',
      leakedValueLastServed: '2026-12-02T04:05:00.000Z',
      stoppedBeingAccepted: '2026-12-02T04:05:01.000Z',
      terminatedSessions: 2,
      operatorMustStillDo: [],
    },
    {
      secret: 'STRIPE_SECRET_KEY',
      secretId: 'fleapo/prod/stripe-secret-key',
      state: 'revoke-pending',
      operatorMustStillDo: ['revoke the leaked key now at https://dashboard.stripe.com/apikeys'],
    },
  ];
  expect(containExitCode(results)).toBe(0);
  const table = renderContainReport('prod', results);
  expect(table).toContain('DATABASE_URL       contained       2026-12-02T04:00:00.000Z  2026-12-02T04:05:00.000Z');
  expect(table).toContain('2026-12-02T04:05:01.000Z (2 session(s) ended)');
  expect(table).toContain('STRIPE_SECRET_KEY: still to do: revoke the leaked key now at https://dashboard.stripe.com/apikeys');
  const failed = [...results, { ...results[1], secret: 'POSTHOG_API_KEY' as const, state: 'failed' as const, failure: 'at step x: y' }];
  expect(containExitCode(failed)).toBe(1);
  expect(renderContainReport('prod', failed)).toContain('POSTHOG_API_KEY: FAILED at step x: y');
  expect(JSON.parse(containReportJson('prod', failed))).toMatchObject({ environment: 'prod', exitCode: 1 });
});
