import '../support/test-env';
import type * as http from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { SECRET_NAMES } from '../../catalog/secrets';
import { handler as externalHandler } from '../../lambda/external-secret-rotation';
import { main } from '../../lib/cli/main';
import { findSecretValue } from '../../lib/guardrails/secret-patterns';
import { configFile, waitFor, withEnv } from '../cli/cli-harness';
import { invoker } from '../support/events';
import { fakeExternal } from '../support/external-fakes';
import { LocalHttpServer } from '../support/local-http-server';
import { RotationHarness } from '../support/rotation-harness';
import { resourcesOfType, synthesizeApp } from './synthesized-app';
import { newResendKey } from '../fixtures/sixth-issuer/keys';

/**
 * The whole app with a sixth issuer-created secret: the fixture's catalog line (test/fixtures/sixth-issuer/) in the
 * catalog module and its issuer file in the registry module, every other module the shipped one, unchanged. The app
 * synthesizes it (secret, injection, rotation function, revoke notice; guardrails and validation on), the rotation
 * function's shipped handler rotates it against its issuer's double, and the operator CLI (in this process) stages it.
 */
jest.mock('../../catalog/secrets', () => {
  const actual = jest.requireActual('../../catalog/secrets');
  const { SIXTH_CATALOG_LINE } = jest.requireActual('../fixtures/sixth-issuer/catalog-line');
  const SECRETS = { ...actual.SECRETS, ...SIXTH_CATALOG_LINE };
  return { ...actual, SECRETS, ...actual.deriveCatalog(SECRETS) };
});
jest.mock('../../runtime/issuers/registry', () => {
  const actual = jest.requireActual('../../runtime/issuers/registry');
  const { resend } = jest.requireActual('../fixtures/sixth-issuer/resend');
  const ISSUERS = { ...actual.ISSUERS, resend };
  return { ...actual, ISSUERS, SHIPPED_ISSUERS: { secrets: actual.SHIPPED_ISSUERS.secrets, issuers: ISSUERS } };
});

/** The fixture issuer's API on 127.0.0.1: `GET /domains` answers 200 for a known key, else 401 (quoting the key). */
class FakeResend extends LocalHttpServer {
  readonly keys = new Set<string>();
  protected respond(req: http.IncomingMessage, _body: string, res: http.ServerResponse): void {
    const key = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    const status = req.url === '/domains' && this.keys.has(key) ? 200 : 401;
    const text = JSON.stringify(status === 200 ? { data: [] } : { message: `API key ${key} is invalid` });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

const h = new RotationHarness(false);
const api = new FakeResend();

function resendKey(): string {
  const value = newResendKey();
  h.extraSecrets.push(value);
  return value;
}

/** `fleapo-secrets` in this process (so it sees the sixth secret), `stdin` piped in; output kept for the leak check. */
async function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  let [out, err] = ['', ''];
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(args, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: Readable.from([stdin]) as unknown as NodeJS.ReadStream,
  });
  h.capture.add(`${args.join(' ')}\n${out}\n${err}\n`);
  return { code, stdout: out, stderr: err };
}

beforeAll(async () => {
  await Promise.all([h.start(), api.start()]);
});
afterAll(async () => {
  await h.sm.rotationsSettled();
  await Promise.all([h.stop(), api.stop()]);
});

test('the catalog module holds the sixth secret, and the shipped guardrails scan knows its prefix', () => {
  expect(SECRET_NAMES).toEqual([
    'AUTH_SECRET',
    'DATABASE_URL',
    'STRIPE_SECRET_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'POSTHOG_API_KEY',
    'RESEND_API_KEY',
  ]);
  expect(findSecretValue(`key=${resendKey()}`)?.id).toBe('resend-api-key');
});

test('the app synthesizes it: its secret, its injection, its rotation function and its place in the revoke notice', () => {
  const template = synthesizeApp({ context: {} })['Fleapo-staging'];
  const secrets = Object.entries(resourcesOfType(template, 'AWS::SecretsManager::Secret'));
  const [secretId] = secrets.find(([, r]) => r.Properties.Name === 'fleapo/staging/resend-api-key') ?? [];
  expect(secretId).toBeDefined();

  const functions = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).map((f) => f.Properties);
  const rotation = functions.find((f) => f.Environment?.Variables?.EXTERNAL_SECRET_NAME === 'RESEND_API_KEY');
  expect(rotation?.FunctionName).toBe('fleapo-staging-resend-api-key-rotation');
  const schedules = Object.values(resourcesOfType(template, 'AWS::SecretsManager::RotationSchedule')).map((r) => r.Properties);
  expect(schedules.some((s) => JSON.stringify(s.SecretId) === JSON.stringify({ Ref: secretId }))).toBe(true);

  const notice = functions.find((f) => f.FunctionName === 'fleapo-staging-stripe-revoke-notice');
  expect(JSON.stringify(notice?.Environment.Variables.NOTICE_SECRET_ARNS)).toContain('RESEND_API_KEY=');

  const taskDefinition = Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition'))[0];
  const names = taskDefinition.Properties.ContainerDefinitions.flatMap((c: { Secrets?: { Name: string }[] }) =>
    (c.Secrets ?? []).map((s) => s.Name),
  );
  expect(names).toContain('RESEND_API_KEY');
});

describe('the operator CLI stages it and the shipped rotation handler rotates it', () => {
  let config = '';
  let arn = '';
  beforeAll(() => {
    config = configFile('fleapo/six');
    arn = h.sm.createSecret('fleapo/six/resend-api-key', resendKey());
    h.sm.setRotationInvoker(
      arn,
      withEnv({ EXTERNAL_SECRET_NAME: 'RESEND_API_KEY', RESEND_API_BASE: api.origin }, invoker(externalHandler)),
    );
  });

  test('its name, its form and its issuer are in the help and the usage texts', async () => {
    const help = async (args: string[]) => (await cli(args)).stdout.replace(/\s+/g, ' ');
    const stage = await help(['stage', '--help']);
    expect(stage).toContain(
      'Stage a new STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, POSTHOG_API_KEY or RESEND_API_KEY created at the issuer',
    );
    expect(stage).toContain('in a test one, whsec_, phc_, re_) before anything is written');
    expect(await help(['rotate', '--help'])).toContain('The Stripe, PostHog and Resend secrets rotate only to a value staged');
    expect(await help(['contain', '--help'])).toContain('Stripe, PostHog, Resend keys the new value from stdin');
    expect((await cli(['stage'])).stderr).toContain(
      '(one of AUTH_SECRET, DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, POSTHOG_API_KEY, RESEND_API_KEY)',
    );
  });

  test('a value of the wrong form is refused before anything is staged', async () => {
    const before = h.sm.stages(arn);
    const value = fakeExternal.posthogProject();
    h.extraSecrets.push(value);
    const run = await cli(['stage', 'RESEND_API_KEY', '--env', 'staging', '--config', config], `${value}\n`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'the value is refused as resend-api-key: a Resend API key (re_) is expected, but it is a PostHog project token (phc_)',
    );
    expect(h.sm.stages(arn)).toEqual(before);
  });

  test("stage: the value becomes current, the service rolls, and the last line is its issuer's", async () => {
    const value = resendKey();
    api.keys.add(value);
    const rolls = h.ecs.rollCount;
    const run = cli(['stage', 'RESEND_API_KEY', '--env', 'staging', '--config', config, '--poll-interval', '0.05'], `${value}\n`);
    await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
    h.ecs.completeDeployment();
    const { code, stdout, stderr } = await run;
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'Rollout complete: now delete the old key at Resend (API Keys).\n' });
    expect(stderr).toContain('the value has the form of a new RESEND_API_KEY');
    expect(h.sm.value(arn, 'AWSCURRENT') === value).toBe(true);
  });
});

test('no fixture key appears in any output or error message', () => {
  expect(h.extraSecrets.length).toBeGreaterThan(3);
  expect(h.leaks()).toEqual([]);
});
