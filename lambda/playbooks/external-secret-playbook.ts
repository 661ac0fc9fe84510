import { readEcsTarget } from '../config/env';
import { ExternalSecretSettings, readExternalSecretSettings } from '../external/external-settings';
import { externalSecretFormProblem, SHIPPED_ISSUERS, type IssuerBook } from '../../runtime/issuers';
import { STAGED_LABEL } from '../../catalog/labels';
import { removeStagedLabel, stagedVersionId } from '../../runtime/staging';
import { logger } from '../observability/logger';
import { ecsClient, secretsManagerClient } from '../rotation/aws-clients';
import { rollServiceOnce } from '../rotation/ecs-rollout';
import type { RotationContext, RotationPlaybook } from '../rotation/rotation-engine';
import { RotationRefusal } from '../../runtime/rotation-refusal';
import { AWSCURRENT } from '../../runtime/secret-store';

function refuseBadForm(settings: ExternalSecretSettings, book: IssuerBook, value: string, secretId: string, what: string): void {
  const { name, suffix } = settings.secret;
  const problem = externalSecretFormProblem(name, value, settings.mode, book);
  if (problem !== undefined) throw new RotationRefusal(`Secret ${secretId}: ${what} is refused as ${suffix}: ${problem}`);
}

/** Removes FLEAPO_STAGED from the version carrying it, if that version holds the value now current. Idempotent. */
async function clearStagedLabel(ctx: RotationContext): Promise<void> {
  const stagedId = stagedVersionId(ctx.description.versionIdsToStages);
  if (stagedId === undefined) {
    logger.info('No version carries the staged label');
    return;
  }
  const staged = await ctx.store.findString(ctx.secretId, STAGED_LABEL, stagedId);
  if (staged === undefined) return; // moved or removed since DescribeSecret
  const current = await ctx.store.getString(ctx.secretId, AWSCURRENT, ctx.token);
  if (staged !== current) {
    // The operator staged another value while this rotation ran: it waits for its own rotation.
    logger.warn('A different value was staged during this rotation: its label stays for the next rotation', { stagedVersionId: stagedId });
    return;
  }
  await removeStagedLabel(secretsManagerClient(), ctx.secretId, stagedId);
  logger.info('Removed the staged label', { stagedVersionId: stagedId });
}

/**
 * Runbook "STRIPE_*" and "POSTHOG_API_KEY" (any issuer-created secret: its issuer's entry in `book` says how its
 * values are checked): a person creates the new key at the issuer (keeping the old one active) and stages it (label
 * FLEAPO_STAGED, `fleapo-secrets stage`), which starts this rotation:
 * 1. generate: the staged value, if its form fits the secret and this environment's mode (Stripe: live or test);
 * 2. set: nothing, the issuer already accepts the new key;
 * 3. test: the issuer accepts it (its live check over HTTP, where the issuer offers one);
 * 4. afterFinish: roll ECS (once per version), then drop the staged label.
 * Revoking the old key (runbook step 4) is the operator's, after the rollout completed: the CLI says when.
 */
export function createExternalSecretPlaybook(book: IssuerBook = SHIPPED_ISSUERS): RotationPlaybook {
  const settingsNow = () => readExternalSecretSettings(process.env, book);
  return {
    checkConfiguration: () => {
      settingsNow();
      readEcsTarget();
    },

    generate: async (current, ctx) => {
      const settings = settingsNow();
      const stagedId = stagedVersionId(ctx.description.versionIdsToStages);
      const staged = stagedId === undefined ? undefined : await ctx.store.findString(ctx.secretId, STAGED_LABEL, stagedId);
      if (staged === undefined) {
        throw new RotationRefusal(`Secret ${ctx.secretId}: nothing is staged: stage the new value with fleapo-secrets stage first`);
      }
      refuseBadForm(settings, book, staged, ctx.secretId, `the staged value (version ${stagedId})`);
      if (staged === current) {
        throw new RotationRefusal(`Secret ${ctx.secretId}: the staged value (version ${stagedId}) is already current: stage the new key`);
      }
      logger.info('Taking the staged value as AWSPENDING', { stagedVersionId: stagedId, kind: settings.secret.suffix });
      return staged;
    },

    // Runbook step 1 happened at the issuer: it already accepts the new key, and the old one stays active.
    set: async () => undefined,

    test: async (pending, ctx) => {
      const settings = settingsNow();
      refuseBadForm(settings, book, pending, ctx.secretId, 'AWSPENDING');
      const { issuerId, secret } = settings.secret;
      const mode = secret.needsMode ? settings.mode : undefined;
      if (secret.liveCheck === undefined) {
        logger.info(secret.checkedLog);
        return;
      }
      const result = await secret.liveCheck(pending, { origin: settings.origins[issuerId], mode });
      if (result.warning) logger.warn(result.warning);
      else logger.info(secret.checkedLog, mode === undefined ? {} : { mode });
    },

    afterFinish: async (ctx) => {
      // Roll first: new tasks must read the new key as soon as it is current; the label is bookkeeping.
      await rollServiceOnce(ctx, ecsClient(), readEcsTarget());
      await clearStagedLabel(ctx);
    },
  };
}

/** The playbook of the shipped issuer-created secrets. */
export const externalSecretPlaybook: RotationPlaybook = createExternalSecretPlaybook();
