import type { SecretsManagerRotationEvent, SecretsManagerRotationEventStep, SecretsManagerRotationHandler } from 'aws-lambda';
import { logger } from '../observability/logger';
import { secretsManagerClient } from './aws-clients';
import { REFUSAL_TAG_KEYS, TAG_REFUSAL, TAG_REFUSED_AT, TAG_REFUSED_VERSION } from '../../catalog/tags';
import { toTagValue } from './rollout-tags';
import { AWSCURRENT, AWSPENDING, SecretDescription, SecretStore, versionWithStage } from './secret-store';

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
    playbook.checkConfiguration();
    const description = await store.describe(secretId);
    if (!description.rotationEnabled) throw new Error(`Secret ${secretId}: rotation is not enabled`);
    const stages = description.versionIdsToStages[token];
    if (stages === undefined) throw new Error(`Secret ${secretId}: version ${token} is not a version of this secret`);
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
      throw new Error(`Secret ${secretId}: version ${token} is not staged AWSPENDING`);
    }

    switch (step) {
      case 'createSecret':
        await createSecret(playbook, ctx);
        break;
      case 'setSecret':
        await playbook.set(await store.getString(secretId, AWSPENDING, token), await store.getString(secretId, AWSCURRENT), ctx);
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
  } finally {
    logger.removeKeys(['secretId', 'step', 'versionId']);
  }
}

/**
 * Records why and when a step failed on the secret itself (tags {@link TAG_REFUSED_VERSION}, {@link TAG_REFUSAL},
 * {@link TAG_REFUSED_AT}), where
 * `fleapo-secrets` reads it with DescribeSecret (no value read) and reports it within seconds instead of at its
 * timeout. Error messages here never carry a value. Best effort: a failure to record never hides the step's error.
 */
export async function recordRefusal(store: SecretStore, secretId: string, token: string, step: string, error: Error): Promise<void> {
  try {
    await store.tag(secretId, {
      [TAG_REFUSED_VERSION]: token,
      [TAG_REFUSAL]: toTagValue(`${step}: ${error.message}`),
      [TAG_REFUSED_AT]: new Date().toISOString(),
    });
  } catch (tagError) {
    logger.warn('Could not record the refusal on the secret', { tagKeys: REFUSAL_TAG_KEYS, errorName: (tagError as Error).name });
  }
}

async function createSecret(playbook: RotationPlaybook, ctx: RotationContext): Promise<void> {
  const { store, secretId, token } = ctx;
  const current = await store.getString(secretId, AWSCURRENT);
  if ((await store.findString(secretId, AWSPENDING, token)) !== undefined) {
    logger.info('AWSPENDING value already exists for this version');
    return;
  }
  const pending = await playbook.generate(current, ctx);
  await store.putPending(secretId, token, pending);
  logger.info('Stored new AWSPENDING value');
}

/**
 * testSecret proves the pending value works. When it is the current value itself, there is nothing new to prove:
 * that is Secrets Manager's test of the rotation configuration (RotateImmediatelyOnUpdate false: it runs testSecret
 * alone, on an AWSPENDING copy of AWSCURRENT). A real rotation never stages the current value (every playbook
 * generates a new one, or refuses it).
 */
async function testSecret(playbook: RotationPlaybook, ctx: RotationContext): Promise<void> {
  const { store, secretId, token } = ctx;
  const pending = await store.getString(secretId, AWSPENDING, token);
  if (pending === (await store.getString(secretId, AWSCURRENT))) {
    logger.info('AWSPENDING is the current value (rotation configuration test): nothing new to test');
    return;
  }
  await playbook.test(pending, ctx);
}

async function finishSecret(playbook: RotationPlaybook, ctx: RotationContext): Promise<void> {
  const { store, secretId, token } = ctx;
  const currentVersion = versionWithStage(ctx.description.versionIdsToStages, AWSCURRENT);
  if (currentVersion === undefined) throw new Error(`Secret ${secretId}: no version is staged AWSCURRENT`);
  // AWSPENDING stays on the token: Secrets Manager removes it once every step has succeeded.
  await store.moveCurrent(secretId, token, currentVersion);
  logger.info('Moved AWSCURRENT to the new version', { previousVersionId: currentVersion });
  await playbook.afterFinish(ctx);
}

/** A Lambda handler running `playbook` with the container's Secrets Manager client. */
export function createRotationHandler(playbook: RotationPlaybook): SecretsManagerRotationHandler {
  return async (event) => {
    await runRotationStep(event, playbook, new SecretStore(secretsManagerClient()));
  };
}
