import * as crypto from 'node:crypto';
import { readEcsTarget } from '../config/env';
import { ecsClient } from '../rotation/aws-clients';
import { rollServiceOnce } from '../rotation/ecs-rollout';
import type { RotationPlaybook } from '../rotation/rotation-engine';

/** AUTH_SECRET form: 64 random bytes as lowercase hex (what `openssl rand -hex 64` prints). */
export const AUTH_SECRET_PATTERN = /^[0-9a-f]{128}$/;
export const AUTH_SECRET_BYTES = 64;

export function generateAuthSecret(): string {
  return crypto.randomBytes(AUTH_SECRET_BYTES).toString('hex');
}

/**
 * Runbook "AUTH_SECRET": new random value, no external system to update, roll ECS so new tasks
 * pick it up (this signs every user out; there is no overlap mode).
 */
export const authSecretPlaybook: RotationPlaybook = {
  checkConfiguration: () => {
    readEcsTarget();
  },
  generate: () => generateAuthSecret(),
  set: async () => undefined,
  test: async (pending, ctx) => {
    if (!AUTH_SECRET_PATTERN.test(pending)) {
      throw new Error(`Secret ${ctx.secretId}: AWSPENDING is not 128 lowercase hex characters`);
    }
  },
  afterFinish: (ctx) => rollServiceOnce(ctx, ecsClient(), readEcsTarget()),
};
