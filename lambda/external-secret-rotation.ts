/**
 * Secrets Manager rotation function for STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and POSTHOG_API_KEY
 * (runbook "STRIPE_*" and "POSTHOG_API_KEY" playbooks): makes the operator-staged value current and rolls ECS.
 * EXTERNAL_SECRET_NAME says which (its issuer: runtime/issuers/); see lambda/README.md.
 */
import { externalSecretPlaybook } from './playbooks/external-secret-playbook';
import { createRotationHandler } from './rotation/rotation-engine';

export const handler = createRotationHandler('external-secret-rotation', externalSecretPlaybook);
