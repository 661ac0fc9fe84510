/** Secrets Manager rotation function for DATABASE_URL (runbook "DATABASE_URL" playbook, steps 1-3). */
import { databaseUrlPlaybook } from './playbooks/database-url-playbook';
import { createRotationHandler } from './rotation/rotation-engine';

export const handler = createRotationHandler('database-url-rotation', databaseUrlPlaybook);
