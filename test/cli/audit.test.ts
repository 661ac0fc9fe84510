import '../support/test-env';
import * as fs from 'node:fs';
import { FakeCloudTrail } from '../support/fake-cloudtrail';
import { RotationHarness } from '../support/rotation-harness';
import { buildTestCli, configFile, runCli } from './cli-harness';

/**
 * `fleapo-secrets audit` end to end: the built CLI in a child process against the CloudTrail double over HTTP
 * (AWS_ENDPOINT_URL_CLOUDTRAIL), whose event history holds records of the documented shapes: assumed-role sessions
 * (with and without invokedBy), an IAM user, an AWS service principal, a refused call, other secrets.
 */
const h = new RotationHarness(false);
const trail = new FakeCloudTrail('111111111111', 'us-east-1');
let cli: ReturnType<typeof buildTestCli>;
let config = '';
const PREFIX = 'fleapo/audit';
const BREAK_GLASS = 'arn:aws:iam::111111111111:role/fleapo-break-glass';
const arnOf = (suffix: string) => `arn:aws:secretsmanager:us-east-1:111111111111:secret:${PREFIX}/${suffix}-AbC123`;
const hoursAgo = (n: number) => new Date(Date.now() - n * 3_600_000);

beforeAll(async () => {
  cli = buildTestCli();
  await Promise.all([h.start(), trail.start()]);
  // The harness's complete team configuration, with a break-glass role.
  config = configFile(PREFIX);
  const team = JSON.parse(fs.readFileSync(config, 'utf8')) as { environments: { staging: Record<string, unknown> } };
  team.environments.staging.breakGlassRoleArn = BREAK_GLASS;
  fs.writeFileSync(config, JSON.stringify(team));

  const exec = (task: string) => trail.assumedRole('fleapo-staging-ecs-execution', task, 'ecs-tasks.amazonaws.com');
  // 62 task starts read AUTH_SECRET by its full ARN (more than one page of 50).
  for (let i = 0; i < 62; i++) trail.record('GetSecretValue', exec(`task-${i}`), { secretId: arnOf('auth-secret') }, hoursAgo(1 + i / 100));
  trail.record('GetSecretValue', exec('task-x'), { secretId: `${PREFIX}/database-url` }, hoursAgo(2));
  const fn = 'fleapo-staging-auth-secret-rotation';
  trail.record('PutSecretValue', trail.assumedRole(fn, fn), { secretId: arnOf('auth-secret'), versionStages: ['AWSPENDING'] }, hoursAgo(3));
  trail.record('RotateSecret', trail.awsService('secretsmanager.amazonaws.com'), { secretId: arnOf('auth-secret') }, hoursAgo(4));
  // The break-glass role by a partial ARN (no suffix).
  trail.record(
    'GetSecretValue',
    trail.assumedRole('fleapo-break-glass', 'alice@example.com'),
    { secretId: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${PREFIX}/database-url` },
    hoursAgo(5),
  );
  // Unexpected: an IAM user, the app's task role (refused), an SSO admin changing the resource policy, all days ago.
  trail.record('GetSecretValue', trail.iamUser('ci-bot'), { secretId: `${PREFIX}/stripe-secret-key` }, hoursAgo(50), {
    sourceIPAddress: '198.51.100.9',
  });
  trail.record(
    'GetSecretValue',
    trail.assumedRole('fleapo-staging-ecs-task', 'task-9'),
    { secretId: arnOf('posthog-api-key') },
    hoursAgo(51),
    {
      errorCode: 'AccessDenied',
    },
  );
  trail.record(
    'PutResourcePolicy',
    trail.assumedRole('AWSReservedSSO_AdministratorAccess_0123456789abcdef', 'bob'),
    { secretId: arnOf('auth-secret'), resourcePolicy: '{}' },
    hoursAgo(52),
    { secretArn: arnOf('auth-secret') },
  );
  // Not this environment's secrets: never listed.
  trail.record('GetSecretValue', trail.iamUser('someone'), { secretId: 'fleapo/prod/auth-secret' }, hoursAgo(6));
  trail.record('GetSecretValue', trail.iamUser('someone'), { secretId: `${PREFIX}/auth-secret-old` }, hoursAgo(6));
  // Outside a 7-day window.
  trail.record('GetSecretValue', trail.iamUser('old-reader'), { secretId: `${PREFIX}/auth-secret` }, hoursAgo(24 * 10));
});
afterAll(async () => {
  await Promise.all([h.stop(), trail.stop()]);
  cli.remove();
});

const audit = (args: string[]) =>
  runCli(h, cli.file, ['audit', '--env', 'staging', ...args], '', {
    FLEAPO_CONFIG_FILE: config,
    AWS_ENDPOINT_URL_CLOUDTRAIL: trail.endpoint,
  }).done;

interface Activity {
  id: string;
  type: string;
  via?: string;
  expected?: string;
  flagged: boolean;
  calls: Record<string, number>;
  denied: number;
  sessions: string[];
  sourceIps: string[];
}

test('groups a week of events by principal (sessions resolved to their role), flags exactly the unexpected ones, exit 5 (not 3: credentials)', async () => {
  const { code, stdout, stderr } = await audit(['--json']);
  expect(stderr).not.toMatch(/could not|error/i);
  expect(code).toBe(5);
  const report = JSON.parse(stdout) as { environment: string; principals: Activity[] };
  const by = Object.fromEntries(report.principals.map((p) => [p.id, p]));
  expect(report.principals.filter((p) => p.flagged).map((p) => p.id)).toEqual([
    'arn:aws:iam::111111111111:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef',
    'arn:aws:iam::111111111111:role/fleapo-staging-ecs-task',
    'arn:aws:iam::111111111111:user/ci-bot',
  ]);
  expect(
    report.principals
      .filter((p) => !p.flagged)
      .map((p) => p.id)
      .sort(),
  ).toEqual(
    [
      BREAK_GLASS,
      'arn:aws:iam::111111111111:role/fleapo-staging-auth-secret-rotation',
      'arn:aws:iam::111111111111:role/fleapo-staging-ecs-execution',
      'secretsmanager.amazonaws.com',
    ].sort(),
  );
  const exec = by['arn:aws:iam::111111111111:role/fleapo-staging-ecs-execution'];
  expect(exec).toMatchObject({ type: 'AssumedRole', via: 'ecs-tasks.amazonaws.com', flagged: false });
  expect(exec.calls).toEqual({ 'GetSecretValue AUTH_SECRET': 62, 'GetSecretValue DATABASE_URL': 1 });
  expect(exec.sessions).toHaveLength(63);
  expect(by[BREAK_GLASS]).toMatchObject({
    expected: 'the configured break-glass role',
    calls: { 'GetSecretValue DATABASE_URL': 1 },
    sessions: ['alice@example.com'],
  });
  expect(by['secretsmanager.amazonaws.com']).toMatchObject({ type: 'AWSService', calls: { 'RotateSecret AUTH_SECRET': 1 } });
  expect(by['arn:aws:iam::111111111111:role/fleapo-staging-ecs-task']).toMatchObject({
    denied: 1,
    calls: { 'GetSecretValue POSTHOG_API_KEY': 1 },
  });
  expect(by['arn:aws:iam::111111111111:user/ci-bot']).toMatchObject({ type: 'IAMUser', sourceIps: ['198.51.100.9'] });
  expect(by['arn:aws:iam::111111111111:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef'].calls).toEqual({
    'PutResourcePolicy AUTH_SECRET': 1,
  });
  expect(report.principals.some((p) => /someone|old-reader/.test(p.id))).toBe(false);

  // One query per audited event name, one attribute each, pages followed.
  const queries = trail.server.callsOf('LookupEvents');
  expect(queries.every((q) => !q.input.LookupAttributes || (q.input.LookupAttributes as unknown[]).length === 1)).toBe(true);
  expect(queries.filter((q) => q.input.NextToken !== undefined).length).toBeGreaterThanOrEqual(1);
});

test('the text report names each unexpected principal first; --since 1d: only the expected ones, exit 0; --since 30d reaches the old reader', async () => {
  const text = await audit([]);
  expect(text.code).toBe(5);
  expect(text.stdout).toMatch(/^Secrets of staging, \S+ to \S+: 7 principal\(s\), 3 unexpected/);
  expect(text.stdout.indexOf('UNEXPECTED arn:aws:iam::111111111111:user/ci-bot')).toBeGreaterThan(0);
  expect(text.stdout.indexOf('UNEXPECTED')).toBeLessThan(text.stdout.indexOf('ecs-execution'));

  const day = await audit(['--since', '1d', '--json']);
  expect(day.code).toBe(0);
  expect((JSON.parse(day.stdout) as { principals: Activity[] }).principals.every((p) => !p.flagged)).toBe(true);

  const month = await audit(['--since', '30d', '--json']);
  expect((JSON.parse(month.stdout) as { principals: Activity[] }).principals.map((p) => p.id)).toContain(
    'arn:aws:iam::111111111111:user/old-reader',
  );
});

test('bad --since is a usage error; CloudTrail refusing is exit 1 with its error named', async () => {
  const bad = await audit(['--since', '200d']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--since reaches back at most 90 days');
  trail.server.failNext(
    'LookupEvents',
    1,
    new (await import('../support/aws-json-server')).AwsError('AccessDeniedException', 'not allowed', 400),
  );
  const denied = await audit([]);
  expect(denied.code).toBe(1);
  expect(denied.stderr).toContain('could not read CloudTrail: AccessDeniedException: not allowed');
});
