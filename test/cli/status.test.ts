import { secretStatusFrom, renderStatus } from '../../lib/cli/commands/status';
import { rotationState } from '../../lib/cli/follow-rotation';
import { checkProfile, classifyAwsError, profileNames } from '../../lib/cli/cli-errors';
import { stagedLabelState } from '../../runtime/staging';
import { safeCommanderMessage } from '../../lib/cli/safe-errors';
import { closestName, parseSecretName, secretTarget } from '../../lib/cli/targets';
import { validateConfig } from '../../lib/config/validate-config';
import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { toTagValue } from '../../runtime/rollout-tags';
import { CommanderError } from 'commander';

const prod = validateConfig(EXAMPLE_CONFIG).environments.find((e) => e.name === 'prod')!;
const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));

test('secret names: the app variable or the suffix; the target comes from the configuration', () => {
  expect(parseSecretName('stripe-secret-key')).toBe('STRIPE_SECRET_KEY');
  expect(parseSecretName('Database_Url')).toBe('DATABASE_URL');
  expect(parseSecretName('sk_live_x')).toBeUndefined();
  expect(secretTarget(prod, 'STRIPE_SECRET_KEY')).toEqual({
    name: 'STRIPE_SECRET_KEY',
    secretId: 'fleapo/prod/stripe-secret-key',
    environment: 'prod',
    region: 'us-east-1',
    cluster: 'fleapo-prod',
    service: 'fleapo-web',
    external: { kind: 'stripe-secret-key', mode: 'live' },
  });
  expect(secretTarget(prod, 'AUTH_SECRET').external).toBeUndefined();
});

test("DATABASE_URL: the previous role is retired only when the retirement names the rotation's own deployment", () => {
  const target = secretTarget(prod, 'DATABASE_URL');
  const d = (t: Record<string, string>) => ({
    RotationEnabled: true,
    LastRotatedDate: new Date('2026-11-01T00:00:00Z'),
    NextRotationDate: new Date('2026-12-01T00:00:00Z'),
    VersionIdsToStages: { v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] },
    Tags: tags(t),
  });
  const rolled = { 'fleapo:rollout-version': 'v2', 'fleapo:rollout-deployment': 'ecs-svc/2' };
  expect(secretStatusFrom(target, d(rolled), []).previousRoleRetired).toBe(false);
  expect(secretStatusFrom(target, d({ ...rolled, 'fleapo:retired-deployment': 'ecs-svc/1' }), []).previousRoleRetired).toBe(false);
  const retired = secretStatusFrom(
    target,
    d({ ...rolled, 'fleapo:retired-deployment': 'ecs-svc/2', 'fleapo:database-role': 'fleapo_app_clone' }),
    [],
  );
  expect(retired).toMatchObject({
    previousRoleRetired: true,
    currentRole: 'fleapo_app_clone',
    previousRole: 'fleapo_app',
    rotation: 'complete',
    nextRotation: '2026-12-01T00:00:00.000Z',
  });
  const text = renderStatus('prod', [{ ...retired, versions: [] }]);
  expect(text).toContain('current role   fleapo_app_clone');
  expect(text).toContain('previous role  fleapo_app: retired (NOLOGIN)');
  expect(secretStatusFrom(secretTarget(prod, 'AUTH_SECRET'), d(rolled), []).previousRoleRetired).toBeUndefined();
});

test('a refusal record counts only for the version still AWSPENDING', () => {
  const view = (versionIdsToStages: Record<string, string[]>, refused: string) => ({
    versionIdsToStages,
    tags: { 'fleapo:refused-version': refused, 'fleapo:refusal': 'testSecret: Stripe rejected the key' },
  });
  expect(rotationState(view({ v1: ['AWSCURRENT'], v2: ['AWSPENDING'] }, 'v2'), 'v2')).toEqual({
    kind: 'refused',
    versionId: 'v2',
    reason: 'testSecret: Stripe rejected the key',
    currentMoved: false,
  });
  // The same version retried and finished: done, whatever was recorded before.
  expect(rotationState(view({ v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] }, 'v2'), 'v2')).toEqual({
    kind: 'done',
    versionId: 'v2',
    retried: 0,
  });
  // An older version's record does not concern this rotation.
  expect(rotationState(view({ v1: ['AWSCURRENT'], v3: ['AWSPENDING'] }, 'v2'), 'v3')).toEqual({ kind: 'running', currentMoved: false });
  // The finish step of a version already AWSCURRENT failed: Secrets Manager retries it, not final.
  const finish = {
    versionIdsToStages: { v2: ['AWSCURRENT', 'AWSPENDING'], v1: ['AWSPREVIOUS'] },
    tags: {
      'fleapo:refused-version': 'v2',
      'fleapo:refusal': 'finishSecret: Rate exceeded',
      'fleapo:refused-at': '2026-01-01T00:00:00.000Z',
    },
  };
  expect(rotationState(finish, 'v2')).toEqual({
    kind: 'retrying',
    reason: 'finishSecret: Rate exceeded',
    failedAt: '2026-01-01T00:00:00.000Z',
    currentMoved: true,
  });
  // (A record without fleapo:refusal-final, from a function deployed before it: a failure before AWSCURRENT moved is final.)
  expect(rotationState(view({ v1: ['AWSCURRENT'], v2: ['AWSPENDING'] }, 'v2'), 'v2').kind).toBe('refused');
  // The function says whether a retry can mend it, at any step.
  const flagged = (final: string, reason: string, versionIdsToStages: Record<string, string[]>) => ({
    versionIdsToStages,
    tags: { 'fleapo:refused-version': 'v2', 'fleapo:refusal': reason, 'fleapo:refused-at': 'T', 'fleapo:refusal-final': final },
  });
  const before = { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] };
  expect(rotationState(flagged('false', 'testSecret: Stripe at api answered HTTP 503', before), 'v2')).toEqual({
    kind: 'retrying',
    reason: 'testSecret: Stripe at api answered HTTP 503',
    failedAt: 'T',
    currentMoved: false,
  });
  expect(rotationState(flagged('true', 'testSecret: Stripe rejected the key', before), 'v2').kind).toBe('refused');
  expect(rotationState(flagged('true', 'finishSecret: x', finish.versionIdsToStages), 'v2')).toMatchObject({
    kind: 'refused',
    currentMoved: true,
  });
  const target = secretTarget(prod, 'STRIPE_SECRET_KEY');
  const status = secretStatusFrom(
    target,
    {
      RotationEnabled: true,
      VersionIdsToStages: { v1: ['AWSCURRENT'], v3: ['AWSPENDING'] },
      Tags: tags({ 'fleapo:refused-version': 'v2', 'fleapo:refusal': 'x' }),
    },
    [],
  );
  expect(status).toMatchObject({ rotation: 'in-progress', pendingVersion: 'v3' });
  expect(status.refusal).toBeUndefined();
});

test('a refusal reason fits a tag value (256 characters of the allowed set)', () => {
  const value = toTagValue(`testSecret: Stripe rejected the key (HTTP 401, "quoted"): it's wrong; ${'x'.repeat(400)}`);
  expect(value).toMatch(/^testSecret: Stripe rejected the key HTTP 401 quoted : it s wrong x+$/);
  expect(value.length).toBe(256);
  expect(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(value)).toBe(true);
});

test('commander errors are told without the refused argument', () => {
  const key = ['sk', 'live', 'x'.repeat(24)].join('_');
  const e = (code: string, message: string) => new CommanderError(1, code, message);
  const cases = [
    e('commander.unknownOption', `error: unknown option '--${key}'`),
    e('commander.unknownOption', `error: unknown option '--key=${key}'`),
    e('commander.unknownCommand', `error: unknown command '${key}'`),
    e('commander.excessArguments', `error: too many arguments for 'stage'. Expected 1 argument but got 2.`),
    e('commander.invalidArgument', `error: option '--timeout <seconds>' argument '${key}' is invalid.`),
  ];
  for (const c of cases) expect(safeCommanderMessage(c).includes(key)).toBe(false);
  expect(safeCommanderMessage(e('commander.unknownOption', "error: unknown option '--enviroment'"))).toBe('unknown option --enviroment');
  expect(safeCommanderMessage(e('commander.unknownOption', "error: unknown option '--key=abc'"))).toBe('unknown option --key');
});

test('the staged label: waiting for a rotation, or left over on a value that is already current', () => {
  const created = (m: Record<string, number>) => (id: string) => m[id];
  const finishFailed = { 'fleapo:refused-version': 'v2', 'fleapo:refusal': 'finishSecret: ecs:UpdateService denied' };
  // The rotation v2 took s's value and its finish step failed before it removed the label: left over.
  expect(
    stagedLabelState(
      { v2: ['AWSCURRENT', 'AWSPENDING'], s: ['FLEAPO_STAGED'], v1: ['AWSPREVIOUS'] },
      finishFailed,
      created({ s: 1, v2: 2 }),
    ),
  ).toEqual({ versionId: 's', state: 'current' });
  // A value staged after that rotation started waits for its own.
  expect(stagedLabelState({ v2: ['AWSCURRENT'], s: ['FLEAPO_STAGED'] }, finishFailed, created({ v2: 2, s: 3 }))).toEqual({
    versionId: 's',
    state: 'waiting',
  });
  // No failed finish step of the current version recorded: nothing says its value is s's.
  expect(stagedLabelState({ v2: ['AWSCURRENT'], s: ['FLEAPO_STAGED'] }, {}, created({ s: 1, v2: 2 }))?.state).toBe('waiting');
  // On the current version itself.
  expect(stagedLabelState({ v2: ['AWSCURRENT', 'FLEAPO_STAGED'] }, {}, created({}))).toEqual({ versionId: 'v2', state: 'current' });
  expect(stagedLabelState({ v2: ['AWSCURRENT'] }, {}, created({}))).toBeUndefined();
});

test('--env suggestions name a configured environment only, when one is close', () => {
  expect(closestName('stagin', ['staging', 'prod'])).toBe('staging');
  expect(closestName('PROD', ['staging', 'prod'])).toBe('prod');
  expect(closestName('prdo', ['staging', 'prod'])).toBe('prod');
  expect(closestName('st', ['staging', 'prod'])).toBe('staging');
  expect(closestName('qa', ['staging', 'prod'])).toBeUndefined();
  expect(closestName(['sk', 'live', 'x'.repeat(24)].join('_'), ['staging', 'prod'])).toBeUndefined();
});

test('profiles of the shared files; errors that stop a command are classified once, with a hint', () => {
  expect(profileNames('[default]\n[profile ops]\nregion=x\n[sso-session corp]\n[ profile  dev ]\n')).toEqual(['default', 'ops', 'dev']);
  const noCreds = classifyAwsError(
    Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
    {},
  );
  expect(noCreds).toMatchObject({ cause: 'credentials', exitCode: 3 });
  expect(noCreds!.hint).toContain('aws sso login');
  expect(classifyAwsError(Object.assign(new Error('Request aborted'), { name: 'AbortError' }), { timeoutSeconds: 10 })).toMatchObject({
    cause: 'timeout',
    message: 'AWS did not answer within --timeout 10 s',
    exitCode: 4,
  });
  expect(classifyAwsError(Object.assign(new Error('x'), { name: 'ResourceNotFoundException' }), {})).toBeUndefined();
  const key = ['sk', 'live', 'x'.repeat(24)].join('_');
  expect(() => checkProfile(key, { HOME: '/nonexistent', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' })).toThrow(
    /^--profile \(not shown\): no such profile/,
  );
});
