import '../support/test-env';
import { handler as rotationHandler } from '../../lambda/database-url-rotation';
import { handler as retirementHandler } from '../../lambda/database-role-retirement';
import { TAG_RETIRED_DEPLOYMENT, TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import { AwsError } from '../support/aws-json-server';
import { deploymentEvent, invoker, scheduledEvent } from '../support/events';
import { RotationEvent } from '../support/fake-secrets-manager';
import { parseIntoClientConfig } from 'pg-connection-string';

import { Client } from 'pg';
import { urlLogsIn } from '../support/postgres-server';
import { BASE_ROLE, recordingErrors, RotationHarness } from '../support/rotation-harness';

// TLS required, as RDS runs them: a PostgreSQL that refuses plain text, its certificate from a CA trusted as
// NODE_EXTRA_CA_CERTS makes Lambda trust the RDS CAs, and DB_SSL=require.
const h = new RotationHarness(true, { tls: true });
const rotate = invoker(rotationHandler);
const retire = (event: unknown) => recordingErrors(h, () => retirementHandler(event));
let secretArn = '';

const current = () => h.sm.value(secretArn, 'AWSCURRENT')!;
const userOf = (url: string) => /^postgres:\/\/([^:]+):/.exec(url)?.[1];
/** The URL's query as written (`(none)` without one): after the user information, so it carries no password. */
const queryOf = (url: string) => (url.includes('?') ? url.slice(url.indexOf('?')) : '(none)');
/**
 * What pg (pg-connection-string) connects to with `url`, every key it reads but the password (never printed, only
 * whether there is one): the configured host, port, database and role, with TLS (sslmode=require: pg 8 verifies).
 */
function pgTargetOf(url: string): Record<string, unknown> {
  const { password, ...rest } = parseIntoClientConfig(url);
  return { ...rest, hasPassword: typeof password === 'string' && password.length > 0 };
}
const configuredTarget = (user: string) => ({
  host: '127.0.0.1',
  port: h.proxy.port,
  database: process.env.DB_NAME,
  user,
  sslmode: 'require',
  ssl: {},
  hasPassword: true,
});
const metricLines = (name: string) => h.capture.jsonLines().filter((l) => name in l && '_aws' in l);

beforeAll(async () => {
  await h.start();
  await h.createBaseRole();
  secretArn = h.sm.createSecret('fleapo/test/database-url', h.bootstrapJson());
  process.env.SECRET_ARN = secretArn;
});
afterAll(async () => {
  await h.stop();
});

test('the database takes TLS connections only (a plain-text login is refused), the functions run with DB_SSL=require', async () => {
  expect(process.env.DB_SSL).toBe('require');
  const plain = new Client({
    host: '127.0.0.1',
    port: h.pg.port,
    user: h.pg.masterUser,
    password: h.pg.masterPassword,
    database: 'postgres',
    ssl: false,
  });
  plain.on('error', () => undefined);
  // 28000: "no pg_hba.conf entry for host ..., no encryption"
  await expect(plain.connect()).rejects.toMatchObject({ code: '28000' });
  const master = await h.master();
  const { rows } = await master.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
  expect(rows).toEqual([{ ssl: true }]);
});

describe('DATABASE_URL rotation with alternating users and retirement', () => {
  test('first rotation turns the bootstrap JSON into a working URL for the base user', async () => {
    const result = await h.rotate(secretArn, rotate);
    expect(result).toMatchObject({ ok: true });
    const url = current();
    expect(userOf(url)).toBe(BASE_ROLE);
    expect(await urlLogsIn(url)).toBe(true);
    // Built from the configuration: what pg reads from it is the configured target, nothing else, with TLS
    // (DB_SSL=require here: the query is exactly sslmode=require). No assertion here prints the value.
    expect(pgTargetOf(url)).toEqual(configuredTarget(BASE_ROLE));
    expect(queryOf(url)).toBe('?sslmode=require');
    expect(h.ecs.rollCount).toBe(1);
    expect(h.sm.tags(secretArn)).toMatchObject({
      [TAG_ROLLOUT_VERSION]: result.token,
      [TAG_ROLLOUT_DEPLOYMENT]: h.ecs.primary.id,
      'fleapo:database-role': BASE_ROLE, // read by fleapo-secrets status (a name, no credential)
    });
    expect(h.sm.stages(secretArn)[result.token]).toEqual(['AWSCURRENT']);

    h.ecs.completeDeployment();
    await expect(retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', h.ecs.primary.id))).resolves.toEqual({
      outcome: 'nothing-to-retire',
    });
  });

  test('second rotation: old sessions keep working until retirement; retirement waits for them; the clone acts as the base role', async () => {
    const oldUrl = current();
    const oldTask = await h.openSession(oldUrl);
    const select = async () => (await oldTask.query('SELECT name FROM items WHERE id = 1')).rows[0].name;

    const duringRotation: string[] = [];
    const result = await h.rotate(secretArn, async (event) => {
      await rotate(event);
      duringRotation.push(await select());
    });
    expect(result).toMatchObject({ ok: true });
    expect(duringRotation).toEqual(['one', 'one', 'one', 'one']);

    const newUrl = current();
    expect(userOf(newUrl)).toBe(`${BASE_ROLE}_clone`);
    expect(pgTargetOf(newUrl)).toEqual(configuredTarget(`${BASE_ROLE}_clone`));
    expect(queryOf(newUrl)).toBe('?sslmode=require');
    expect(h.sm.tags(secretArn)['fleapo:database-role']).toBe(`${BASE_ROLE}_clone`);
    expect(h.ecs.rollCount).toBe(2);
    const newTask = await h.openSession(newUrl);
    expect((await newTask.query('SELECT name FROM items WHERE id = 1')).rows[0].name).toBe('one'); // privileges of the base role
    // What the clone creates belongs to the base role: the alternating roles never split ownership.
    await newTask.query('CREATE TABLE made_by_clone (id int)');
    const owner = await newTask.query("SELECT tableowner FROM pg_tables WHERE tablename = 'made_by_clone'");
    expect(owner.rows[0].tableowner).toBe(BASE_ROLE);
    await newTask.query('DROP TABLE made_by_clone');
    expect(await urlLogsIn(oldUrl)).toBe(true);

    // Deployment completed but an old task is still connected: refuse, warn, metric.
    h.ecs.completeDeployment();
    const deploymentId = h.ecs.primary.id;
    await expect(retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId))).resolves.toEqual({
      outcome: 'blocked',
    });
    expect(metricLines('RetirementBlocked')).toHaveLength(1);
    expect(metricLines('RetirementBlocked')[0]).toMatchObject({ Environment: 'test', RetirementBlocked: 1 });
    expect(await select()).toBe('one');
    expect(await urlLogsIn(oldUrl)).toBe(true);

    // Events for other services are ignored; any event of ours re-reads the state (which deployment it names does not matter).
    await expect(
      retire(deploymentEvent('arn:aws:ecs:us-east-1:111111111111:service/fleapo/other', 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId)),
    ).resolves.toEqual({ outcome: 'ignored' });
    await expect(retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', 'ecs-svc/1'))).resolves.toEqual({
      outcome: 'blocked',
    });
    expect(metricLines('RetirementBlocked')).toHaveLength(2);

    // The old task goes away; the scheduled tick retires the old role.
    await oldTask.end();
    await expect(retire(scheduledEvent())).resolves.toEqual({ outcome: 'retired' });
    expect(await urlLogsIn(oldUrl)).toBe(false);
    expect(h.sm.tags(secretArn)[TAG_RETIRED_DEPLOYMENT]).toBe(deploymentId);
    await expect(retire(scheduledEvent())).resolves.toEqual({ outcome: 'already-retired' });
    const master = await h.master();
    const role = await master.query('SELECT rolcanlogin, rolpassword IS NULL AS no_password FROM pg_authid WHERE rolname = $1', [
      BASE_ROLE,
    ]);
    expect(role.rows[0]).toEqual({ rolcanlogin: false, no_password: true });
    expect(await urlLogsIn(newUrl)).toBe(true);
    await newTask.end();
  });

  test('third rotation re-enables the retired role with a new password; a FAILED deployment never retires', async () => {
    const cloneUrl = current();
    const cloneTask = await h.openSession(cloneUrl);
    const result = await h.rotate(secretArn, rotate);
    expect(result).toMatchObject({ ok: true });
    const baseUrl = current();
    expect(userOf(baseUrl)).toBe(BASE_ROLE);
    expect(await urlLogsIn(baseUrl)).toBe(true);
    const newTask = await h.openSession(baseUrl);

    const deploymentId = h.ecs.primary.id;
    h.ecs.failDeployment(deploymentId);
    await expect(retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_FAILED', deploymentId))).resolves.toEqual({
      outcome: 'refused',
    });
    await expect(
      retire(
        deploymentEvent(
          h.ecs.serviceArn,
          'SERVICE_DEPLOYMENT_IN_PROGRESS',
          'ecs-svc/999',
          `ECS deployment circuit breaker: rolling back ${deploymentId}`,
        ),
      ),
    ).resolves.toEqual({ outcome: 'refused' });
    await cloneTask.end();
    await expect(retire(scheduledEvent())).resolves.toEqual({ outcome: 'refused' });
    expect(metricLines('RetirementRefused')).toHaveLength(3);
    expect(await urlLogsIn(cloneUrl)).toBe(true);
    await newTask.end();
  });

  test('setSecret refuses to re-password a role that still has sessions; the same rotation completes later', async () => {
    // AWSCURRENT is the base role, AWSPREVIOUS the clone (never retired above). A task still uses the clone.
    const cloneUrl = h.sm.value(secretArn, 'AWSPREVIOUS')!;
    const straggler = await h.openSession(cloneUrl);
    const before = current();
    const failed = await h.rotate(secretArn, rotate);
    expect(failed).toMatchObject({ ok: false, step: 'setSecret' });
    if (failed.ok) return;
    expect(failed.error.message).toMatch(new RegExp(`^Role ${BASE_ROLE}_clone still has 1 session\\(s\\) in pg_stat_activity`));
    expect(current() === before).toBe(true); // compared, not printed
    expect(await urlLogsIn(before)).toBe(true);
    expect((await straggler.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await expect(h.sm.rotate(secretArn, rotate)).rejects.toThrow("A previous rotation isn't complete");

    await straggler.end();
    const retried = await h.rotate(secretArn, rotate, failed.token);
    expect(retried).toMatchObject({ ok: true });
    expect(userOf(current())).toBe(`${BASE_ROLE}_clone`);
    expect(await urlLogsIn(current())).toBe(true);
  });
});

describe('idempotency and failures', () => {
  test('every step run twice in a row leaves the same state', async () => {
    const rollsBefore = h.ecs.rollCount;
    const result = await h.rotate(secretArn, async (event) => {
      await rotate(event);
      const once = h.snapshot(secretArn);
      const master = await h.master();
      const roles1 = (await master.query('SELECT rolname, rolcanlogin, rolpassword FROM pg_authid ORDER BY rolname')).rows;
      await rotate(event);
      const roles2 = (await master.query('SELECT rolname, rolcanlogin, rolpassword FROM pg_authid ORDER BY rolname')).rows;
      await master.end();
      expect(h.snapshot(secretArn)).toEqual(once);
      expect(JSON.stringify(roles2) === JSON.stringify(roles1)).toBe(true);
    });
    expect(result).toMatchObject({ ok: true });
    expect(h.ecs.rollCount).toBe(rollsBefore + 1);
  });

  type Injection = { name: string; step: string; arm: () => void; disarm?: () => void };
  const injections: Injection[] = [
    { name: 'Secrets Manager 500 on PutSecretValue', step: 'createSecret', arm: () => h.sm.server.failNext('PutSecretValue') },
    { name: 'Secrets Manager 500 on DescribeSecret', step: 'createSecret', arm: () => h.sm.server.failNext('DescribeSecret') },
    // The pending marker is written before the value: a retry generates, marks and stores again.
    {
      name: 'Secrets Manager 500 on TagResource (the pending marker)',
      step: 'createSecret',
      arm: () => h.sm.server.failNext('TagResource'),
    },
    {
      name: 'database unreachable',
      step: 'setSecret',
      arm: () => (h.proxy.refuseNewConnections = true),
      disarm: () => (h.proxy.refuseNewConnections = false),
    },
    { name: 'Secrets Manager 500 reading the master secret', step: 'setSecret', arm: () => h.sm.server.failNext('GetSecretValue', 3) },
    {
      name: 'database connect timeout',
      step: 'setSecret',
      arm: () => (h.proxy.blackholeNewConnections = true),
      disarm: () => (h.proxy.blackholeNewConnections = false),
    },
    {
      name: 'database unreachable',
      step: 'testSecret',
      arm: () => (h.proxy.refuseNewConnections = true),
      disarm: () => (h.proxy.refuseNewConnections = false),
    },
    {
      name: 'Secrets Manager 500 on UpdateSecretVersionStage',
      step: 'finishSecret',
      arm: () => h.sm.server.failNext('UpdateSecretVersionStage'),
    },
    { name: 'ECS UpdateService failure', step: 'finishSecret', arm: () => h.ecs.server.failNext('UpdateService') },
    {
      name: 'ECS ServiceNotFound',
      step: 'finishSecret',
      arm: () => h.ecs.server.failNext('UpdateService', 1, new AwsError('ServiceNotFoundException', 'Service not found.')),
    },
  ];

  test.each(injections)('$name in $step, then a retry of the whole rotation completes', async ({ step, arm, disarm }) => {
    const before = current();
    const rollsBefore = h.ecs.rollCount;
    const failing = async (event: RotationEvent) => {
      if (event.Step === step) arm();
      try {
        await rotate(event);
      } finally {
        disarm?.();
        h.sm.server.clearFailures();
        h.ecs.server.clearFailures();
      }
    };
    const failed = await h.rotate(secretArn, failing);
    expect(failed).toMatchObject({ ok: false, step });
    // AWSCURRENT always works; before finishSecret moved it, it is unchanged.
    expect(await urlLogsIn(current())).toBe(true);
    if (step !== 'finishSecret') expect(current() === before).toBe(true); // compared, not printed

    const retried = await h.rotate(secretArn, rotate, failed.token);
    expect(retried).toMatchObject({ ok: true });
    expect(current() === before).toBe(false); // compared, not printed
    expect(h.sm.versionIdOf(secretArn, 'AWSCURRENT')).toBe(failed.token);
    expect(h.sm.versionIdOf(secretArn, 'AWSPREVIOUS')).toBeDefined();
    expect(await urlLogsIn(current())).toBe(true);
    expect(h.ecs.rollCount).toBe(rollsBefore + 1);
    expect(h.sm.tags(secretArn)[TAG_ROLLOUT_VERSION]).toBe(failed.token);
    // A further retry after success changes nothing.
    const snapshot = h.snapshot(secretArn);
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      await rotate({ Step, SecretId: secretArn, ClientRequestToken: failed.token });
    }
    expect(h.snapshot(secretArn)).toEqual(snapshot);
  });
});

describe('malformed events are refused without a stage change', () => {
  const expectRefused = async (event: RotationEvent, message: RegExp, secretId = secretArn) => {
    const before = h.snapshot(secretId);
    const error = await rotate(event).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(message);
    h.capture.add(`${error?.message}\n`);
    expect(h.snapshot(secretId)).toEqual(before);
  };

  test('unknown step, unknown token, token without AWSPENDING', async () => {
    const currentToken = h.sm.versionIdOf(secretArn, 'AWSCURRENT')!;
    const previousToken = h.sm.versionIdOf(secretArn, 'AWSPREVIOUS')!;
    await expectRefused({ Step: 'dropSecret', SecretId: secretArn, ClientRequestToken: currentToken }, /unknown step "dropSecret"/);
    await expectRefused(
      { Step: 'createSecret', SecretId: secretArn, ClientRequestToken: 'no-such-version' },
      /version no-such-version is not a version of this secret/,
    );
    await expectRefused({ Step: 'setSecret', SecretId: secretArn, ClientRequestToken: previousToken }, /is not staged AWSPENDING/);
    await expectRefused({ Step: 'finishSecret', SecretId: secretArn, ClientRequestToken: previousToken }, /is not staged AWSPENDING/);
  });

  test('rotation disabled', async () => {
    const arn = h.sm.createSecret('fleapo/test/database-url-norotation', h.bootstrapJson(), { rotationEnabled: false });
    const token = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
    await expectRefused({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }, /rotation is not enabled/, arn);
  });

  test('AWSCURRENT that does not parse', async () => {
    const arn = h.sm.createSecret('fleapo/test/database-url-bad', 'mysql://app:NotAPostgresPassword1@127.0.0.1:3306/fleapo'); // secretlint-disable-line -- test fixture, not a credential
    const result = await h.rotate(arn, rotate);
    expect(result).toMatchObject({ ok: false, step: 'createSecret' });
    if (result.ok) return;
    expect(result.error.message).toBe(`Secret ${arn}: AWSCURRENT is not a postgres:// URL`);
    expect(h.sm.stages(arn)[result.token]).toEqual(['AWSPENDING']); // only the empty version RotateSecret made
    expect(h.sm.value(arn, 'AWSPENDING') === undefined).toBe(true); // no value printed
  });

  test.each(['MASTER_SECRET_ARN', 'ECS_CLUSTER', 'ECS_SERVICE', 'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_APP_USER'])(
    'missing %s is named at createSecret, before any stage change',
    async (name) => {
      const saved = process.env[name];
      delete process.env[name];
      try {
        const before = JSON.stringify(h.sm.stages(secretArn));
        const result = await h.rotate(secretArn, rotate);
        expect(result).toMatchObject({ ok: false, step: 'createSecret' });
        if (!result.ok) expect(result.error.message).toBe(`Missing required environment variable ${name}`);
        expect(h.sm.versionIdOf(secretArn, 'AWSCURRENT')).not.toBe(result.token);
        expect(h.sm.value(secretArn, 'AWSPENDING') === undefined).toBe(true); // no value printed
        process.env[name] = saved;
        expect(await h.rotate(secretArn, rotate, result.token)).toMatchObject({ ok: true });
        expect(before).not.toBe(JSON.stringify(h.sm.stages(secretArn)));
      } finally {
        process.env[name] = saved;
      }
    },
  );
});

test('no secret value appears in any log line or error message', () => {
  expect(h.sm.storedValues.length).toBeGreaterThan(10);
  expect(h.capture.jsonLines().length).toBeGreaterThan(50);
  expect(h.leaks()).toEqual([]);
});
