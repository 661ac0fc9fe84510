import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { FakeSecretsManager, RotationEvent } from '../support/fake-secrets-manager';

/** The double's additions for the external-secret flow (RotateSecret, custom labels), through the real SDK v3 client. */
describe('FakeSecretsManager: RotateSecret and custom staging labels', () => {
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
  const errorOf = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: Error) => `${e.name}: ${e.message}`,
    );

  /** A rotation function that copies the staged value into AWSPENDING and moves AWSCURRENT. */
  const copyStaged = (gate?: Promise<void>) => async (event: RotationEvent) => {
    const { SecretId, ClientRequestToken } = event;
    if (event.Step === 'createSecret') {
      const staged = await client.send(new GetSecretValueCommand({ SecretId, VersionStage: 'FLEAPO_STAGED' }));
      await client.send(
        new PutSecretValueCommand({ SecretId, ClientRequestToken, SecretString: staged.SecretString, VersionStages: ['AWSPENDING'] }),
      );
    }
    if (event.Step === 'testSecret') await gate;
    if (event.Step === 'finishSecret') {
      const d = await client.send(new DescribeSecretCommand({ SecretId }));
      const current = Object.entries(d.VersionIdsToStages!).find(([, s]) => s.includes('AWSCURRENT'))![0];
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: ClientRequestToken,
          RemoveFromVersionId: current,
        }),
      );
    }
  };

  test('custom label: PutSecretValue moves it off the older version, AWSCURRENT stays; removed alone by RemoveFromVersionId', async () => {
    const arn = sm.createSecret('double/staged', 'v1');
    const v1 = sm.versionIdOf(arn, 'AWSCURRENT')!;
    const a = await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'v2', VersionStages: ['FLEAPO_STAGED'] }));
    const b = await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'v3', VersionStages: ['FLEAPO_STAGED'] }));
    expect(a.VersionId).not.toBe(b.VersionId);
    expect(sm.stages(arn)).toEqual({ [v1]: ['AWSCURRENT'], [b.VersionId!]: ['FLEAPO_STAGED'] });
    expect(
      await errorOf(
        client.send(
          new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'FLEAPO_STAGED', RemoveFromVersionId: a.VersionId }),
        ),
      ),
    ).toMatch(/^InvalidParameterException/);
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'FLEAPO_STAGED', RemoveFromVersionId: b.VersionId }),
    );
    expect(sm.stages(arn)).toEqual({ [v1]: ['AWSCURRENT'] });
    // A deprecated version (no label) is still readable by id.
    expect((await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: a.VersionId }))).SecretString).toBe('v2');
  });

  test('RotateSecret without a rotation function is refused', async () => {
    const arn = sm.createSecret('double/no-function', 'v1');
    expect(await errorOf(client.send(new RotateSecretCommand({ SecretId: arn })))).toBe(
      'InvalidRequestException: No Lambda rotation function ARN is associated with this secret.',
    );
  });

  test('RotateSecret answers at once with the new version staged AWSPENDING; the steps run in the background', async () => {
    const arn = sm.createSecret('double/background', 'v1');
    const v1 = sm.versionIdOf(arn, 'AWSCURRENT')!;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    sm.setRotationInvoker(arn, copyStaged(gate));
    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'v2', VersionStages: ['FLEAPO_STAGED'] }));
    const out = await client.send(new RotateSecretCommand({ SecretId: arn }));
    const token = out.VersionId!;
    expect(out.ARN).toBe(arn);
    expect(sm.stages(arn)[token]).toEqual(['AWSPENDING']);
    expect(sm.versionIdOf(arn, 'AWSCURRENT')).toBe(v1);
    // A second RotateSecret while this one runs: refused, like AWS.
    expect(await errorOf(client.send(new RotateSecretCommand({ SecretId: arn })))).toMatch(
      /^InvalidRequestException: A previous rotation isn't complete/,
    );
    const d = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(d.RotationEnabled).toBe(true);
    expect(d.RotationLambdaARN).toMatch(/^arn:aws:lambda:/);
    release();
    expect(await sm.rotationsSettled()).toEqual([{ ok: true, token }]);
    expect(sm.stages(arn)[token]).toEqual(['AWSCURRENT']);
    expect(sm.stages(arn)[v1]).toEqual(['AWSPREVIOUS']);
    expect((await client.send(new DescribeSecretCommand({ SecretId: arn }))).LastRotatedDate).toBeInstanceOf(Date);
  });

  test('RotateSecret in the foreground (background: false) answers after the steps; a failed step leaves AWSPENDING', async () => {
    const arn = sm.createSecret('double/foreground', 'v1');
    sm.setRotationInvoker(arn, copyStaged(), { background: false });
    // Nothing staged: createSecret fails.
    const out = await client.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: 'tok-fg-1' }));
    expect(out.VersionId).toBe('tok-fg-1');
    const results = await sm.rotationsSettled();
    expect(results[results.length - 1]).toMatchObject({ ok: false, token: 'tok-fg-1', step: 'createSecret' });
    expect(sm.stages(arn)['tok-fg-1']).toEqual(['AWSPENDING']);
    // Clearing the failed rotation's AWSPENDING lets a new one start.
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: 'tok-fg-1' }));
    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'v2', VersionStages: ['FLEAPO_STAGED'] }));
    const second = await client.send(new RotateSecretCommand({ SecretId: arn }));
    expect(sm.versionIdOf(arn, 'AWSCURRENT')).toBe(second.VersionId); // already done when it answered
    expect(sm.value(arn)).toBe('v2');
  });
});
