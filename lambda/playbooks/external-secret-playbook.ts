import { readEcsTarget } from '../config/env';
import { externalSecretFormProblem, isRestrictedStripeKey } from '../external/external-secret-kinds';
import { ExternalSecretSettings, readExternalSecretSettings } from '../external/external-settings';
import { checkPosthogProjectToken, checkStripeKey } from '../external/issuer-checks';
import { STAGED_LABEL } from '../../catalog/labels';
import { removeStagedLabel, stagedVersionId } from '../../runtime/staging';
import { logger } from '../observability/logger';
import { ecsClient, secretsManagerClient } from '../rotation/aws-clients';
import { rollServiceOnce } from '../rotation/ecs-rollout';
import type { RotationContext, RotationPlaybook } from '../rotation/rotation-engine';
import { RotationRefusal } from '../../runtime/rotation-refusal';
import { AWSCURRENT } from '../../runtime/secret-store';
import { assertNever } from '../../catalog/assert-never';

function refuseBadForm(settings: ExternalSecretSettings, value: string, secretId: string, what: string): void {
  const problem = externalSecretFormProblem(settings.kind, value, settings.mode);
  if (problem !== undefined) throw new RotationRefusal(`Secret ${secretId}: ${what} is refused as ${settings.kind}: ${problem}`);
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
 * Runbook "STRIPE_*" and "POSTHOG_API_KEY": a person creates the new key at the issuer (keeping the old one
 * active) and stages it (label FLEAPO_STAGED, `fleapo-secrets stage`), which starts this rotation:
 * 1. generate: the staged value, if its form fits the kind and this environment's Stripe mode;
 * 2. set: nothing, the issuer already accepts the new key;
 * 3. test: the issuer accepts it (Stripe secret key, PostHog project token), over HTTP;
 * 4. afterFinish: roll ECS (once per version), then drop the staged label.
 * Revoking the old key (runbook step 4) is the operator's, after the rollout completed: the CLI says when.
 */
export const externalSecretPlaybook: RotationPlaybook = {
  checkConfiguration: () => {
    readExternalSecretSettings();
    readEcsTarget();
  },

  generate: async (current, ctx) => {
    const settings = readExternalSecretSettings();
    const stagedId = stagedVersionId(ctx.description.versionIdsToStages);
    const staged = stagedId === undefined ? undefined : await ctx.store.findString(ctx.secretId, STAGED_LABEL, stagedId);
    if (staged === undefined) {
      throw new RotationRefusal(`Secret ${ctx.secretId}: nothing is staged: stage the new value with fleapo-secrets stage first`);
    }
    refuseBadForm(settings, staged, ctx.secretId, `the staged value (version ${stagedId})`);
    if (staged === current) {
      throw new RotationRefusal(`Secret ${ctx.secretId}: the staged value (version ${stagedId}) is already current: stage the new key`);
    }
    logger.info('Taking the staged value as AWSPENDING', { stagedVersionId: stagedId, kind: settings.kind });
    return staged;
  },

  // Runbook step 1 happened at the issuer: it already accepts the new key, and the old one stays active.
  set: async () => undefined,

  test: async (pending, ctx) => {
    const settings = readExternalSecretSettings();
    refuseBadForm(settings, pending, ctx.secretId, 'AWSPENDING');
    switch (settings.kind) {
      case 'stripe-secret-key': {
        const result = await checkStripeKey(pending, settings.mode!, settings.stripeApiBase, {
          restricted: isRestrictedStripeKey(pending),
        });
        if (result.warning) logger.warn(result.warning);
        else logger.info('Stripe accepted the key', { mode: settings.mode });
        return;
      }
      case 'posthog-api-key':
        await checkPosthogProjectToken(pending, settings.posthogApiHost);
        logger.info('PostHog accepted the project token');
        return;
      case 'stripe-webhook-secret':
        // Stripe offers no API to check a webhook signing secret (it only signs events with it): the form check
        // above is all that can be proved before the app verifies real events with it.
        logger.info('Webhook signing secret: form checked (Stripe offers no check of the secret itself)');
        return;
      default:
        return assertNever(settings.kind);
    }
  },

  afterFinish: async (ctx) => {
    // Roll first: new tasks must read the new key as soon as it is current; the label is bookkeeping.
    await rollServiceOnce(ctx, ecsClient(), readEcsTarget());
    await clearStagedLabel(ctx);
  },
};
