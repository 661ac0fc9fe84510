import { rollCurrent } from '../../../lambda/rotation/roll-current';
import { SecretStore } from '../../../lambda/rotation/secret-store';
import { awsProblem, type CliClients } from '../aws';
import type { SecretTarget } from '../targets';
import { followUntilRolledOut, notCompleteInstruction, revokeInstruction, StepFailure, type CommandIo } from './rotation-run';

/** Options of `roll-current`. */
export interface RollCurrentOptions {
  /** Seconds the rollout may take. @default 900 */
  readonly timeoutSeconds: number;
  /** Seconds between two looks at ECS. @default 5 */
  readonly pollSeconds: number;
}

/**
 * `roll-current <secret>`: the recovery after any failed rotation (lambda/rotation/roll-current.ts), reading no value.
 * Removes a leftover AWSPENDING (AWSCURRENT never moves), rolls the service for the current version unless its
 * recorded rollout is rolled out or still under way, records the rollout on the secret, then follows it until ECS
 * reports the current value rolled out everywhere. Idempotent: run again, it rolls nothing when nothing is wrong.
 * Returns the exit code: 0 only when rolled out everywhere (only then the revoke instruction), 1 otherwise.
 */
export async function runRollCurrent(
  target: SecretTarget,
  clients: CliClients,
  options: RollCurrentOptions,
  io: CommandIo,
): Promise<number> {
  const { progress } = io;
  let step = 'roll-current';
  try {
    progress.step(
      `bringing the current value of ${target.secretId} to every task of ${target.service} (${target.environment}, ${target.region})`,
    );
    const plan = await rollCurrent(
      new SecretStore(clients.sm),
      clients.ecs,
      target.secretId,
      { cluster: target.cluster, service: target.service },
      (line) => progress.info(line),
    );
    progress.done(`version ${plan.versionId} is AWSCURRENT; its rollout started at ${plan.since.toISOString()}`);
    step = 'wait-for-rollout';
    progress.step(`waiting for ${target.service} to run version ${plan.versionId} everywhere`);
    const completedBy = await followUntilRolledOut(target, clients, plan.since, { ...options, abandonIncomplete: false }, progress);
    progress.done(`rolled out everywhere: ECS deployment ${completedBy} completed and no task from before the switch still runs`);
    io.out(revokeInstruction(target));
    return 0;
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure(step, awsProblem(error));
    progress.fail(`at step ${failure.step}: ${failure.message}`);
    io.out(notCompleteInstruction(target, failure.step, 'Current value not rolled out everywhere'));
    return 1;
  }
}
