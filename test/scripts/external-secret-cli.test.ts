import '../support/test-env';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { handler } from '../../lambda/external-secret-rotation';
import { STAGED_LABEL } from '../../lambda/external/staging';
import { parseArgs, UsageError, valueFromPipedInput } from '../../scripts/external-secret';
import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { validateConfig } from '../../lib/config/validate-config';
import { invoker } from '../support/events';
import { fakeExternal } from '../support/external-fakes';
import { FakeIssuers } from '../support/fake-issuers';
import { RotationHarness } from '../support/rotation-harness';

/**
 * `npm run external-secret` end to end: the real CLI in a child process (tsx), the value piped on stdin, against the
 * Secrets Manager double whose RotateSecret runs the real rotation handler in the background (in this process, like
 * AWS invoking the function asynchronously), the ECS double, and the local Stripe/PostHog stand-in.
 */
const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const h = new RotationHarness(false);
const issuers = new FakeIssuers();
const rotate = invoker(handler);
let counter = 0;

beforeAll(async () => {
  await Promise.all([h.start(), issuers.start()]);
  process.env.STRIPE_API_BASE = issuers.origin;
  process.env.POSTHOG_API_HOST = issuers.origin;
});
afterAll(async () => {
  await h.sm.rotationsSettled();
  await Promise.all([h.stop(), issuers.stop()]);
});

interface CliRun {
  /** stdout + stderr so far. */
  output: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  argv: string[];
}

function cli(args: string[], stdin: string): CliRun {
  // node --import tsx: one process (the tsx CLI starts a second one).
  const argv = ['--import', 'tsx', 'scripts/external-secret.ts', ...args];
  const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(stdin);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      h.capture.add(`${stdout}\n${stderr}\n`); // searched by the leak check, never printed
      resolve({ code, stdout, stderr });
    });
  });
  return { output: () => stdout + stderr, done, argv };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(kind: 'stripe-secret-key' | 'posthog-api-key' | 'stripe-webhook-secret', mode?: 'live' | 'test') {
  process.env.EXTERNAL_SECRET_KIND = kind;
  if (mode) process.env.STRIPE_MODE = mode;
  else delete process.env.STRIPE_MODE;
  counter += 1;
  const make = () => {
    const v =
      kind === 'stripe-secret-key' ? fakeExternal.stripeSecret(mode ?? 'live') : kind === 'posthog-api-key' ? fakeExternal.posthogProject() : fakeExternal.webhookSecret();
    h.extraSecrets.push(v);
    return v;
  };
  const old = make();
  const arn = h.sm.createSecret(`fleapo/test/cli-${kind}-${counter}`, old);
  h.sm.setRotationInvoker(arn, rotate);
  const flags = ['--secret-id', arn, '--kind', kind, ...(mode ? ['--mode', mode] : []), '--cluster', h.ecs.clusterArn, '--service', h.ecs.serviceArn, '--poll-interval', '0.05', '--timeout', '20'];
  const accepted = () => {
    const v = make();
    if (kind === 'stripe-secret-key') issuers.stripeKeys.set(v, { livemode: mode === 'live' });
    if (kind === 'posthog-api-key') issuers.posthogTokens.add(v);
    return v;
  };
  return { arn, old, flags, accepted, make };
}

test('stages, rotates via RotateSecret, waits for the rollout, and only then says to revoke the old key', async () => {
  const { arn, old, flags, accepted } = setup('stripe-secret-key', 'live');
  const oldVersion = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
  const value = accepted();
  const rolls = h.ecs.rollCount;
  const run = cli(flags, `${value}\n`);
  expect(run.argv.some((a) => a.includes(value))).toBe(false);

  await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
  await waitFor('the CLI to wait for the rollout', () => run.output().includes('waiting for ECS deployment'));
  await sleep(400); // several poll intervals while the deployment is IN_PROGRESS
  expect(run.output()).not.toContain('Rollout complete');
  expect(run.output()).not.toMatch(/revoke the old key/i);
  h.ecs.completeDeployment();

  const { code, stdout, stderr } = await run.done;
  expect(code).toBe(0);
  expect(stdout).toBe('Rollout complete: now revoke the old key in the Stripe Dashboard (Developers > API keys: expire the old key now instead of waiting for the roll\'s overlap to end).\n');
  const token = /rotation started \(new version ([^)]+)\)/.exec(stderr)?.[1];
  expect(token).toBeDefined();
  expect(stderr).toContain(`ECS deployment ${h.ecs.primary.id} completed`);
  expect(h.sm.value(arn) === value).toBe(true);
  expect(h.sm.value(arn, 'AWSPREVIOUS') === old).toBe(true);
  expect(h.sm.stages(arn)).toEqual({ [token!]: ['AWSCURRENT'], [oldVersion]: ['AWSPREVIOUS'] }); // FLEAPO_STAGED gone
  const ofSecret = (op: string) => h.sm.server.callsOf(op).filter((c) => c.input.SecretId === arn);
  expect(ofSecret('PutSecretValue').filter((c) => JSON.stringify(c.input.VersionStages) === JSON.stringify([STAGED_LABEL]))).toHaveLength(1);
  expect(ofSecret('RotateSecret')).toHaveLength(1);
});

test('PostHog: after the rollout it says there is nothing left to revoke', async () => {
  const { arn, flags, accepted } = setup('posthog-api-key');
  const value = accepted();
  const rolls = h.ecs.rollCount;
  const run = cli(flags, value); // no trailing newline: taken as is
  await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
  h.ecs.completeDeployment();
  const { code, stdout } = await run.done;
  expect(code).toBe(0);
  expect(stdout).toMatch(/^Rollout complete: the service now sends with the new PostHog project token\. Nothing is left to revoke/);
  expect(h.sm.value(arn) === value).toBe(true);
});

test('FAILED deployment: exit 1 and "do NOT revoke", never the revoke instruction', async () => {
  const { arn, flags, accepted } = setup('stripe-webhook-secret');
  const value = accepted();
  const rolls = h.ecs.rollCount;
  const run = cli(flags, `${value}\r\n`);
  await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
  h.ecs.failDeployment();
  const { code, stdout, stderr } = await run.done;
  expect(code).toBe(1);
  expect(stderr).toContain(`FAILED at step wait-for-rollout: ECS deployment ${h.ecs.primary.id} FAILED`);
  expect(stdout).toContain('do NOT revoke the old key');
  expect(stdout).not.toContain('Rollout complete');
  expect(h.sm.value(arn) === value).toBe(true); // the rotation itself finished; the old key must stay for the retry of the deployment
});

test('a test-mode key for a live environment is refused before anything is staged', async () => {
  const { arn, flags } = setup('stripe-secret-key', 'live');
  const wrong = fakeExternal.stripeSecret('test');
  h.extraSecrets.push(wrong);
  const before = h.sm.stages(arn);
  const puts = h.sm.server.callsOf('PutSecretValue').length;
  const { code, stdout, stderr } = await cli(flags, wrong).done;
  expect(code).toBe(1);
  expect(stderr).toContain(
    'FAILED at step check: the value is refused as stripe-secret-key (live mode): it is a test-mode Stripe secret key (sk_test_), but this environment takes live-mode keys (sk_live_ or rk_live_)',
  );
  expect(stderr).toContain('Nothing was staged.');
  expect(stdout).toContain('do NOT revoke the old key');
  expect(h.sm.stages(arn)).toEqual(before);
  expect(h.sm.server.callsOf('PutSecretValue').length).toBe(puts);
});

test('a key Stripe rejects: the CLI times out with "do NOT revoke"; the next run is refused until --abandon-incomplete, then completes', async () => {
  const { arn, flags, make, accepted } = setup('stripe-secret-key', 'test');
  const oldVersion = h.sm.versionIdOf(arn, 'AWSCURRENT');
  const rejected = make(); // the fake Stripe does not know it: 401
  const shortWait = flags.map((f, i) => (flags[i - 1] === '--timeout' ? '2' : f));
  const first = await cli(shortWait, rejected).done;
  expect(first.code).toBe(1);
  expect(first.stderr).toContain('FAILED at step wait-for-rotation: the rotation did not finish within 2 s and AWSCURRENT is still version');
  expect(first.stdout).toContain('do NOT revoke the old key');
  const failed = (await h.sm.rotationsSettled()).filter((r) => !r.ok).pop();
  expect(failed).toMatchObject({ step: 'testSecret' });
  expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(oldVersion);

  const good = accepted();
  const refused = await cli(flags, good).done;
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('is incomplete (version');
  expect(refused.stderr).toContain('--abandon-incomplete');
  expect(refused.stderr).toContain('Nothing was staged.');

  const rolls = h.ecs.rollCount;
  const run = cli([...flags, '--abandon-incomplete'], good);
  await waitFor('the ECS roll', () => h.ecs.rollCount === rolls + 1);
  h.ecs.completeDeployment();
  const { code, stderr } = await run.done;
  expect(code).toBe(0);
  expect(stderr).toContain('dropped AWSPENDING from version');
  expect(h.sm.value(arn) === good).toBe(true);
  expect(h.sm.versionIdOf(arn, 'AWSPREVIOUS')).toBe(oldVersion);
});

test('usage errors exit 2 and never echo a stray argument (it may be a pasted key)', async () => {
  const { flags } = setup('stripe-secret-key', 'live');
  const pasted = fakeExternal.stripeSecret('live');
  h.extraSecrets.push(pasted);
  const noMode = flags.filter((f, i) => f !== '--mode' && flags[i - 1] !== '--mode');
  const r1 = await cli(noMode, '').done;
  expect(r1.code).toBe(2);
  expect(r1.stderr).toContain('--mode (live or test) is required for stripe-secret-key');
  const r2 = await cli([...flags, pasted], '').done;
  expect(r2.code).toBe(2);
  expect(r2.stderr).toContain('unexpected argument #');
  const r3 = await cli(flags, '').done;
  expect(r3.code).toBe(1);
  expect(r3.stderr).toContain('no value on stdin');
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`), types `keys` once the prompt shows; returns the terminal's text. */
function onTerminal(args: string[], keys: string): Promise<{ code: number | null; screen: string }> {
  const command = [TSX, 'scripts/external-secret.ts', ...args].join(' '); // flags only: the value is typed
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let typed = false;
  const onData = (c: Buffer) => {
    screen += c.toString();
    if (!typed && screen.includes('(input hidden): ')) {
      typed = true;
      child.stdin.write(keys);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      h.capture.add(screen);
      resolve({ code, screen });
    });
  });
}

const hasScript = (() => {
  try {
    require('node:child_process').execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(hasScript ? test : test.skip)('on a terminal: prompts on stderr, reads with echo off (backspace works), never shows the value', async () => {
  const live = fakeExternal.stripeSecret('live');
  const testKey = fakeExternal.stripeSecret('test');
  h.extraSecrets.push(live, testKey);
  const base = ['--kind', 'stripe-secret-key', '--mode', 'live', '--cluster', h.ecs.clusterArn, '--service', h.ecs.serviceArn];

  const refused = await onTerminal(['--secret-id', 'fleapo/test/unused', ...base], `${testKey}\r`);
  expect(refused.code).toBe(1);
  expect(refused.screen).toContain('New stripe-secret-key for fleapo/test/unused (input hidden): ');
  expect(refused.screen).toContain('it is a test-mode Stripe secret key (sk_test_)');
  expect(refused.screen.includes(testKey)).toBe(false);

  // A typo erased with backspace: the form check passes, so the run reaches Secrets Manager (no such secret).
  const corrected = await onTerminal(['--secret-id', 'fleapo/test/does-not-exist', ...base], `${live}!\u007f\r`);
  expect(corrected.code).toBe(1);
  expect(corrected.screen).toContain('FAILED at step describe: ResourceNotFoundException');
  expect(corrected.screen.includes(live)).toBe(false);
});

test('parseArgs and piped input, pure', () => {
  expect(() => parseArgs(['--kind', 'stripe-secret-key'])).toThrow(UsageError);
  expect(parseArgs(['--help'])).toBe('help');
  expect(parseArgs(['--secret-id=s', '--kind', 'posthog-api-key', '--cluster', 'c', '--service', 's'])).toEqual({
    secretId: 's',
    kind: 'posthog-api-key',
    mode: undefined,
    cluster: 'c',
    service: 's',
    timeoutSeconds: 900,
    pollSeconds: 10,
    abandonIncomplete: false,
  });
  expect(() => parseArgs(['--secret-id', 's', '--kind', 'posthog-api-key', '--cluster', 'c', '--service', 's', '--timeout', '0'])).toThrow(
    '--timeout must be a positive number of seconds',
  );
  expect(valueFromPipedInput('abc\n')).toBe('abc');
  expect(valueFromPipedInput('abc\r\n')).toBe('abc');
  expect(valueFromPipedInput('abc\n\n')).toBe('abc\n'); // then refused by the form check (line break)
});

test('--environment takes the secret, Stripe mode, cluster and service from the configuration; flags win', () => {
  const config = validateConfig(EXAMPLE_CONFIG);
  expect(parseArgs(['--environment', 'prod', '--kind', 'stripe-secret-key'], () => config)).toMatchObject({
    secretId: 'fleapo/prod/stripe-secret-key',
    mode: 'live',
    cluster: 'fleapo-prod',
    service: 'fleapo-web',
  });
  expect(parseArgs(['--environment', 'staging', '--kind', 'stripe-secret-key'], () => config)).toMatchObject({ secretId: 'fleapo/staging/stripe-secret-key', mode: 'test' });
  expect(parseArgs(['--environment', 'staging', '--kind', 'posthog-api-key'], () => config)).toMatchObject({ secretId: 'fleapo/staging/posthog-api-key', mode: undefined });
  expect(parseArgs(['--environment', 'prod', '--kind', 'stripe-secret-key', '--service', 'other'], () => config)).toMatchObject({ service: 'other', mode: 'live' });
  expect(() => parseArgs(['--environment', 'qa', '--kind', 'stripe-secret-key'], () => config)).toThrow('--environment must be one of staging, prod');
});

test('no secret value in any CLI output, log line or error message', () => {
  expect(h.extraSecrets.length).toBeGreaterThan(10);
  expect(h.leaks()).toEqual([]);
});
