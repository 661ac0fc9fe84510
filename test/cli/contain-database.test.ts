import '../support/test-env';
import { handler as databaseHandler } from '../../lambda/database-url-rotation';
import { handler as retirementHandler } from '../../lambda/database-role-retirement';
import { deploymentEvent, invoker } from '../support/events';
import { FakeLambda } from '../support/fake-lambda';
import { urlLogsIn } from '../support/postgres-server';
import { BASE_ROLE, RotationHarness } from '../support/rotation-harness';
import { buildTestCli, configFile, runCli } from './cli-harness';

/**
 * `fleapo-secrets contain DATABASE_URL` when the last scheduled retirement is still blocked by a session on the
 * previous role (the role the containment's rotation must re-use): the containment finishes that retirement first,
 * rotates, and after the rollout retires the leaked role; every session on either old role is ended, none on the new.
 * This file's own PostgreSQL roles (FILE_ID), the built CLI, the real handlers.
 */
const h = new RotationHarness();
const lambda = new FakeLambda();
let cli: ReturnType<typeof buildTestCli>;

beforeAll(async () => {
  cli = buildTestCli();
  await Promise.all([h.start(), lambda.start()]);
  await h.createBaseRole();
});
afterAll(async () => {
  await h.sm.rotationsSettled();
  await Promise.all([h.stop(), lambda.stop()]);
  cli.remove();
});

test('a blocked retirement of the previous role is finished first, then the leaked role is retired after the rollout', async () => {
  const prefix = 'fleapo/containdb';
  const config = configFile(prefix, 'test');
  const arn = h.sm.createSecret(`${prefix}/database-url`, h.bootstrapJson());
  h.sm.setRotationInvoker(arn, invoker(databaseHandler));
  lambda.functions.set('fleapo-staging-database-role-retirement', async (event) => {
    process.env.SECRET_ARN = arn;
    return retirementHandler(event);
  });
  process.env.SECRET_ARN = arn;
  const rotate = () => h.rotate(arn, invoker(databaseHandler));

  expect(await rotate()).toMatchObject({ ok: true }); // bootstrap -> the base role
  h.ecs.completeDeployment();
  const previousUrl = h.sm.value(arn)!;
  const straggler = await h.openSession(previousUrl); // a session nobody closed
  straggler.on('error', () => undefined);
  expect(await rotate()).toMatchObject({ ok: true }); // -> the clone role: the value that leaks
  h.ecs.completeDeployment();
  await expect(retirementHandler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', h.ecs.primary.id))).resolves.toEqual({
    outcome: 'blocked',
  });
  const leakedUrl = h.sm.value(arn)!;
  const attacker = await h.openSession(leakedUrl);
  attacker.on('error', () => undefined);

  const rolls = h.ecs.rollCount;
  const run = runCli(h, cli.file, ['contain', 'DATABASE_URL', '--env', 'staging', '--poll-interval', '0.05'], '', {
    FLEAPO_CONFIG_FILE: config,
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
  });
  const until = Date.now() + 30_000;
  while (h.ecs.rollCount === rolls && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(h.ecs.rollCount).toBe(rolls + 1);
  h.ecs.completeDeployment();
  const { code, stdout, stderr } = await run.done;
  expect(code).toBe(0);
  expect(stderr).toContain(`DATABASE_URL: the previous role ${BASE_ROLE} was still enabled: retired now, 1 session(s) ended`);
  expect(stdout).toMatch(/^DATABASE_URL\s+contained\s.*\(1 session\(s\) ended\)$/m);
  await expect(straggler.query('SELECT 1')).rejects.toThrow();
  await expect(attacker.query('SELECT 1')).rejects.toThrow();
  const newUrl = h.sm.value(arn)!;
  expect(newUrl).toContain(`//${BASE_ROLE}:`); // the rotation re-used the base role, with a new password
  expect(await urlLogsIn(newUrl)).toBe(true);
  expect(await urlLogsIn(leakedUrl)).toBe(false);
  expect(await urlLogsIn(previousUrl)).toBe(false);
  expect(h.leaks()).toEqual([]);
});
