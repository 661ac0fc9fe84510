import type { SecretsManagerRotationEvent, SecretsManagerRotationEventStep, SecretsManagerRotationHandler } from 'aws-lambda';
import type { HandlerName } from '../../catalog/handlers';
import { readHandlerEnvironment } from '../../runtime/handler-environment';
import { withLambdaContext } from '../observability/lambda-context';
import { logger } from '../observability/logger';
import { secretsManagerClient } from './aws-clients';
import { REFUSAL_TAG_KEYS, TAG_PENDING, TAG_REFUSAL, TAG_REFUSAL_FINAL, TAG_REFUSED_AT, TAG_REFUSED_VERSION } from '../../catalog/tags';
import { isFinalRefusal, RotationRefusal } from '../../runtime/rotation-refusal';
import { isRotationsOwnPending, pendingMarkerTag } from './pending-marker';
import { toTagValue } from '../../runtime/rollout-tags';
import { AWSCURRENT, AWSPENDING, SecretDescription, SecretStore, versionWithStage } from '../../runtime/secret-store';

/** What a playbook's hooks get to know about the rotation in progress. */
export interface RotationContext {
  secretId: string;
  token: string;
  /** DescribeSecret as read at the start of this step. */
  description: SecretDescription;
  store: SecretStore;
}

/**
 * A rotation playbook supplies only what differs between secrets. The engine owns the
 * Secrets Manager protocol (checks, staging labels, idempotency).
 */
export interface RotationPlaybook {
  /**
   * Reads the function's configuration (environment variables) and throws, naming what is missing, before any
   * step touches the secret: a misconfigured function must fail at createSecret, not after AWSCURRENT moved.
   */
  checkConfiguration(): void;
  /** The new value, derived from AWSCURRENT. Throws (naming the problem, not the value) if AWSCURRENT does not parse. */
  generate(current: string, ctx: RotationContext): Promise<string> | string;
  /** Make the external system accept `pending` (idempotent). */
  set(pending: string, current: string, ctx: RotationContext): Promise<void>;
  /** Prove `pending` works. */
  test(pending: string, ctx: RotationContext): Promise<void>;
  /** After AWSCURRENT moved to the token (also re-run on retries until it records itself done). */
  afterFinish(ctx: RotationContext): Promise<void>;
}

export const ROTATION_STEPS: readonly SecretsManagerRotationEventStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

function isStep(step: unknown): step is SecretsManagerRotationEventStep {
  return typeof step === 'string' && (ROTATION_STEPS as readonly string[]).includes(step);
}

/** Checks the event's shape before any AWS call. */
export function validateRotationEvent(event: unknown): SecretsManagerRotationEvent {
  const e = (event ?? {}) as Partial<Record<keyof SecretsManagerRotationEvent, unknown>>;
  if (typeof e.SecretId !== 'string' || e.SecretId === '') throw new Error('Rotation event has no SecretId');
  if (typeof e.ClientRequestToken !== 'string' || e.ClientRequestToken === '') {
    throw new Error(`Rotation event for secret ${e.SecretId} has no ClientRequestToken`);
  }
  if (!isStep(e.Step)) {
    throw new Error(`Rotation event for secret ${e.SecretId}: unknown step ${JSON.stringify(String(e.Step)).slice(0, 40)}`);
  }
  return { Step: e.Step, SecretId: e.SecretId, ClientRequestToken: e.ClientRequestToken };
}

/** Runs one rotation step of `playbook` for `event`. */
export async function runRotationStep(event: unknown, playbook: RotationPlaybook, store: SecretStore): Promise<void> {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = validateRotationEvent(event);
  const started = Date.now();
  logger.appendKeys({ secretId, step, versionId: token });
  try {
    try {
      playbook.checkConfiguration();
    } catch (error) {
      // A setting missing or malformed: every retry reads the same environment.
      throw new RotationRefusal((error as Error).message);
    }
    const description = await store.describe(secretId);
    if (!description.rotationEnabled) throw new RotationRefusal(`Secret ${secretId}: rotation is not enabled`);
    const stages = description.versionIdsToStages[token];
    if (stages === undefined) throw new RotationRefusal(`Secret ${secretId}: version ${token} is not a version of this secret`);
    const ctx: RotationContext = { secretId, token, description, store };

    if (stages.includes(AWSCURRENT)) {
      // A retry after finishSecret already moved AWSCURRENT. Only the finish step still has work
      // to do: its afterFinish (rolling ECS) may have failed after the stage move. afterFinish
      // records itself on the secret and is a no-op once done for this token.
      if (step === 'finishSecret') await playbook.afterFinish(ctx);
      logger.info('Version is already AWSCURRENT', { durationMs: Date.now() - started });
      return;
    }
    if (!stages.includes(AWSPENDING)) {
      throw new RotationRefusal(`Secret ${secretId}: version ${token} is not staged AWSPENDING`);
    }

    switch (step) {
      case 'createSecret':
        await createSecret(playbook, ctx);
        break;
      case 'setSecret':
        await playbook.set(
          requireOwnPending(ctx, await store.getString(secretId, AWSPENDING, token)),
          await store.getString(secretId, AWSCURRENT),
          ctx,
        );
        break;
      case 'testSecret':
        await testSecret(playbook, ctx);
        break;
      case 'finishSecret':
        await finishSecret(playbook, ctx);
        break;
    }
    logger.info('Rotation step done', { durationMs: Date.now() - started });
  } catch (error) {
    logger.error('Rotation step failed', { durationMs: Date.now() - started, error: error as Error });
    await recordRefusal(store, secretId, token, step, error as Error);
    throw error;
  }
}

/**
 * Records why and when a step failed on the secret itself (tags {@link TAG_REFUSED_VERSION}, {@link TAG_REFUSAL},
 * {@link TAG_REFUSED_AT}, and {@link TAG_REFUSAL_FINAL}: whether a retry can mend it, see rotation-refusal.ts), where
 * `fleapo-secrets` reads it with DescribeSecret (no value read) and reports it within seconds instead of at its
 * timeout. Error messages here never carry a value. Best effort: a failure to record never hides the step's error.
 */
export async function recordRefusal(store: SecretStore, secretId: string, token: string, step: string, error: Error): Promise<void> {
  try {
    await store.tag(secretId, {
      [TAG_REFUSED_VERSION]: token,
      [TAG_REFUSAL]: toTagValue(`${step}: ${error.message}`),
      [TAG_REFUSED_AT]: new Date().toISOString(),
      [TAG_REFUSAL_FINAL]: String(isFinalRefusal(error)),
    });
  } catch (tagError) {
    logger.warn('Could not record the refusal on the secret', { tagKeys: REFUSAL_TAG_KEYS, errorName: (tagError as Error).name });
  }
}

/**
 * The pending value, if this rotation created it (the marker TAG_PENDING matches this version and value, see
 * pending-marker.ts); otherwise refused: a value someone else staged AWSPENDING (PutSecretValue with any
 * VersionStages) is never set, tested as ours or promoted.
 */
function requireOwnPending(ctx: RotationContext, pending: string): string {
  if (!isRotationsOwnPending(ctx.description.tags, ctx.token, pending)) {
    throw new RotationRefusal(
      `Secret ${ctx.secretId}: the AWSPENDING value of version ${ctx.token} was not created by this rotation (no matching ${TAG_PENDING} marker): ` +
        'refused; remove that AWSPENDING (fleapo-secrets roll-current) and rotate again',
    );
  }
  return pending;
}

/**
 * Generates the new value, marks it (TAG_PENDING) and stores it as AWSPENDING of the token. The marker is written
 * first: a retry after a failed PutSecretValue generates and marks again; a retry after a stored value keeps it only
 * if it is the marked one (a value someone else wrote into this version, even between the two calls, is refused).
 */
async function createSecret(playbook: RotationPlaybook, ctx: RotationContext): Promise<void> {
  const { store, secretId, token } = ctx;
  const current = await store.getString(secretId, AWSCURRENT);
  const existing = await store.findString(secretId, AWSPENDING, token);
  if (existing !== undefined) {
    requireOwnPending(ctx, existing);
    logger.info('AWSPENDING value already exists for this version');
    return;
  }
  const pending = await playbook.generate(current, ctx);
  await store.tag(secretId, pendingMarkerTag(token, pending));
  await store.putPending(secretId, token, pending);
  logger.info('Stored new AWSPENDING value');
}

/**
 * testSecret proves the pending value this rotation created works, in full. A pending version the rotation did not
 * create is Secrets Manager's test of the rotation configuration (RotateImmediately false: it "creates an AWSPENDING
 * version of the secret and then removes it", running testSecret alone; docs/aws-facts.md): when it holds no value,
 * an empty one or a copy of AWSCURRENT, there is nothing new to prove and nothing is sent or changed; it can never
 * become AWSCURRENT (setSecret and finishSecret refuse it). Any other value nobody marked is refused.
 */
async function testSecret(playbook: RotationPlaybook, ctx: RotationContext): Promise<void> {
  const { store, secretId, token } = ctx;
  const pending = await store.findString(secretId, AWSPENDING, token);
  if (pending !== undefined && isRotationsOwnPending(ctx.description.tags, token, pending)) {
    await playbook.test(pending, ctx);
    return;
  }
  const content = pending === undefined ? 'no value' : pending === '' ? 'an empty value' : undefined;
  if (content !== undefined || pending === (await store.getString(secretId, AWSCURRENT))) {
    logger.info('AWSPENDING is not a value this rotation created (the rotation configuration test): nothing to test, nothing changed', {
      pendingContent: content ?? 'a copy of AWSCURRENT',
    });
    return;
  }
  requireOwnPending(ctx, pending!);
}

async function finishSecret(playbook: RotationPlaybook, ctx: RotationContext): Promise<void> {
  const { store, secretId, token } = ctx;
  const currentVersion = versionWithStage(ctx.description.versionIdsToStages, AWSCURRENT);
  if (currentVersion === undefined) throw new Error(`Secret ${secretId}: no version is staged AWSCURRENT`);
  requireOwnPending(ctx, await store.getString(secretId, AWSPENDING, token));
  // AWSPENDING stays on the token: Secrets Manager removes it once every step has succeeded.
  await store.moveCurrent(secretId, token, currentVersion);
  logger.info('Moved AWSCURRENT to the new version', { previousVersionId: currentVersion });
  await playbook.afterFinish(ctx);
}

/**
 * A Lambda handler running `playbook` with the container's Secrets Manager client. Its configuration check also
 * requires every variable runtime/handler-environment.ts declares for `handler`.
 */
export function createRotationHandler(handler: HandlerName, playbook: RotationPlaybook): SecretsManagerRotationHandler {
  const checked: RotationPlaybook = {
    ...playbook,
    checkConfiguration: () => {
      playbook.checkConfiguration();
      readHandlerEnvironment(handler);
    },
  };
  return withLambdaContext(async (event: SecretsManagerRotationEvent) => {
    await runRotationStep(event, checked, new SecretStore(secretsManagerClient()));
  });
}
