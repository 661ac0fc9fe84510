import '../support/test-env';
import { PutSecretValueCommand, TagResourceCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { handler as retirementHandler } from '../../lambda/database-role-retirement';
import { handler as rotationHandler } from '../../lambda/database-url-rotation';
import { TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import { pendingMarkerTag } from '../../lambda/rotation/pending-marker';
import { deploymentEvent, invoker } from '../support/events';
import { RotationEvent } from '../support/fake-secrets-manager';
import { PasswordTrap } from '../support/password-trap';
import { connect, urlLogsIn } from '../support/postgres-server';
import { BASE_ROLE, DATABASE, fileRole, recordingErrors, RotationHarness } from '../support/rotation-harness';

/*
 * The database functions trust the configuration (DB_HOST, DB_PORT, DB_NAME, DB_APP_USER), not the secret they
 * rotate. Against a real PostgreSQL and a hostile listener that asks every client for its password in the clear:
 * a secret naming another host, port or database, another role, or the master user is refused with an error that
 * names the problem; nothing changes (secret stages, database roles) and nothing reaches the other host.
 */
const h = new RotationHarness();
const trap = new PasswordTrap();
const rotate = invoker(rotationHandler);
const retire = (event: unknown) => recordingErrors(h, () => retirementHandler(event));
const INTRUDER = fileRole('intruder');
const intruderPassword = 'Intruder-pw-' + Math.random().toString(36).slice(2, 12);

const url = (user: string, password: string, port: number, database = DATABASE) =>
  `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
const password = () => `pw-${Math.random().toString(36).slice(2, 14)}-${Date.now()}`;
const json = (fields: Record<string, unknown>) =>
  JSON.stringify({ password: password(), host: '127.0.0.1', port: h.proxy.port, dbname: DATABASE, ...fields });

/** pg_authid as a comparable string (holds SCRAM verifiers, never plaintext; compared, never printed). */
async function roles(): Promise<string> {
  const master = await h.master();
  const rows = (await master.query('SELECT rolname, rolcanlogin, rolpassword FROM pg_authid ORDER BY rolname')).rows;
  return JSON.stringify(rows);
}

/** Runs a whole rotation of a fresh secret holding `value`; it must fail at `step` and change nothing. */
async function expectRotationRefused(
  value: string,
  step: string,
  message: RegExp,
  invoke: (e: RotationEvent) => Promise<void> = rotate,
): Promise<string> {
  const arn = h.sm.createSecret(`fleapo/test/database-url-${Math.random().toString(36).slice(2, 8)}`, value);
  const rolesBefore = await roles();
  const current = h.sm.value(arn, 'AWSCURRENT');
  const rolls = h.ecs.rollCount;
  const result = await h.rotate(arn, invoke);
  expect(result).toMatchObject({ ok: false, step });
  if (!result.ok) expect(result.error.message).toMatch(message);
  expect(h.sm.value(arn, 'AWSCURRENT') === current).toBe(true);
  expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).not.toBe(result.token);
  expect((await roles()) === rolesBefore).toBe(true);
  expect(h.ecs.rollCount).toBe(rolls);
  return arn;
}

beforeAll(async () => {
  await h.start();
  await trap.start();
  await h.createBaseRole();
  h.extraSecrets.push(intruderPassword);
  const master = await h.master();
  await master.query(`CREATE ROLE ${INTRUDER} LOGIN PASSWORD '${intruderPassword}'`);
});
afterAll(async () => {
  await trap.stop();
  await h.stop();
});

test('the trap catches a password sent to it (so a trap that stays empty means nothing was sent)', async () => {
  const probe = password();
  await expect(connect({ host: '127.0.0.1', port: trap.port, user: 'probe', password: probe, database: DATABASE })).rejects.toThrow(
    /password authentication failed/,
  );
  expect(trap.passwords.includes(probe)).toBe(true);
  expect(trap.receivedAny(probe)).toBe(true);
  trap.connections = 0;
  trap.passwords.length = 0;
  trap.users.length = 0;
});

describe('a secret naming another database target is refused, and the master password never leaves for it', () => {
  test('bootstrap JSON naming another port (the hostile listener): refused at createSecret, nothing sent anywhere', async () => {
    await expectRotationRefused(
      json({ username: BASE_ROLE, port: trap.port }),
      'createSecret',
      new RegExp(
        `AWSCURRENT points at database 127\\.0\\.0\\.1:${trap.port}/${DATABASE}, not the configured 127\\.0\\.0\\.1:${h.proxy.port}/${DATABASE} \\(DB_HOST, DB_PORT, DB_NAME\\)`,
      ),
    );
    expect(trap.connections).toBe(0);
    expect(trap.receivedAny(h.pg.masterPassword)).toBe(false);
  });

  test('a URL naming another port, host or database: refused at createSecret', async () => {
    await expectRotationRefused(
      url(BASE_ROLE, password(), trap.port),
      'createSecret',
      new RegExp(`AWSCURRENT points at database 127\\.0\\.0\\.1:\\d+/${DATABASE}, not the configured`),
    );
    await expectRotationRefused(
      `postgres://${BASE_ROLE}:${password()}@localhost:${h.proxy.port}/${DATABASE}`,
      'createSecret',
      new RegExp(`AWSCURRENT points at database localhost:${h.proxy.port}/${DATABASE}, not the configured 127\\.0\\.0\\.1`),
    );
    // The same server, another database: the master's session would act there.
    await expectRotationRefused(
      url(BASE_ROLE, password(), h.proxy.port, 'postgres'),
      'createSecret',
      /AWSCURRENT points at database 127\.0\.0\.1:\d+\/postgres, not the configured/,
    );
    expect(trap.connections).toBe(0);
  });

  test('a URL naming the configured target whose query points pg elsewhere, in plain text: refused, nothing sent', async () => {
    // pg (pg-connection-string) lets host, port and sslmode in the query override the URL: the app would send its
    // password, and the next rotation's new one, to the listener in plain text.
    const redirect = `?host=127.0.0.1&port=${trap.port}&sslmode=disable`;
    await expectRotationRefused(
      `${url(BASE_ROLE, password(), h.proxy.port)}${redirect}`,
      'createSecret',
      /AWSCURRENT is refused: its query key\(s\) host, port, sslmode \(the configuration asks for no query\)/,
    );
    await expectRotationRefused(
      `${url(`${BASE_ROLE}_clone`, password(), h.proxy.port)}?options=-c%20role%3Dpostgres`,
      'createSecret',
      /AWSCURRENT is refused: its query key\(s\) options/,
    );
    expect(trap.connections).toBe(0);
  });

  test('an AWSPENDING written by hand to point at the hostile listener: setSecret refuses before any login', async () => {
    const sm = h.sm.sdkClient();
    // The writer of the secret stages its own AWSPENDING before the function's createSecret runs.
    const hostile = async (event: RotationEvent) => {
      if (event.Step === 'createSecret') {
        // Even marked as the rotation's own (which only the rotation role can tag), the target check refuses it.
        const value = url(BASE_ROLE, password(), trap.port);
        const Tags = Object.entries(pendingMarkerTag(event.ClientRequestToken, value)).map(([Key, Value]) => ({ Key, Value }));
        await sm.send(new TagResourceCommand({ SecretId: event.SecretId, Tags }));
        await sm.send(
          new PutSecretValueCommand({
            SecretId: event.SecretId,
            ClientRequestToken: event.ClientRequestToken,
            SecretString: value,
            VersionStages: ['AWSPENDING'],
          }),
        );
      }
      await rotate(event);
    };
    await expectRotationRefused(
      json({ username: BASE_ROLE }),
      'setSecret',
      new RegExp(`AWSPENDING points at database 127\\.0\\.0\\.1:\\d+/${DATABASE}, not the configured`),
      hostile,
    );
    sm.destroy();
    expect(trap.connections).toBe(0);
    expect(trap.receivedAny(h.pg.masterPassword)).toBe(false);
  });
});

describe('AWSPENDING belongs to the rotation', () => {
  test("an operator's AWSPENDING for the alternate role with a password of their choosing, then setSecret: refused, the role's password unchanged", async () => {
    // A completed first rotation: AWSCURRENT is the base role's URL; the alternate role exists with a password of the rotation's.
    const arn = h.sm.createSecret(`fleapo/test/database-url-own-${Math.random().toString(36).slice(2, 8)}`, h.bootstrapJson());
    expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true });
    h.ecs.completeDeployment();
    expect(await h.rotate(arn, rotate)).toMatchObject({ ok: true });
    h.ecs.completeDeployment();
    const current = h.sm.value(arn)!;
    const alternate = current.includes(`://${BASE_ROLE}_clone:`) ? BASE_ROLE : `${BASE_ROLE}_clone`;
    const chosen = password();
    h.extraSecrets.push(chosen);
    const rolesBefore = await roles();
    const sm = h.sm.sdkClient();
    const token = `operator-${Math.random().toString(36).slice(2, 10)}`;
    await sm.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: url(alternate, chosen, h.proxy.port),
        VersionStages: ['AWSPENDING'],
      }),
    );
    const error = await rotate({ Step: 'setSecret', SecretId: arn, ClientRequestToken: token }).then(
      () => undefined,
      (e: Error) => e,
    );
    h.capture.add(`${error?.message}\n`);
    expect(error?.message).toBe(
      `Secret ${arn}: the AWSPENDING value of version ${token} was not created by this rotation (no matching fleapo:pending marker): refused; remove that AWSPENDING (fleapo-secrets roll-current) and rotate again`,
    );
    await expect(rotate({ Step: 'finishSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(
      'not created by this rotation',
    );
    expect((await roles()) === rolesBefore).toBe(true);
    expect(await urlLogsIn(url(alternate, chosen, h.proxy.port))).toBe(false);
    expect(h.sm.value(arn) === current).toBe(true);
    // The same value written into the version of a rotation in progress, before its createSecret: refused there.
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }));
    const preStaged = async (event: RotationEvent) => {
      if (event.Step === 'createSecret') {
        await sm.send(
          new PutSecretValueCommand({
            SecretId: arn,
            ClientRequestToken: event.ClientRequestToken,
            SecretString: url(alternate, chosen, h.proxy.port),
            VersionStages: ['AWSPENDING'],
          }),
        );
      }
      await rotate(event);
    };
    const result = await h.rotate(arn, preStaged);
    expect(result).toMatchObject({ ok: false, step: 'createSecret' });
    if (!result.ok) expect(result.error.message).toContain('was not created by this rotation');
    expect((await roles()) === rolesBefore).toBe(true);
    expect(await urlLogsIn(url(alternate, chosen, h.proxy.port))).toBe(false);
    sm.destroy();
    // Leave the roles as the other tests expect them (the base role only, NOLOGIN).
    const master = await h.master();
    await master.query(`DROP ROLE ${BASE_ROLE}_clone`);
    await master.query(`ALTER ROLE ${BASE_ROLE} NOLOGIN PASSWORD NULL`);
  });
});

describe('only the application role and its alternate, never the master user', () => {
  test('another role in the secret: refused, that role keeps its password', async () => {
    await expectRotationRefused(
      url(INTRUDER, intruderPassword, h.proxy.port),
      'createSecret',
      new RegExp(
        `AWSCURRENT names role ${INTRUDER}, which is neither the application role ${BASE_ROLE} nor ${BASE_ROLE}_clone \\(DB_APP_USER\\): refused`,
      ),
    );
    await expectRotationRefused(
      json({ username: INTRUDER }),
      'createSecret',
      new RegExp(`AWSCURRENT names role ${INTRUDER}, which is neither`),
    );
    expect(await urlLogsIn(url(INTRUDER, intruderPassword, h.proxy.port))).toBe(true);
  });

  test('the master user in the secret: refused, the master password is unchanged', async () => {
    await expectRotationRefused(
      json({ username: h.pg.masterUser }),
      'createSecret',
      new RegExp(`AWSCURRENT names role postgres, which is neither the application role ${BASE_ROLE} nor ${BASE_ROLE}_clone`),
    );
    await expectRotationRefused(
      url(h.pg.masterUser, h.pg.masterPassword, h.proxy.port),
      'createSecret',
      /AWSCURRENT names role postgres, which is neither/,
    );
    expect(await urlLogsIn(url(h.pg.masterUser, h.pg.masterPassword, h.proxy.port))).toBe(true);
  });

  test('an application role configured as the master user (DB_APP_USER=postgres): refused, naming the master user', async () => {
    process.env.DB_APP_USER = h.pg.masterUser;
    try {
      await expectRotationRefused(
        json({ username: h.pg.masterUser }),
        'createSecret',
        /The master user postgres of arn:aws:secretsmanager:[^ ]+ is one of the application roles postgres, postgres_clone \(DB_APP_USER\): refusing to use the master user as an application role/,
      );
      // The other role of such a pair would have the master user as its alternate: refused too.
      await expectRotationRefused(
        json({ username: `${h.pg.masterUser}_clone` }),
        'createSecret',
        /refusing to use the master user as an application role/,
      );
    } finally {
      process.env.DB_APP_USER = BASE_ROLE;
    }
    expect(await urlLogsIn(url(h.pg.masterUser, h.pg.masterPassword, h.proxy.port))).toBe(true);
  });
});

describe('the retirement retires only the other application role, on the configured database', () => {
  /** A secret whose AWSPREVIOUS is `previous` and AWSCURRENT `current`, its rollout recorded and completed. */
  async function retirementOf(previous: string, current: string) {
    const arn = h.sm.createSecret(`fleapo/test/database-url-r-${Math.random().toString(36).slice(2, 8)}`, previous);
    const sm = h.sm.sdkClient();
    await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: current, VersionStages: ['AWSCURRENT'] }));
    // A rollout of the current value that ECS reports rolled out everywhere (so the retirement goes on to the database).
    const rollout = h.ecs.deployNewRevision();
    h.ecs.completeDeployment(rollout.id);
    const deploymentId = rollout.id;
    await sm.send(
      new TagResourceCommand({
        SecretId: arn,
        Tags: [
          { Key: TAG_ROLLOUT_VERSION, Value: h.sm.versionIdOf(arn, 'AWSCURRENT')! },
          { Key: TAG_ROLLOUT_DEPLOYMENT, Value: deploymentId },
          { Key: 'fleapo:rollout-created-at', Value: new Date(rollout.createdAt).toISOString() },
        ],
      }),
    );
    sm.destroy();
    process.env.SECRET_ARN = arn;
    const rolesBefore = await roles();
    const tagsBefore = h.sm.tags(arn);
    const error = await retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect((await roles()) === rolesBefore).toBe(true);
    expect(h.sm.tags(arn)).toEqual(tagsBefore);
    return error?.message;
  }

  test('AWSPREVIOUS naming the master user or another role: refused, both keep their login', async () => {
    const current = url(BASE_ROLE, password(), h.proxy.port);
    expect(await retirementOf(url(h.pg.masterUser, password(), h.proxy.port), current)).toMatch(
      new RegExp(
        `AWSPREVIOUS names role postgres, which is neither the application role ${BASE_ROLE} nor ${BASE_ROLE}_clone \\(DB_APP_USER\\): refused`,
      ),
    );
    expect(await retirementOf(json({ username: INTRUDER }), current)).toMatch(
      new RegExp(`AWSPREVIOUS names role ${INTRUDER}, which is neither`),
    );
    expect(await urlLogsIn(url(h.pg.masterUser, h.pg.masterPassword, h.proxy.port))).toBe(true);
    expect(await urlLogsIn(url(INTRUDER, intruderPassword, h.proxy.port))).toBe(true);
  });

  test('AWSCURRENT naming the hostile listener: refused, the master password never reaches it', async () => {
    const message = await retirementOf(url(`${BASE_ROLE}_clone`, password(), h.proxy.port), url(BASE_ROLE, password(), trap.port));
    expect(message).toMatch(new RegExp(`AWSCURRENT points at database 127\\.0\\.0\\.1:\\d+/${DATABASE}, not the configured`));
    expect(trap.connections).toBe(0);
    expect(trap.receivedAny(h.pg.masterPassword)).toBe(false);
  });

  test('an application role configured as the master user: refused before any login', async () => {
    process.env.DB_APP_USER = h.pg.masterUser;
    try {
      const message = await retirementOf(
        url(h.pg.masterUser, password(), h.proxy.port),
        url(`${h.pg.masterUser}_clone`, password(), h.proxy.port),
      );
      expect(message).toMatch(/refusing to use the master user as an application role/);
    } finally {
      process.env.DB_APP_USER = BASE_ROLE;
    }
    expect(await urlLogsIn(url(h.pg.masterUser, h.pg.masterPassword, h.proxy.port))).toBe(true);
  });

  test('a legitimate pair on the configured database still retires the other role', async () => {
    // Control: the refusals above are about the target and the role, not a retirement that cannot work at all.
    const master = await h.master();
    const clonePassword = password();
    h.extraSecrets.push(clonePassword);
    await master.query(`CREATE ROLE ${BASE_ROLE}_clone LOGIN PASSWORD '${clonePassword}' IN ROLE ${BASE_ROLE}`);
    const appPassword = password();
    h.extraSecrets.push(appPassword);
    await master.query(`ALTER ROLE ${BASE_ROLE} LOGIN PASSWORD '${appPassword}'`);
    const task = await h.openSession(url(`${BASE_ROLE}_clone`, clonePassword, h.proxy.port));
    const arn = h.sm.createSecret(`fleapo/test/database-url-ok`, url(BASE_ROLE, appPassword, h.proxy.port));
    const sm = h.sm.sdkClient();
    await sm.send(
      new PutSecretValueCommand({
        SecretId: arn,
        SecretString: url(`${BASE_ROLE}_clone`, clonePassword, h.proxy.port),
        VersionStages: ['AWSCURRENT'],
      }),
    );
    const rollout = h.ecs.deployNewRevision();
    h.ecs.completeDeployment(rollout.id);
    await sm.send(
      new TagResourceCommand({
        SecretId: arn,
        Tags: [
          { Key: TAG_ROLLOUT_VERSION, Value: h.sm.versionIdOf(arn, 'AWSCURRENT')! },
          { Key: TAG_ROLLOUT_DEPLOYMENT, Value: rollout.id },
          { Key: 'fleapo:rollout-created-at', Value: new Date(rollout.createdAt).toISOString() },
        ],
      }),
    );
    sm.destroy();
    process.env.SECRET_ARN = arn;
    await expect(retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', rollout.id))).resolves.toEqual({
      outcome: 'retired',
    });
    expect(await urlLogsIn(url(BASE_ROLE, appPassword, h.proxy.port))).toBe(false);
    await task.end();
  });
});

test('nothing reached the hostile listener, and no secret value appears in any output', () => {
  expect(trap.connections).toBe(0);
  expect(trap.users).toEqual([]);
  expect(trap.passwords).toHaveLength(0);
  expect(h.leaks()).toEqual([]);
});
