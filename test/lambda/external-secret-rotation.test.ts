import '../support/test-env';
import * as net from 'node:net';
import {
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { pendingMarkerTag } from '../../lambda/rotation/pending-marker';
import { handler } from '../../lambda/external-secret-rotation';
import { STAGED_LABEL } from '../../catalog/labels';
import { TAG_ROLLOUT_VERSION } from '../../catalog/tags';
import { invoker } from '../support/events';
import { fakeExternal } from '../support/external-fakes';
import { FakeIssuers } from '../support/fake-issuers';
import { RotationEvent } from '../support/fake-secrets-manager';
import { RotationHarness } from '../support/rotation-harness';

const h = new RotationHarness(false);
const issuers = new FakeIssuers();
const rotate = invoker(handler);
let client: SecretsManagerClient;
let counter = 0;

type Kind = 'stripe-secret-key' | 'stripe-webhook-secret' | 'posthog-api-key';

beforeAll(async () => {
  await Promise.all([h.start(), issuers.start()]);
  process.env.STRIPE_API_BASE = issuers.origin;
  process.env.POSTHOG_API_HOST = issuers.origin;
  client = new SecretsManagerClient({});
});
afterAll(async () => {
  client.destroy();
  await Promise.all([h.stop(), issuers.stop()]);
});

/** The function of `kind`'s secret: EXTERNAL_SECRET_NAME is the secret's catalog name (`stripe-secret-key` → `STRIPE_SECRET_KEY`). */
function configure(kind: Kind, mode?: 'live' | 'test'): void {
  process.env.EXTERNAL_SECRET_NAME = kind.toUpperCase().replace(/-/g, '_');
  if (mode === undefined) delete process.env.STRIPE_MODE;
  else process.env.STRIPE_MODE = mode;
}

/** A value of `kind` the fake issuer accepts (registered there), remembered for the leak check. */
function goodValue(kind: Kind, mode: 'live' | 'test' = 'live'): string {
  const value =
    kind === 'stripe-secret-key'
      ? fakeExternal.stripeSecret(mode)
      : kind === 'stripe-webhook-secret'
        ? fakeExternal.webhookSecret()
        : fakeExternal.posthogProject();
  if (kind === 'stripe-secret-key') issuers.stripeKeys.set(value, { livemode: mode === 'live' });
  if (kind === 'posthog-api-key') issuers.posthogTokens.add(value);
  h.extraSecrets.push(value);
  return value;
}

function newSecret(kind: Kind, mode: 'live' | 'test' = 'live'): string {
  counter += 1;
  return h.sm.createSecret(`fleapo/test/${kind}-${counter}`, goodValue(kind, mode));
}

/** What the CLI does: PutSecretValue with the custom label only. */
async function stage(arn: string, value: string): Promise<string> {
  h.extraSecrets.push(value);
  const out = await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value, VersionStages: [STAGED_LABEL] }));
  return out.VersionId!;
}

/** What the CLI's --abandon-incomplete does. */
async function abandonPending(arn: string): Promise<void> {
  const pending = h.sm.versionIdOf(arn, 'AWSPENDING')!;
  await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: pending }));
}

const message = (r: { ok: boolean; step?: string; error?: Error }) => (r.ok ? 'ok' : `${r.step}: ${r.error?.message}`);
const holders = (arn: string) => Object.fromEntries(Object.entries(h.sm.stages(arn)).flatMap(([id, stages]) => stages.map((s) => [s, id])));

describe.each([
  ['stripe-secret-key', 'live'],
  ['stripe-secret-key', 'test'],
  ['stripe-webhook-secret', 'live'],
  ['posthog-api-key', undefined],
] as const)('full rotation of %s (%s)', (kind, mode) => {
  test('staged value becomes AWSCURRENT, the old one AWSPREVIOUS, the label is gone, ECS rolled once', async () => {
    configure(kind, mode);
    const arn = newSecret(kind, mode ?? 'live');
    const oldValue = h.sm.value(arn)!;
    const oldVersion = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
    const newValue = goodValue(kind, mode ?? 'live');
    const stagedVersion = await stage(arn, newValue);
    expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(oldVersion); // staging does not move AWSCURRENT
    const rolls = h.ecs.rollCount;
    const requestsBefore = issuers.requests.length;

    const result = await h.rotate(arn, rotate);
    expect(message(result)).toBe('ok');
    expect(h.sm.value(arn, 'AWSCURRENT') === newValue).toBe(true);
    expect(h.sm.value(arn, 'AWSPREVIOUS') === oldValue).toBe(true);
    expect(h.sm.stages(arn)).toEqual({ [result.token]: ['AWSCURRENT'], [oldVersion]: ['AWSPREVIOUS'] });
    expect(h.sm.stages(arn)[stagedVersion]).toBeUndefined();
    expect(h.ecs.rollCount).toBe(rolls + 1);
    expect(h.sm.tags(arn)[TAG_ROLLOUT_VERSION]).toBe(result.token);

    const calls = issuers.requests.slice(requestsBefore);
    if (kind === 'stripe-secret-key') {
      expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /v1/balance']);
      expect(calls[0].authorization === `Bearer ${newValue}`).toBe(true);
    } else if (kind === 'posthog-api-key') {
      expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /flags?v=2']);
      const body = JSON.parse(calls[0].body) as Record<string, unknown>;
      expect(body.api_key === newValue).toBe(true);
      expect(body.distinct_id).toBe('fleapo-secrets-rotation-check');
    } else {
      expect(calls).toEqual([]); // Stripe has no check for a webhook signing secret
    }
  });
});

test('nothing staged: createSecret refuses, nothing is written, AWSCURRENT stays', async () => {
  configure('stripe-secret-key', 'live');
  const arn = newSecret('stripe-secret-key');
  const current = h.sm.versionIdOf(arn, 'AWSCURRENT');
  const rolls = h.ecs.rollCount;
  const result = await h.rotate(arn, rotate);
  expect(message(result)).toBe(`createSecret: Secret ${arn}: nothing is staged: stage the new value with fleapo-secrets stage first`);
  expect(h.sm.stages(arn)).toEqual({ [current!]: ['AWSCURRENT'], [result.token]: ['AWSPENDING'] }); // Secrets Manager's empty version only
  expect(h.sm.value(arn, 'AWSPENDING')).toBeUndefined();
  expect(h.ecs.rollCount).toBe(rolls);
});

test('a test-mode key for a live environment (and the reverse) is refused at createSecret, naming the modes', async () => {
  configure('stripe-secret-key', 'live');
  const live = newSecret('stripe-secret-key', 'live');
  await stage(live, goodValue('stripe-secret-key', 'test'));
  const refused = await h.rotate(live, rotate);
  expect(refused).toMatchObject({ ok: false, step: 'createSecret' });
  expect(message(refused)).toContain(
    'it is a test-mode Stripe secret key (sk_test_), but this environment takes live-mode keys (sk_live_ or rk_live_)',
  );
  expect(h.sm.value(live, 'AWSPENDING')).toBeUndefined();
  expect(Object.keys(holders(live)).sort()).toEqual(['AWSCURRENT', 'AWSPENDING', STAGED_LABEL]);

  configure('stripe-secret-key', 'test');
  const testEnv = newSecret('stripe-secret-key', 'test');
  await stage(testEnv, goodValue('stripe-secret-key', 'live'));
  expect(message(await h.rotate(testEnv, rotate))).toContain(
    'it is a live-mode Stripe secret key (sk_live_), but this environment takes test-mode keys',
  );
});

test('a PostHog personal API key (phx_) is refused with a message saying so', async () => {
  configure('posthog-api-key');
  const arn = newSecret('posthog-api-key');
  const personal = fakeExternal.posthogPersonal();
  await stage(arn, personal);
  const result = await h.rotate(arn, rotate);
  expect(result).toMatchObject({ ok: false, step: 'createSecret' });
  expect(message(result)).toContain('it is a PostHog personal API key (phx_): POSTHOG_API_KEY is the project token (phc_');
});

test('a staged value equal to AWSCURRENT is refused as already current', async () => {
  configure('stripe-webhook-secret');
  const arn = newSecret('stripe-webhook-secret');
  await stage(arn, h.sm.value(arn)!);
  expect(message(await h.rotate(arn, rotate))).toMatch(
    /^createSecret: Secret .*: the staged value \(version .*\) is already current: stage the new key$/,
  );
});

test('Stripe 401: testSecret fails, AWSCURRENT stays; a good key staged after it (the failed rotation dropped) completes', async () => {
  configure('stripe-secret-key', 'live');
  const arn = newSecret('stripe-secret-key');
  const oldValue = h.sm.value(arn)!;
  const oldVersion = h.sm.versionIdOf(arn, 'AWSCURRENT')!;
  const unknownKey = fakeExternal.stripeSecret('live'); // not registered: the fake Stripe answers 401 and quotes it
  await stage(arn, unknownKey);
  const rolls = h.ecs.rollCount;
  const failed = await h.rotate(arn, rotate);
  expect(message(failed)).toBe(
    `testSecret: Stripe rejected the key (HTTP 401 authentication_error): it is wrong, expired or already revoked`,
  );
  expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(oldVersion);
  expect(h.ecs.rollCount).toBe(rolls);

  // Secrets Manager's own retries use the same token: AWSPENDING holds the rejected key and cannot change.
  expect(message(await h.rotate(arn, rotate, failed.token))).toContain('Stripe rejected the key');
  // The operator stages a good key; the CLI (--abandon-incomplete) drops the failed rotation; a new one completes.
  const good = goodValue('stripe-secret-key', 'live');
  await stage(arn, good);
  await expect(h.sm.rotate(arn, rotate)).rejects.toThrow("A previous rotation isn't complete");
  await abandonPending(arn);
  const done = await h.rotate(arn, rotate);
  expect(message(done)).toBe('ok');
  expect(h.sm.value(arn) === good).toBe(true);
  expect(h.sm.value(arn, 'AWSPREVIOUS') === oldValue).toBe(true);
  expect(h.sm.stages(arn)).toEqual({ [done.token]: ['AWSCURRENT'], [oldVersion]: ['AWSPREVIOUS'] });
  expect(h.ecs.rollCount).toBe(rolls + 1);
});

test("Stripe unavailable (503): testSecret fails; Secrets Manager's retry with the same token completes once it is back", async () => {
  configure('stripe-secret-key', 'live');
  const arn = newSecret('stripe-secret-key');
  const key = goodValue('stripe-secret-key', 'live');
  issuers.stripeKeys.set(key, 'unavailable');
  await stage(arn, key);
  const failed = await h.rotate(arn, rotate);
  expect(message(failed)).toBe(
    `testSecret: Stripe at ${issuers.host} answered /v1/balance with HTTP 503 api_error; the check is retried with the rotation`,
  );
  issuers.stripeKeys.set(key, { livemode: true });
  expect(message(await h.rotate(arn, rotate, failed.token))).toBe('ok');
  expect(h.sm.value(arn) === key).toBe(true);
});

test('livemode mismatch: a key Stripe reports as test-mode is refused for a live environment', async () => {
  configure('stripe-secret-key', 'live');
  const arn = newSecret('stripe-secret-key');
  const key = fakeExternal.stripeSecret('live');
  issuers.stripeKeys.set(key, { livemode: false });
  await stage(arn, key);
  const result = await h.rotate(arn, rotate);
  expect(message(result)).toBe(
    'testSecret: Stripe says the staged key is a test-mode key, but this is a live environment (STRIPE_MODE=live): a test-mode key for a live environment is refused',
  );
  expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).not.toBe(result.token);
});

test('a restricted key without Balance read (403) is accepted with a warning', async () => {
  configure('stripe-secret-key', 'live');
  const arn = newSecret('stripe-secret-key');
  const key = fakeExternal.stripeRestricted('live');
  h.extraSecrets.push(key);
  issuers.stripeKeys.set(key, 'no-balance-permission');
  await stage(arn, key);
  const linesBefore = h.capture.jsonLines().length;
  expect(message(await h.rotate(arn, rotate))).toBe('ok');
  expect(h.sm.value(arn) === key).toBe(true);
  const warnings = h.capture
    .jsonLines()
    .slice(linesBefore)
    .filter((l) => l.level === 'WARN');
  expect(warnings.map((w) => w.message)).toContain(
    'Stripe accepted the restricted key but it lacks the Balance read permission (HTTP 403 invalid_request_error); its mode was checked by its prefix only',
  );
});

test('a full secret key answered 403 is refused', async () => {
  configure('stripe-secret-key', 'live');
  const arn = newSecret('stripe-secret-key');
  const key = goodValue('stripe-secret-key', 'live');
  issuers.stripeKeys.set(key, 'no-balance-permission');
  await stage(arn, key);
  expect(message(await h.rotate(arn, rotate))).toContain('testSecret: Stripe refused a secret key the Balance read (HTTP 403');
});

test('PostHog 401: testSecret fails, AWSCURRENT stays', async () => {
  configure('posthog-api-key');
  const arn = newSecret('posthog-api-key');
  const current = h.sm.versionIdOf(arn, 'AWSCURRENT');
  const token = fakeExternal.posthogProject(); // unknown to the fake PostHog
  await stage(arn, token);
  const result = await h.rotate(arn, rotate);
  expect(message(result)).toBe(
    `testSecret: PostHog at ${issuers.host} rejected the project token (HTTP 401): it is wrong, or belongs to another PostHog region or project`,
  );
  expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(current);
});

test('issuer unreachable: testSecret fails naming the host and the problem', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  try {
    process.env.STRIPE_API_BASE = `http://127.0.0.1:${port}`;
    process.env.POSTHOG_API_HOST = `http://127.0.0.1:${port}`;
    configure('stripe-secret-key', 'live');
    const stripe = newSecret('stripe-secret-key');
    await stage(stripe, goodValue('stripe-secret-key', 'live'));
    const r1 = await h.rotate(stripe, rotate);
    expect(message(r1)).toBe(
      `testSecret: The Stripe API at 127.0.0.1:${port} could not be reached (ECONNREFUSED); the check is retried with the rotation`,
    );
    configure('posthog-api-key');
    const posthog = newSecret('posthog-api-key');
    await stage(posthog, goodValue('posthog-api-key'));
    expect(message(await h.rotate(posthog, rotate))).toBe(
      `testSecret: The PostHog API at 127.0.0.1:${port} could not be reached (ECONNREFUSED); the check is retried with the rotation`,
    );
    expect(h.sm.versionIdOf(stripe, 'AWSCURRENT')).not.toBe(r1.token);
  } finally {
    process.env.STRIPE_API_BASE = issuers.origin;
    process.env.POSTHOG_API_HOST = issuers.origin;
  }
});

test('every step run twice, and the whole rotation re-run, leave the same state (one roll, label removed once)', async () => {
  configure('stripe-secret-key', 'live');
  const arn = newSecret('stripe-secret-key');
  const newValue = goodValue('stripe-secret-key', 'live');
  await stage(arn, newValue);
  const rolls = h.ecs.rollCount;
  const twice = async (event: RotationEvent) => {
    await rotate(event);
    await rotate(event);
  };
  const result = await h.rotate(arn, twice);
  expect(message(result)).toBe('ok');
  expect(h.sm.value(arn) === newValue).toBe(true);
  expect(h.ecs.rollCount).toBe(rolls + 1);
  const after = h.snapshot(arn);
  expect(holders(arn)[STAGED_LABEL]).toBeUndefined();
  expect(message(await h.rotate(arn, twice, result.token))).toBe('ok');
  expect(h.snapshot(arn)).toEqual(after);
});

test('finishSecret fails after AWSCURRENT moved (ECS down): the retry rolls once and removes the label', async () => {
  configure('posthog-api-key');
  const arn = newSecret('posthog-api-key');
  const stagedVersion = await stage(arn, goodValue('posthog-api-key'));
  const rolls = h.ecs.rollCount;
  const failing = async (event: RotationEvent) => {
    if (event.Step === 'finishSecret') h.ecs.server.failNext('UpdateService');
    await rotate(event);
  };
  const failed = await h.rotate(arn, failing);
  expect(failed).toMatchObject({ ok: false, step: 'finishSecret' });
  expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(failed.token);
  expect(h.sm.stages(arn)[stagedVersion]).toEqual([STAGED_LABEL]);
  expect(message(await h.rotate(arn, rotate, failed.token))).toBe('ok');
  expect(h.ecs.rollCount).toBe(rolls + 1);
  expect(h.sm.stages(arn)[stagedVersion]).toBeUndefined();
});

test('a value staged while the rotation runs keeps its label for the next rotation', async () => {
  configure('stripe-webhook-secret');
  const arn = newSecret('stripe-webhook-secret');
  const first = goodValue('stripe-webhook-secret');
  await stage(arn, first);
  const second = goodValue('stripe-webhook-secret');
  let secondVersion = '';
  const result = await h.rotate(arn, async (event) => {
    if (event.Step === 'finishSecret') secondVersion = await stage(arn, second);
    await rotate(event);
  });
  expect(message(result)).toBe('ok');
  expect(h.sm.value(arn) === first).toBe(true);
  expect(h.sm.stages(arn)[secondVersion]).toEqual([STAGED_LABEL]);
  expect(message(await h.rotate(arn, rotate))).toBe('ok');
  expect(h.sm.value(arn) === second).toBe(true);
  expect(holders(arn)[STAGED_LABEL]).toBeUndefined();
});

test('configuration is checked before any step: missing kind, bad kind, missing mode for a Stripe key', async () => {
  const arn = newSecret('stripe-webhook-secret');
  await stage(arn, goodValue('stripe-webhook-secret'));
  const current = h.sm.versionIdOf(arn, 'AWSCURRENT');
  delete process.env.EXTERNAL_SECRET_NAME;
  const r1 = await h.rotate(arn, rotate);
  expect(message(r1)).toBe('createSecret: Missing required environment variable EXTERNAL_SECRET_NAME');
  process.env.EXTERNAL_SECRET_NAME = 'stripe-secret-key';
  expect(message(await h.rotate(arn, rotate, r1.token))).toBe(
    'createSecret: Environment variable EXTERNAL_SECRET_NAME must be one of STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, POSTHOG_API_KEY',
  );
  configure('stripe-secret-key');
  expect(message(await h.rotate(arn, rotate, r1.token))).toBe('createSecret: Missing required environment variable STRIPE_MODE');
  configure('stripe-secret-key', 'prod' as 'live');
  expect(message(await h.rotate(arn, rotate, r1.token))).toBe("createSecret: Environment variable STRIPE_MODE must be 'live' or 'test'");
  configure('stripe-webhook-secret');
  process.env.POSTHOG_API_HOST = 'us.i.posthog.com';
  try {
    expect(message(await h.rotate(arn, rotate, r1.token))).toBe(
      'createSecret: Environment variable POSTHOG_API_HOST must be an https:// URL such as https://us.i.posthog.com',
    );
    // The key goes to the issuer over TLS only: plain http is refused unless the host is loopback (a test double).
    process.env.POSTHOG_API_HOST = 'http://us.i.posthog.com';
    expect(message(await h.rotate(arn, rotate, r1.token))).toBe(
      'createSecret: Environment variable POSTHOG_API_HOST must be an https:// URL such as https://us.i.posthog.com (plain http only for a loopback host in tests), got host us.i.posthog.com',
    );
    process.env.POSTHOG_API_HOST = issuers.origin;
    process.env.STRIPE_API_BASE = 'http://api.stripe.com:8080';
    expect(message(await h.rotate(arn, rotate, r1.token))).toBe(
      'createSecret: Environment variable STRIPE_API_BASE must be an https:// URL such as https://api.stripe.com (plain http only for a loopback host in tests), got host api.stripe.com:8080',
    );
  } finally {
    process.env.POSTHOG_API_HOST = issuers.origin;
    process.env.STRIPE_API_BASE = issuers.origin;
  }
  expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(current);
  expect(message(await h.rotate(arn, rotate, r1.token))).toBe('ok');
});

describe.each(['absent', 'empty', 'copy'] as const)(
  "Secrets Manager's configuration test (RotateSecret with RotateImmediately false: testSecret alone, on an AWSPENDING version it creates and removes; its content: %s)",
  (content) => {
    test.each([
      ['stripe-secret-key', 'live'],
      ['stripe-webhook-secret', undefined],
      ['posthog-api-key', undefined],
    ] as [Kind, 'live' | undefined][])(
      "passes on the first deploy's placeholder of %s: nothing asked of the issuer, nothing changed",
      async (kind, mode) => {
        configure(kind, mode);
        counter += 1;
        const placeholder = `Placeholder${counter}${'x'.repeat(21)}`; // the stack's first value: random, not a key of any kind
        h.extraSecrets.push(placeholder);
        const arn = h.sm.createSecret(`fleapo/test/config-test-${content}-${counter}`, placeholder);
        h.sm.setRotationInvoker(arn, rotate, { background: false });
        h.sm.configurationTestPending = content;
        const stagesBefore = JSON.stringify(h.sm.stages(arn));
        const tagsBefore = JSON.stringify(h.sm.tags(arn));
        const requestsBefore = issuers.requests.length;
        const rolls = h.ecs.rollCount;
        await client.send(new RotateSecretCommand({ SecretId: arn, RotateImmediately: false }));
        expect(h.sm.configurationTests.at(-1)).toMatchObject({ ok: true });
        expect(issuers.requests.length).toBe(requestsBefore); // nothing new to prove: the issuer is not asked
        expect(JSON.stringify(h.sm.stages(arn))).toBe(stagesBefore); // the test's AWSPENDING is gone, AWSCURRENT stayed
        expect(JSON.stringify(h.sm.tags(arn))).toBe(tagsBefore);
        expect(h.sm.value(arn) === placeholder).toBe(true);
        expect(h.ecs.rollCount).toBe(rolls);
      },
    );
  },
);

test('a pending value that differs from AWSCURRENT is still tested in full: refused unmarked, and tested (form, issuer) when the rotation made it', async () => {
  configure('stripe-secret-key', 'live');
  counter += 1;
  const placeholder = `Placeholder${counter}${'x'.repeat(21)}`;
  h.extraSecrets.push(placeholder);
  const arn = h.sm.createSecret(`fleapo/test/config-test-${counter}`, placeholder);
  const token = `config-test-${counter}`;
  const other = `Other${counter}${'y'.repeat(27)}`;
  h.extraSecrets.push(other);
  await client.send(
    new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: `${token}-b`, SecretString: other, VersionStages: ['AWSPENDING'] }),
  );
  await expect(
    handler({ Step: 'testSecret', SecretId: arn, ClientRequestToken: `${token}-b` }, {} as never, () => undefined),
  ).rejects.toThrow(/AWSPENDING/);
  // Marked as the rotation's own (only the rotation role can tag it): the full test runs and refuses the form.
  const Tags = Object.entries(pendingMarkerTag(`${token}-b`, other)).map(([Key, Value]) => ({ Key, Value }));
  await client.send(new TagResourceCommand({ SecretId: arn, Tags }));
  await expect(
    handler({ Step: 'testSecret', SecretId: arn, ClientRequestToken: `${token}-b` }, {} as never, () => undefined),
  ).rejects.toThrow(/AWSPENDING is refused as stripe-secret-key/);
  await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: `${token}-b` }));
});

test('no Stripe or PostHog value appears in any log line or error message', () => {
  expect(h.extraSecrets.length).toBeGreaterThan(20);
  expect(h.capture.text.length).toBeGreaterThan(1000);
  expect(h.leaks()).toEqual([]);
});
