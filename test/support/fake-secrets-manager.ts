import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError, AwsJsonServer, AwsServiceDouble } from './aws-json-server';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

export interface RotationEvent {
  Step: string;
  SecretId: string;
  ClientRequestToken: string;
}
export type RotationInvoker = (event: RotationEvent) => Promise<unknown>;
export type RotationResult = { ok: true; token: string } | { ok: false; token: string; step: string; error: Error };

/**
 * What the AWSPENDING version of Secrets Manager's rotation configuration test holds (RotateSecret with
 * RotateImmediately false). AWS documents only that "the test creates an AWSPENDING version of the secret and then
 * removes it" (docs/aws-facts.md, "The deploy-time rotation test"), not its content: `absent` (a version without a
 * value, as a rotation's own version before createSecret), `empty` (SecretString ''), `copy` (AWSCURRENT's value).
 */
export type ConfigurationTestPending = 'absent' | 'empty' | 'copy';

interface Version {
  id: string;
  /** undefined: the empty version Secrets Manager creates with AWSPENDING when a rotation starts. */
  value?: string;
  stages: Set<string>;
  createdAt: number;
}

interface Secret {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  versions: Map<string, Version>;
  tags: Map<string, string>;
  /** The "rotation function" RotateSecret invokes (see setRotationInvoker). */
  rotation?: { invoke: RotationInvoker; background: boolean; retries: RotationRetries; functionName: string };
  lastRotatedAt?: number;
}

/**
 * How Secrets Manager retries a rotation a step of which failed: the *whole* rotation again (createSecret first),
 * with the same token, `attempts` more times, `delayMs` apart (AWS does not document the count or the spacing,
 * only that it retries within the rotation window: docs/aws-facts.md). Off by default in this double (`attempts: 0`)
 * so that a test sees one attempt unless it models the retries.
 */
export interface RotationRetries {
  readonly attempts: number;
  readonly delayMs: number;
}

const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/**
 * A Secrets Manager test double speaking the AWS JSON 1.1 protocol, with the documented semantics the
 * rotation protocol relies on (docs/aws-facts.md, "Secrets Manager rotation"):
 * - RotateSecret (`rotate`) refuses "A previous rotation isn't complete" while AWSPENDING is on a
 *   non-current version with another token; it creates the token's version empty, staged AWSPENDING
 *   (visible in DescribeSecret, ResourceNotFoundException from GetSecretValue) before invoking
 *   createSecret; it invokes the four steps and removes AWSPENDING only when all succeeded and AWSCURRENT is on the
 *   token's version (steps that return without moving it leave the rotation incomplete, reported at finishSecret).
 * - PutSecretValue: ClientRequestToken idempotency (same value ok, other value ResourceExistsException);
 *   staging labels move from other versions; AWSCURRENT moving moves AWSPREVIOUS to the old version.
 * - UpdateSecretVersionStage: RemoveFromVersionId must be the holder (InvalidParameterException);
 *   AWSCURRENT moves AWSPREVIOUS along; AWSPENDING is left where it is.
 * - Custom staging labels (e.g. FLEAPO_STAGED) behave like any label: on one version at a time, moved by
 *   PutSecretValue/UpdateSecretVersionStage, removed with RemoveFromVersionId alone. A version left with no label
 *   is deprecated: not in VersionIdsToStages, still readable by VersionId.
 * - The RotateSecret operation (for a secret with a rotation invoker, `setRotationInvoker`) runs the same driver as
 *   `rotate`: the precondition checks and the empty AWSPENDING version happen before it answers; the steps then run
 *   in the background like AWS's asynchronous rotation (or before the answer, `background: false`). Outcomes are
 *   in `rotationResults`; `rotationsSettled()` waits for the running ones.
 */
export class FakeSecretsManager extends AwsServiceDouble {
  readonly region = 'us-east-1';
  readonly account = '111111111111';
  private readonly secrets = new Map<string, Secret>();
  /** Every SecretString ever stored (to assert none leaks into logs). */
  readonly storedValues: string[] = [];
  /** Outcomes of the rotations RotateSecret started, in the order they ended. */
  readonly rotationResults: RotationResult[] = [];
  /** The content of the AWSPENDING version of a rotation configuration test (not documented: tests run each). */
  configurationTestPending: ConfigurationTestPending = 'absent';
  /** Outcomes of the rotation configuration tests (RotateImmediately false), in order. */
  readonly configurationTests: RotationResult[] = [];
  private readonly running = new Set<Promise<RotationResult>>();
  readonly server = new AwsJsonServer('secretsmanager', {
    DescribeSecret: (i) => this.describeSecret(i),
    GetSecretValue: (i) => this.getSecretValue(i),
    PutSecretValue: (i) => this.putSecretValue(i),
    UpdateSecretVersionStage: (i) => this.updateSecretVersionStage(i),
    TagResource: (i) => this.tagResource(i),
    UntagResource: (i) => this.untagResource(i),
    RotateSecret: (i) => this.rotateSecret(i),
    ListSecretVersionIds: (i) => this.listSecretVersionIds(i),
  });

  /** A real SDK v3 client of this double: no retries, so a test sees each injected failure. */
  sdkClient(): SecretsManagerClient {
    return new SecretsManagerClient({
      endpoint: this.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  }

  /** Creates a secret whose first version holds `value` as AWSCURRENT; returns its ARN. */
  createSecret(name: string, value: string, options: { rotationEnabled?: boolean } = {}): string {
    const arn = `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-${randomBytes(3).toString('hex')}`;
    const secret: Secret = { arn, name, rotationEnabled: options.rotationEnabled ?? true, versions: new Map(), tags: new Map() };
    this.secrets.set(arn, secret);
    this.addVersion(secret, randomUUID(), value, [AWSCURRENT]);
    return arn;
  }

  setRotationEnabled(secretId: string, enabled: boolean): void {
    this.secret(secretId).rotationEnabled = enabled;
  }

  /** VersionIdsToStages as DescribeSecret shows it (sorted stages), for assertions. */
  stages(secretId: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const v of this.secret(secretId).versions.values()) {
      if (v.stages.size > 0) out[v.id] = [...v.stages].sort();
    }
    return out;
  }

  tags(secretId: string): Record<string, string> {
    return Object.fromEntries(this.secret(secretId).tags);
  }

  /** The value staged `stage` (test-side read; never print it). */
  value(secretId: string, stage = AWSCURRENT): string | undefined {
    return this.holder(this.secret(secretId), stage)?.value;
  }

  versionIdOf(secretId: string, stage: string): string | undefined {
    return this.holder(this.secret(secretId), stage)?.id;
  }

  /**
   * RotateSecret followed by what Secrets Manager does: invoke the four steps with the token,
   * stop at the first failure, remove AWSPENDING when all succeeded. Pass the token of a failed
   * rotation to retry it (Secrets Manager retries with the same token).
   */
  async rotate(secretId: string, invoke: RotationInvoker, token: string = randomUUID()): Promise<RotationResult> {
    const secret = this.secret(secretId);
    this.beginRotation(secret, token);
    return this.runRotationSteps(secret, invoke, token);
  }

  /**
   * Configures the secret's rotation "function": the RotateSecret operation invokes it (and enables rotation,
   * as configuring a rotation function does). `background` (default, like AWS): RotateSecret answers at once.
   * `functionName`: the function DescribeSecret's RotationLambdaARN names (default `rotation-double`).
   */
  setRotationInvoker(
    secretId: string,
    invoke: RotationInvoker,
    options: { background?: boolean; retries?: RotationRetries; functionName?: string } = {},
  ): void {
    const secret = this.secret(secretId);
    secret.rotation = {
      invoke,
      background: options.background ?? true,
      retries: options.retries ?? { attempts: 0, delayMs: 0 },
      functionName: options.functionName ?? 'rotation-double',
    };
    secret.rotationEnabled = true;
  }

  /** Waits for every rotation RotateSecret started; returns all outcomes so far. */
  async rotationsSettled(): Promise<RotationResult[]> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    return [...this.rotationResults];
  }

  /** Checks and the empty AWSPENDING version: what RotateSecret does before it answers. */
  private beginRotation(secret: Secret, token: string): void {
    if (!secret.rotationEnabled) throw new AwsError('InvalidRequestException', 'Rotation is not enabled for this secret');
    const pending = this.holder(secret, AWSPENDING);
    if (pending && !pending.stages.has(AWSCURRENT) && pending.id !== token) {
      throw new AwsError('InvalidRequestException', "A previous rotation isn't complete. That rotation will be reattempted.");
    }
    if (!secret.versions.has(token)) {
      if (pending) pending.stages.delete(AWSPENDING);
      secret.versions.set(token, { id: token, stages: new Set([AWSPENDING]), createdAt: Date.now() });
    }
  }

  /** The rotation RotateSecret started, then Secrets Manager's retries of it while a step fails (same token). */
  private async runWithRetries(secret: Secret, invoke: RotationInvoker, token: string, retries: RotationRetries): Promise<RotationResult> {
    let result = await this.runRotationSteps(secret, invoke, token);
    for (let attempt = 0; !result.ok && attempt < retries.attempts; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, retries.delayMs));
      result = await this.runRotationSteps(secret, invoke, token);
    }
    return result;
  }

  private async runRotationSteps(secret: Secret, invoke: RotationInvoker, token: string): Promise<RotationResult> {
    for (const step of ROTATION_STEPS) {
      try {
        await invoke({ Step: step, SecretId: secret.arn, ClientRequestToken: token });
      } catch (error) {
        return { ok: false, token, step, error: error as Error };
      }
    }
    // A rotation is complete when AWSCURRENT is on its version (docs/aws-facts.md, "Test doubles' sourced
    // behaviour"): then Secrets Manager removes AWSPENDING. Steps that all returned without moving AWSCURRENT leave
    // AWSPENDING on a version that is not current: the rotation is not complete, and the next one is refused.
    if (!secret.versions.get(token)?.stages.has(AWSCURRENT)) {
      return {
        ok: false,
        token,
        step: 'finishSecret',
        error: new Error(`finishSecret returned, but AWSCURRENT is not on version ${token}`),
      };
    }
    secret.versions.get(token)?.stages.delete(AWSPENDING);
    secret.lastRotatedAt = Date.now();
    return { ok: true, token };
  }

  /**
   * RotateSecret with RotateImmediately false: "Secrets Manager tests the rotation configuration by running the
   * testSecret step of the Lambda rotation function. The test creates an AWSPENDING version of the secret and then
   * removes it." (RotateSecret API reference). The version's content is `configurationTestPending`; AWSCURRENT never
   * moves and no other step runs. Modelled beyond the documentation (marked so in docs/aws-facts.md): the test runs
   * before RotateSecret answers, a failed testSecret fails the call (InvalidRequestException naming the step), and the
   * label is removed either way (the version stays, deprecated).
   */
  private async testRotationConfiguration(secret: Secret, invoke: RotationInvoker, token: string) {
    if (!secret.rotationEnabled) throw new AwsError('InvalidRequestException', 'Rotation is not enabled for this secret');
    const pending = this.holder(secret, AWSPENDING);
    if (pending && !pending.stages.has(AWSCURRENT)) {
      throw new AwsError('InvalidRequestException', "A previous rotation isn't complete. That rotation will be reattempted.");
    }
    if (secret.versions.has(token))
      throw new AwsError('ResourceExistsException', `A version with ClientRequestToken ${token} already exists`);
    const version: Version = { id: token, stages: new Set(), createdAt: Date.now() };
    if (this.configurationTestPending === 'copy') version.value = this.holder(secret, AWSCURRENT)?.value;
    if (this.configurationTestPending === 'empty') version.value = '';
    secret.versions.set(token, version);
    this.attach(secret, version, AWSPENDING);
    let result: RotationResult = { ok: true, token };
    try {
      await invoke({ Step: 'testSecret', SecretId: secret.arn, ClientRequestToken: token });
    } catch (error) {
      result = { ok: false, token, step: 'testSecret', error: error as Error };
    }
    version.stages.delete(AWSPENDING);
    this.configurationTests.push(result);
    if (!result.ok) throw new AwsError('InvalidRequestException', 'test double: the rotation configuration test (testSecret) failed');
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  }

  // ---- protocol operations ----

  private rotateSecret(input: Record<string, unknown>) {
    const secret = this.secret(input.SecretId);
    if (input.RotationLambdaARN !== undefined || input.RotationRules !== undefined) {
      throw new AwsError('InvalidParameterException', 'test double: configure rotation with setRotationInvoker, not RotateSecret');
    }
    if (!secret.rotation) {
      throw new AwsError('InvalidRequestException', 'No Lambda rotation function ARN is associated with this secret.');
    }
    const token = (input.ClientRequestToken as string | undefined) ?? randomUUID();
    if (input.RotateImmediately === false) return this.testRotationConfiguration(secret, secret.rotation.invoke, token);
    this.beginRotation(secret, token);
    const run = this.runWithRetries(secret, secret.rotation.invoke, token, secret.rotation.retries).then((result) => {
      this.rotationResults.push(result);
      this.running.delete(run);
      return result;
    });
    this.running.add(run);
    const answer = { ARN: secret.arn, Name: secret.name, VersionId: token };
    return secret.rotation.background ? answer : run.then(() => answer);
  }

  /** Versions with a label (IncludeDeprecated: every version), ids, labels and dates only: no value. */
  private listSecretVersionIds(input: Record<string, unknown>) {
    const secret = this.secret(input.SecretId);
    const versions = [...secret.versions.values()].filter((v) => input.IncludeDeprecated === true || v.stages.size > 0);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: versions.map((v) => ({ VersionId: v.id, VersionStages: [...v.stages], CreatedDate: v.createdAt / 1000 })),
    };
  }

  private describeSecret(input: Record<string, unknown>) {
    const secret = this.secret(input.SecretId);
    const tags = [...secret.tags].map(([Key, Value]) => ({ Key, Value }));
    return {
      ARN: secret.arn,
      Name: secret.name,
      RotationEnabled: secret.rotationEnabled,
      ...(secret.rotation
        ? { RotationLambdaARN: `arn:aws:lambda:${this.region}:${this.account}:function:${secret.rotation.functionName}` }
        : {}),
      ...(secret.lastRotatedAt !== undefined ? { LastRotatedDate: secret.lastRotatedAt / 1000 } : {}),
      VersionIdsToStages: this.stages(secret.arn),
      ...(tags.length > 0 ? { Tags: tags } : {}),
    };
  }

  private getSecretValue(input: Record<string, unknown>) {
    const secret = this.secret(input.SecretId);
    const versionId = input.VersionId as string | undefined;
    const stage = input.VersionStage as string | undefined;
    let version: Version | undefined;
    if (versionId !== undefined) {
      version = secret.versions.get(versionId);
      if (version && stage !== undefined && !version.stages.has(stage)) version = undefined;
    } else {
      version = this.holder(secret, stage ?? AWSCURRENT);
    }
    if (version?.value === undefined) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for ${versionId !== undefined ? `VersionId: ${versionId}` : `staging label: ${stage ?? AWSCURRENT}`}`,
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: version.value,
      VersionStages: [...version.stages],
      CreatedDate: version.createdAt / 1000,
    };
  }

  private putSecretValue(input: Record<string, unknown>) {
    const secret = this.secret(input.SecretId);
    const token = (input.ClientRequestToken as string | undefined) ?? randomUUID();
    const value = input.SecretString;
    if (typeof value !== 'string') throw new AwsError('InvalidParameterException', 'SecretString is required');
    const stages = (input.VersionStages as string[] | undefined) ?? [AWSCURRENT];
    const existing = secret.versions.get(token);
    if (existing?.value !== undefined) {
      if (existing.value !== value) {
        throw new AwsError('ResourceExistsException', 'You can’t modify an existing version, you can only create a new version.');
      }
      return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...existing.stages] };
    }
    const version = this.addVersion(secret, token, value, stages);
    return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...version.stages] };
  }

  private updateSecretVersionStage(input: Record<string, unknown>) {
    const secret = this.secret(input.SecretId);
    const stage = input.VersionStage as string;
    const moveTo = input.MoveToVersionId as string | undefined;
    const removeFrom = input.RemoveFromVersionId as string | undefined;
    const holder = this.holder(secret, stage);
    if (removeFrom !== undefined && holder?.id !== removeFrom) {
      throw new AwsError('InvalidParameterException', `The staging label ${stage} is not attached to version ${removeFrom}`);
    }
    if (moveTo !== undefined) {
      const target = secret.versions.get(moveTo);
      if (!target) throw new AwsError('ResourceNotFoundException', `Version ${moveTo} not found`);
      if (holder && holder.id !== moveTo && removeFrom === undefined) {
        throw new AwsError(
          'InvalidParameterException',
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      if (holder?.id !== moveTo) this.attach(secret, target, stage);
    } else if (holder) {
      holder.stages.delete(stage);
    }
    return { ARN: secret.arn, Name: secret.name };
  }

  private tagResource(input: Record<string, unknown>) {
    const secret = this.secret(input.SecretId);
    for (const tag of (input.Tags as { Key: string; Value: string }[]) ?? []) {
      if (
        !tag.Key ||
        tag.Key.length > 128 ||
        (tag.Value ?? '').length > 256 ||
        !TAG_VALUE.test(tag.Key) ||
        !TAG_VALUE.test(tag.Value ?? '')
      ) {
        throw new AwsError('InvalidParameterException', 'Invalid tag key or value');
      }
      secret.tags.set(tag.Key, tag.Value ?? '');
    }
    return {};
  }

  private untagResource(input: Record<string, unknown>) {
    const secret = this.secret(input.SecretId);
    for (const key of (input.TagKeys as string[]) ?? []) secret.tags.delete(key);
    return {};
  }

  // ---- internals ----

  private secret(secretId: unknown): Secret {
    const id = String(secretId);
    const secret = this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.name === id);
    if (!secret) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  private holder(secret: Secret, stage: string): Version | undefined {
    return [...secret.versions.values()].find((v) => v.stages.has(stage));
  }

  private addVersion(secret: Secret, id: string, value: string, stages: string[]): Version {
    const version = secret.versions.get(id) ?? { id, stages: new Set<string>(), createdAt: Date.now() };
    version.value = value;
    this.storedValues.push(value);
    secret.versions.set(id, version);
    for (const stage of stages) this.attach(secret, version, stage);
    return version;
  }

  /** Moves `stage` to `version`; moving AWSCURRENT moves AWSPREVIOUS to the old current version. */
  private attach(secret: Secret, version: Version, stage: string): void {
    const holder = this.holder(secret, stage);
    if (holder === version) return;
    holder?.stages.delete(stage);
    version.stages.add(stage);
    if (stage === AWSCURRENT && holder) {
      this.holder(secret, AWSPREVIOUS)?.stages.delete(AWSPREVIOUS);
      holder.stages.add(AWSPREVIOUS);
    }
  }
}
