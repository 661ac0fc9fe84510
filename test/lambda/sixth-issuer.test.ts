import '../support/test-env';
import type * as http from 'node:http';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { STAGED_LABEL } from '../../catalog/labels';
import { TAG_REFUSAL, TAG_REFUSAL_FINAL, TAG_REVOKE_NOTICE_VERSION } from '../../catalog/tags';
import { readEcsTarget } from '../../lambda/config/env';
import { announceRevocableKeys, parseNoticeSecrets } from '../../lambda/external/revoke-notice';
import {
  externalSecretFormProblem,
  findIssuedSecret,
  ISSUERS,
  issuerValuePatterns,
  type Issuer,
  type IssuerRegistry,
} from '../../runtime/issuers';
import { createExternalSecretPlaybook } from '../../lambda/playbooks/external-secret-playbook';
import { ecsClient } from '../../lambda/rotation/aws-clients';
import { createRotationHandler } from '../../lambda/rotation/rotation-engine';
import { SecretStore } from '../../runtime/secret-store';
import { parseRetirementTrigger } from '../../runtime/retirement-trigger';
import { externalServicesSchema } from '../../lib/config/schema';
import { findSecretValue, secretValuePatterns } from '../../lib/guardrails/secret-patterns';
import { deploymentEvent, invoker } from '../support/events';
import { fakeExternal } from '../support/external-fakes';
import { FakeSns } from '../support/fake-sns';
import { LocalHttpServer } from '../support/local-http-server';
import { RotationHarness } from '../support/rotation-harness';
import { SIXTH_BOOK, SIXTH_SECRETS } from '../fixtures/sixth-issuer/catalog';
import { resend } from '../fixtures/sixth-issuer/resend';
import { newResendKey } from '../fixtures/sixth-issuer/keys';

/**
 * A sixth issuer-created secret is one issuer file and one catalog line (test/fixtures/sixth-issuer/): the registry
 * takes it, and the shipped, unchanged code checks its form, checks it live at its issuer (a local HTTP double)
 * through the generic external-secret playbook, announces its revoke notice in its issuer's words, and the
 * guardrails' value scan knows its prefix.
 */

/** The fixture issuer's API on 127.0.0.1: `GET /domains` answers 200 for a known key, 503 for a flaky one, else 401. */
class FakeResend extends LocalHttpServer {
  readonly keys = new Set<string>();
  readonly flaky = new Set<string>();
  readonly requests: string[] = [];
  protected respond(req: http.IncomingMessage, _body: string, res: http.ServerResponse): void {
    const key = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    this.requests.push(`${req.method} ${req.url}`);
    const status = req.url !== '/domains' ? 404 : this.flaky.has(key) ? 503 : this.keys.has(key) ? 200 : 401;
    // A rejection QUOTES the key, as real APIs may: a check that echoed the answer would leak it.
    const text = JSON.stringify(status === 200 ? { data: [] } : { message: `API key ${key} is invalid` });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

const h = new RotationHarness(false);
const api = new FakeResend();
const sns = new FakeSns();
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:fleapo-test-secrets-alerts';
const rotate = invoker(createRotationHandler('external-secret-rotation', createExternalSecretPlaybook(SIXTH_BOOK)));
let client: SecretsManagerClient;

/** A fixture key (`re_` and 40 characters), assembled at run time and remembered for the leak check. */
function resendKey(): string {
  const value = newResendKey();
  h.extraSecrets.push(value);
  return value;
}

async function stage(arn: string, value: string): Promise<void> {
  await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value, VersionStages: [STAGED_LABEL] }));
}

const message = (r: { ok: boolean; step?: string; error?: Error }) => (r.ok ? 'ok' : `${r.step}: ${r.error?.message}`);

beforeAll(async () => {
  await Promise.all([h.start(), api.start(), sns.start()]);
  sns.topics.add(TOPIC);
  Object.assign(process.env, { EXTERNAL_SECRET_NAME: 'RESEND_API_KEY', RESEND_API_BASE: api.origin, AWS_ENDPOINT_URL_SNS: sns.endpoint });
  client = new SecretsManagerClient({});
});
afterAll(async () => {
  client.destroy();
  delete process.env.EXTERNAL_SECRET_NAME;
  delete process.env.RESEND_API_BASE;
  await Promise.all([h.stop(), api.stop(), sns.stop()]);
});

test('the registry takes the sixth issuer, and the compiler asks for it and for its revoke text', () => {
  const registry = (r: IssuerRegistry<typeof SIXTH_SECRETS>) => r;
  // @ts-expect-error the catalog names the issuer 'resend': a registry without its entry does not compile
  expect(Object.keys(registry({ ...ISSUERS }))).not.toContain('resend');
  const { revoke, ...withoutRevoke } = resend.secrets.RESEND_API_KEY;
  expect(revoke.how).toContain('delete the old key');
  // @ts-expect-error RESEND_API_KEY has a revoke notice in the catalog: its issuer must say how to revoke
  registry({ ...ISSUERS, resend: { ...resend, secrets: { RESEND_API_KEY: withoutRevoke } } });

  const found = findIssuedSecret('RESEND_API_KEY', SIXTH_BOOK);
  expect(found && { issuer: found.issuer.name, suffix: found.suffix, revokeNotice: found.revokeNotice }).toEqual({
    issuer: 'Resend',
    suffix: 'resend-api-key',
    revokeNotice: true,
  });
  expect(findIssuedSecret('RESEND_API_KEY')).toBeUndefined(); // not shipped
});

test('its form check: its own prefix and body; other issuers named by their prefix; the list of issuers grows', () => {
  const problem = (value: string) => externalSecretFormProblem('RESEND_API_KEY', value, undefined, SIXTH_BOOK);
  expect(problem(resendKey())).toBeUndefined();
  expect(problem(fakeExternal.stripeSecret('live'))).toBe(
    'a Resend API key (re_) is expected, but it is a live-mode Stripe secret key (sk_live_)',
  );
  expect(problem('re_short')).toBe('it is too short for a Resend API key (8 characters: truncated?)');
  expect(problem('key-without-prefix-0123456789')).toBe(
    'a Resend API key (re_) is expected, but it is a value with none of the known Stripe, PostHog or Resend prefixes',
  );
  // The shipped secrets see the new prefix too (a Resend key pasted as the PostHog token is named as such).
  expect(externalSecretFormProblem('POSTHOG_API_KEY', resendKey(), undefined, SIXTH_BOOK)).toBe(
    'a PostHog project token (phc_) is expected, but it is a Resend API key (re_)',
  );
});

describe('the generic external-secret playbook rotates it against its issuer (real HTTP)', () => {
  let counter = 0;
  const newSecret = () => h.sm.createSecret(`fleapo/test/resend-api-key-${(counter += 1)}`, resendKey());

  test('a key of the wrong form is refused at createSecret, before the issuer is asked; AWSCURRENT stays', async () => {
    const arn = newSecret();
    const current = h.sm.versionIdOf(arn, 'AWSCURRENT');
    const requests = api.requests.length;
    await stage(arn, fakeExternal.posthogProject());
    const result = await h.rotate(arn, rotate);
    expect(message(result)).toMatch(
      /^createSecret: Secret .*: the staged value \(version .*\) is refused as resend-api-key: a Resend API key \(re_\) is expected, but it is a PostHog project token \(phc_\)$/,
    );
    expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(current);
    expect(api.requests.length).toBe(requests);
  });

  test('a key the issuer rejects fails testSecret as final; one it cannot answer for is not final; AWSCURRENT stays', async () => {
    const arn = newSecret();
    const current = h.sm.versionIdOf(arn, 'AWSCURRENT');
    await stage(arn, resendKey());
    expect(message(await h.rotate(arn, rotate))).toBe('testSecret: Resend rejected the key (HTTP 401): it is wrong or deleted');
    expect(h.sm.tags(arn)[TAG_REFUSAL_FINAL]).toBe('true');
    expect(h.sm.versionIdOf(arn, 'AWSCURRENT')).toBe(current);

    const other = newSecret();
    const flaky = resendKey();
    api.flaky.add(flaky);
    await stage(other, flaky);
    expect(message(await h.rotate(other, rotate))).toBe(
      `testSecret: Resend at ${new URL(api.origin).host} answered /domains with HTTP 503; the check is retried with the rotation`,
    );
    expect(h.sm.tags(other)[TAG_REFUSAL_FINAL]).not.toBe('true');
    expect(h.sm.tags(other)[TAG_REFUSAL]).toMatch(/^testSecret: /);
  });

  test("a key the issuer accepts becomes AWSCURRENT, ECS rolls, and the revoke notice says so in its issuer's words", async () => {
    const arn = newSecret();
    const good = resendKey();
    api.keys.add(good);
    await stage(arn, good);
    const rolls = h.ecs.rollCount;
    const requests = api.requests.length;
    const result = await h.rotate(arn, rotate);
    expect(message(result)).toBe('ok');
    expect(h.sm.value(arn, 'AWSCURRENT') === good).toBe(true);
    expect(h.ecs.rollCount).toBe(rolls + 1);
    expect(api.requests.slice(requests)).toEqual(['GET /domains']);

    // What lambda/stripe-revoke-notice.ts does, with the fixture's catalog and registry.
    const deployment = h.ecs.primary.id;
    h.ecs.completeDeployment();
    const sent = sns.published.length;
    const sender = new SNSClient({});
    const announced = await announceRevocableKeys(
      parseRetirementTrigger(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', deployment)),
      {
        store: new SecretStore(h.sm.sdkClient()),
        sns: sender,
        topicArn: TOPIC,
        secrets: parseNoticeSecrets(`RESEND_API_KEY=${arn}`, SIXTH_BOOK),
        ecs: ecsClient(),
        ecsTarget: readEcsTarget(),
        environment: 'test',
        book: SIXTH_BOOK,
      },
    );
    sender.destroy();
    expect(announced).toEqual([arn]);
    expect(h.sm.tags(arn)[TAG_REVOKE_NOTICE_VERSION]).toBe(result.token);
    expect(sns.published.slice(sent)).toEqual([
      {
        topicArn: TOPIC,
        subject: 'fleapo test: the old Resend key may now be revoked',
        message:
          `The rollout carrying version ${result.token} of RESEND_API_KEY has completed (ECS deployment ${deployment}): every task now ` +
          'runs with the new key. The old key may now be revoked at Resend (API Keys: delete the old key): https://resend.com/api-keys',
      },
    ]);
    // The shipped notice does not know the fixture's secret: refused by name, never guessed from its ARN.
    expect(() => parseNoticeSecrets(`RESEND_API_KEY=${arn}`)).toThrow(
      'NOTICE_SECRET_ARNS names RESEND_API_KEY, which has no revoke notice',
    );
  });
});

test("the guardrails' value scan recognises its prefix from its issuer file (and the shipped scan does not)", () => {
  const key = resendKey();
  expect(secretValuePatterns(issuerValuePatterns(SIXTH_BOOK)).find((p) => p.pattern.test(`RESEND=${key}`))?.id).toBe('resend-api-key');
  expect(findSecretValue(`RESEND=${key}`)).toBeUndefined();
  // The shipped issuers' patterns come from their files too, in registry order, before the other patterns.
  expect(
    secretValuePatterns()
      .map((p) => p.id)
      .slice(0, 4),
  ).toEqual(['stripe-secret-key', 'stripe-restricted-key', 'stripe-webhook-secret', 'posthog-key']);
});

test("every configuration key an issuer's settings name exists in the configuration's externalServices", () => {
  const keys = Object.keys(externalServicesSchema.shape);
  const issuers: Issuer[] = Object.values(ISSUERS);
  const named = issuers.flatMap((issuer) => [issuer.mode?.configKey, issuer.origin.configKey].filter((k) => k !== undefined));
  expect(named.sort()).toEqual(['posthogApiHost', 'stripeMode']);
  for (const key of named) expect(keys).toContain(key);
});

test('no fixture key appears in any log line or error message', () => {
  expect(h.extraSecrets.length).toBeGreaterThan(5);
  expect(h.leaks()).toEqual([]);
});
