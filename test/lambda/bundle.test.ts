import '../support/test-env';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtBundles, Bundles, HandlerName, invokeBundle } from '../support/bundle-handlers';
import { deploymentEvent, scheduledEvent } from '../support/events';
import { RotationEvent } from '../support/fake-secrets-manager';
import { urlLogsIn } from '../support/postgres-server';
import { BASE_ROLE, RotationHarness } from '../support/rotation-harness';
import { RUN_DIR_ENV } from '../support/test-run';

/** The BUILT bundles (NodejsFunction options) run in fresh node processes against the doubles and a real PostgreSQL. */
// The database takes TLS only; each bundle's node trusts its CA through NODE_EXTRA_CA_CERTS, as on Lambda.
const h = new RotationHarness(true, { tls: true });
let outdir = '';
let bundles: Bundles;

const run = (name: HandlerName) => async (event: unknown) => {
  const { ok, result, output } = await invokeBundle(bundles[name].file, event);
  h.capture.add(output);
  if (!ok) throw new Error(`bundle ${name} failed: ${output.split('\n').find((l) => l.startsWith('ERROR ')) ?? 'no error line'}`);
  return result;
};

const outcome = (r: { ok: boolean; step?: string; error?: Error }) => (r.ok ? 'ok' : `${r.step}: ${r.error?.message}`);

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-bundles-'));
  [bundles] = await Promise.all([builtBundles(outdir), h.start()]);
  await h.createBaseRole();
});
afterAll(async () => {
  await h.stop();
  fs.rmSync(outdir, { recursive: true, force: true });
});

test('bundles exist, are CommonJS and leave the AWS SDK external', () => {
  // Under jest's globalSetup: built once for the whole run, in its directory, shared with the other files.
  const runDir = process.env[RUN_DIR_ENV];
  if (runDir) for (const { file } of Object.values(bundles)) expect(path.dirname(file)).toBe(path.join(runDir, 'bundles'));
  for (const { file, bytes } of Object.values(bundles)) {
    expect(bytes).toBeGreaterThan(1000);
    const code = fs.readFileSync(file, 'utf8');
    expect(code).toMatch(/require\("@aws-sdk\/client-secrets-manager"\)/);
    expect(code).not.toMatch(/^import /m);
  }
});

test('built AUTH_SECRET bundle rotates', async () => {
  const first = crypto.randomBytes(64).toString('hex');
  const arn = h.sm.createSecret('fleapo/test/bundle-auth', first);
  const result = await h.rotate(arn, run('auth-secret-rotation') as (e: RotationEvent) => Promise<unknown>);
  expect(outcome(result)).toBe('ok');
  // The first rotation publishes a next key and keeps the generated one current (compared without printing values).
  const ring = JSON.parse(h.sm.value(arn)!) as Record<string, string>;
  expect(Object.keys(ring).sort()).toEqual(['current', 'next']);
  expect(ring.current === first).toBe(true);
  expect(/^[0-9a-f]{128}$/.test(ring.next) && ring.next !== first).toBe(true);
  expect(h.ecs.rollCount).toBe(1);
});

test('built DATABASE_URL and retirement bundles: two rotations and a retirement, over TLS (DB_SSL=require, the CA from NODE_EXTRA_CA_CERTS)', async () => {
  expect(process.env.DB_SSL).toBe('require');
  expect(process.env.NODE_EXTRA_CA_CERTS).toMatch(/ca\.crt$/);
  const arn = h.sm.createSecret('fleapo/test/bundle-database-url', h.bootstrapJson());
  process.env.SECRET_ARN = arn;
  const rotate = run('database-url-rotation') as (e: RotationEvent) => Promise<unknown>;
  const retire = run('database-role-retirement');

  expect(outcome(await h.rotate(arn, rotate))).toBe('ok');
  const firstUrl = h.sm.value(arn)!;
  expect(await urlLogsIn(firstUrl)).toBe(true);

  expect(outcome(await h.rotate(arn, rotate))).toBe('ok');
  const secondUrl = h.sm.value(arn)!;
  expect(secondUrl.startsWith(`postgres://${BASE_ROLE}_clone:`)).toBe(true);
  const newTask = await h.openSession(secondUrl);
  h.ecs.completeDeployment();
  expect(await retire(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', h.ecs.primary.id))).toEqual({ outcome: 'retired' });
  expect(await urlLogsIn(firstUrl)).toBe(false);
  expect(await retire(scheduledEvent())).toEqual({ outcome: 'already-retired' });
  await newTask.end();
});

test('no secret value in the bundles’ output', () => {
  expect(h.leaks()).toEqual([]);
});
