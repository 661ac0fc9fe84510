import '../support/test-env';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { builtBundles, invokeBundle } from '../support/bundle-handlers';
import { fakeExternal } from '../support/external-fakes';
import { FakeIssuers } from '../support/fake-issuers';
import { RotationEvent } from '../support/fake-secrets-manager';
import { RotationHarness } from '../support/rotation-harness';

/** The BUILT external-secret bundle (NodejsFunction options) in fresh node processes: global fetch, SDK external. */
const h = new RotationHarness(false);
const issuers = new FakeIssuers();
let outdir = '';
let bundle = '';

const run = async (event: RotationEvent) => {
  const { ok, output } = await invokeBundle(bundle, event);
  h.capture.add(output);
  if (!ok) throw new Error(`bundle failed: ${output.split('\n').find((l) => l.startsWith('ERROR ')) ?? 'no error line'}`);
};

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-external-bundle-'));
  const [bundles] = await Promise.all([builtBundles(outdir), h.start(), issuers.start()]);
  bundle = bundles['external-secret-rotation'].file;
  Object.assign(process.env, {
    STRIPE_API_BASE: issuers.origin,
    POSTHOG_API_HOST: issuers.origin,
    EXTERNAL_SECRET_NAME: 'STRIPE_SECRET_KEY',
    STRIPE_MODE: 'live',
  });
});
afterAll(async () => {
  await Promise.all([h.stop(), issuers.stop()]);
  fs.rmSync(outdir, { recursive: true, force: true });
});

test('built bundle: CommonJS, SDK external, rotates a Stripe key checked over HTTP', async () => {
  const code = fs.readFileSync(bundle, 'utf8');
  expect(code).toMatch(/require\("@aws-sdk\/client-secrets-manager"\)/);
  const key = () => {
    const k = fakeExternal.stripeSecret('live');
    issuers.stripeKeys.set(k, { livemode: true });
    h.extraSecrets.push(k);
    return k;
  };
  const arn = h.sm.createSecret('fleapo/test/bundle-stripe-secret-key', key());
  const next = key();
  const client = new SecretsManagerClient({});
  await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: next, VersionStages: ['FLEAPO_STAGED'] }));
  client.destroy();
  const result = await h.rotate(arn, run);
  expect(result.ok ? 'ok' : `${result.step}: ${result.error.message}`).toBe('ok');
  expect(h.sm.value(arn) === next).toBe(true);
  expect(issuers.requestsTo('/v1/balance')).toHaveLength(1);
  expect(h.ecs.rollCount).toBe(1);
  expect(h.leaks()).toEqual([]);
});
