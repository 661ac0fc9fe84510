/** Secrets Manager rotation function for AUTH_SECRET (runbook "AUTH_SECRET" playbook). */
import { authSecretPlaybook } from './playbooks/auth-secret-playbook';
import { createRotationHandler } from './rotation/rotation-engine';

export const handler = createRotationHandler('auth-secret-rotation', authSecretPlaybook);
