import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { FakeSecretsManager, type RotationEvent } from '../support/fake-secrets-manager';

/** The double's semantics, checked through the real SDK v3 client. */
describe('FakeSecretsManager', () => {
  const sm = new FakeSecretsManager();
  let client: SecretsManagerClient;
  beforeAll(async () => {
    await sm.start();
    client = sm.sdkClient();
  });
  afterAll(async () => {
    client.destroy();
    await sm.stop();
  });

  /** The least a rotation function does: store `value` as AWSPENDING at createSecret, move AWSCURRENT to it at finishSecret. */
  const storeThenPromote = (arn: string, previous: string, value: string) => async (event: RotationEvent) => {
    if (event.Step === 'createSecret') {
      await client.send(
        new PutSecretValueCommand({
          SecretId: arn,
          ClientRequestToken: event.ClientRequestToken,
          SecretString: value,
          VersionStages: ['AWSPENDING'],
        }),
      );
    }
    if (event.Step === 'finishSecret') {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: event.ClientRequestToken,
          RemoveFromVersionId: previous,
        }),
      );
    }
  };

  const errorName = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: Error) => e.name,
    );

  test('RotateSecret stages an empty AWSPENDING version before createSecret', async () => {
    const arn = sm.createSecret('double/a', 'v1');
    const seen: Record<string, string[]>[] = [];
    let notFound = '';
    await sm.rotate(
      arn,
      async (event) => {
        if (event.Step === 'createSecret') {
          seen.push((await client.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages!);
          notFound = await errorName(
            client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: event.ClientRequestToken, VersionStage: 'AWSPENDING' })),
          );
          throw new Error('stop here');
        }
      },
      'tok-1',
    );
    expect(seen[0]['tok-1']).toEqual(['AWSPENDING']);
    expect(notFound).toBe('ResourceNotFoundException');
    await expect(sm.rotate(arn, async () => undefined, 'tok-2')).rejects.toThrow("A previous rotation isn't complete");
  });

  test('PutSecretValue idempotency by ClientRequestToken', async () => {
    const arn = sm.createSecret('double/b', 'v1');
    const put = (value: string) =>
      client.send(
        new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: 't-1', SecretString: value, VersionStages: ['AWSPENDING'] }),
      );
    await put('v2');
    expect(await errorName(put('v2'))).toBe('ok');
    expect(await errorName(put('v3'))).toBe('ResourceExistsException');
    expect(sm.stages(arn)['t-1']).toEqual(['AWSPENDING']);
  });

  test('UpdateSecretVersionStage moves AWSPREVIOUS, checks RemoveFromVersionId, leaves AWSPENDING', async () => {
    const arn = sm.createSecret('double/c', 'v1');
    const v1 = sm.versionIdOf(arn, 'AWSCURRENT')!;
    await client.send(
      new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: 't-2', SecretString: 'v2', VersionStages: ['AWSPENDING'] }),
    );
    const move = (from?: string) =>
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: 't-2',
          RemoveFromVersionId: from,
        }),
      );
    expect(await errorName(move('t-2'))).toBe('InvalidParameterException');
    expect(await errorName(move(undefined))).toBe('InvalidParameterException');
    await move(v1);
    expect(sm.stages(arn)).toEqual({ [v1]: ['AWSPREVIOUS'], 't-2': ['AWSCURRENT', 'AWSPENDING'] });
    const got = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' }));
    expect(got.VersionId).toBe(v1);
  });

  test('GetSecretValue with VersionId and VersionStage that do not match', async () => {
    const arn = sm.createSecret('double/d', 'v1');
    const v1 = sm.versionIdOf(arn, 'AWSCURRENT')!;
    expect(await errorName(client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: v1, VersionStage: 'AWSPENDING' })))).toBe(
      'ResourceNotFoundException',
    );
    expect((await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: v1, VersionStage: 'AWSCURRENT' }))).SecretString).toBe(
      'v1',
    );
  });

  test('a successful rotation removes AWSPENDING; tags validate characters', async () => {
    const arn = sm.createSecret('double/e', 'v1');
    const v1 = sm.versionIdOf(arn, 'AWSCURRENT')!;
    const result = await sm.rotate(arn, storeThenPromote(arn, v1, 'v2'));
    expect(result.ok).toBe(true);
    expect(sm.stages(arn)).toEqual({ [v1]: ['AWSPREVIOUS'], [result.token]: ['AWSCURRENT'] });
    await client.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'fleapo:rollout-deployment', Value: 'ecs-svc/123' }] }));
    expect(await errorName(client.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'k', Value: 'bad!value' }] })))).toBe(
      'InvalidParameterException',
    );
    expect(sm.tags(arn)).toEqual({ 'fleapo:rollout-deployment': 'ecs-svc/123' });
  });

  test.each(['absent', 'empty', 'copy'] as const)(
    'RotateSecret with RotateImmediately false (%s): testSecret alone on an AWSPENDING version it creates, then removes; AWSCURRENT stays',
    async (content) => {
      const arn = sm.createSecret(`config-test-${content}`, 'v1');
      const v1 = sm.versionIdOf(arn, 'AWSCURRENT')!;
      const seen: { step: string; stages: Record<string, string[]>; value: string }[] = [];
      sm.setRotationInvoker(arn, async (event) => {
        const value = await client
          .send(new GetSecretValueCommand({ SecretId: arn, VersionId: event.ClientRequestToken, VersionStage: 'AWSPENDING' }))
          .then(
            (out) => `value:${out.SecretString}`,
            (e: Error) => e.name,
          );
        seen.push({ step: event.Step, stages: sm.stages(arn), value });
      });
      sm.configurationTestPending = content;
      const out = await client.send(new RotateSecretCommand({ SecretId: arn, RotateImmediately: false }));
      expect(seen).toHaveLength(1);
      expect(seen[0].step).toBe('testSecret');
      expect(seen[0].stages).toEqual({ [v1]: ['AWSCURRENT'], [out.VersionId!]: ['AWSPENDING'] });
      expect(seen[0].value).toBe({ absent: 'ResourceNotFoundException', empty: 'value:', copy: 'value:v1' }[content]);
      expect(sm.stages(arn)).toEqual({ [v1]: ['AWSCURRENT'] });
      const versions = await client.send(new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }));
      expect(versions.Versions?.map((v) => v.VersionId).sort()).toEqual([v1, out.VersionId].sort());
      expect(versions.Versions?.every((v) => v.CreatedDate instanceof Date)).toBe(true);
      // A failing testSecret fails the call, and the label is removed all the same.
      sm.setRotationInvoker(arn, async () => {
        throw new Error('refused');
      });
      expect(await errorName(client.send(new RotateSecretCommand({ SecretId: arn, RotateImmediately: false })))).toBe(
        'InvalidRequestException',
      );
      expect(sm.stages(arn)).toEqual({ [v1]: ['AWSCURRENT'] });
      expect(sm.configurationTests.at(-1)).toMatchObject({ ok: false, step: 'testSecret' });
    },
  );

  test('four steps that return without moving AWSCURRENT: not a complete rotation (AWSPENDING stays, the next one is refused, the same token completes it)', async () => {
    const arn = sm.createSecret('double/no-finish', 'v1');
    const v1 = sm.versionIdOf(arn, 'AWSCURRENT')!;
    const idle = await sm.rotate(arn, async () => undefined, 'tok-idle');
    expect(idle).toMatchObject({ ok: false, step: 'finishSecret' });
    expect(sm.stages(arn)).toEqual({ [v1]: ['AWSCURRENT'], 'tok-idle': ['AWSPENDING'] });
    await expect(sm.rotate(arn, async () => undefined, 'tok-other')).rejects.toThrow("A previous rotation isn't complete");
    // Retried with its token, the rotation that moves AWSCURRENT completes and AWSPENDING goes.
    const done = await sm.rotate(arn, storeThenPromote(arn, v1, 'v2'), 'tok-idle');
    expect(done).toEqual({ ok: true, token: 'tok-idle' });
    expect(sm.stages(arn)).toEqual({ [v1]: ['AWSPREVIOUS'], 'tok-idle': ['AWSCURRENT'] });
  });
});
