import { rollCurrent } from '../../../runtime/roll-current';
import { SecretStore } from '../../../runtime/secret-store';
import type { CliClients } from '../aws';
import { classifyAwsError } from '../cli-errors';
import type { SecretTarget } from '../targets';
import {
  followUntilRolledOut,
  notCompleteInstruction,
  revokeInstruction,
  StepFailure,
  stepProblem,
  type CommandIo,
  type RotationRunOptions,
  type RunReport,
} from './rotation-run';

/** Options of `roll-current`. */
export type RollCurrentOptions = Omit<RotationRunOptions, 'abandonIncomplete' | 'retryWaitSeconds'>;

/**
 * `roll-current <secret>`: the recovery after any failed rotation (runtime/roll-current.ts), reading no value.
 * Removes a leftover AWSPENDING (AWSCURRENT never moves) and a staged label left on the value that is already current,
 * rolls the service for the current version unless its recorded rollout is rolled out or still under way, records the
 * rollout on the secret, then follows it until ECS reports the current value rolled out everywhere. Idempotent: run
 * again, it rolls nothing when nothing is wrong. Exit 0 only when rolled out everywhere (only then the revoke
 * instruction), 1 otherwise; an error before anything changed (credentials, timeout) is rethrown, to be told once.
 */
export async function runRollCurrent(
  target: SecretTarget,
  clients: CliClients,
  options: RollCurrentOptions,
  io: CommandIo,
): Promise<RunReport> {
  const { progress } = io;
  let step = 'roll-current';
  let acted = false;
  let versionId: string | undefined;
  const base = { secret: target.name, secretId: target.secretId, environment: target.environment };
  try {
    progress.step(
      `bringing the current value of ${target.secretId} to every task of ${target.service} (${target.environment}, ${target.region})`,
    );
    const plan = await rollCurrent(
      new SecretStore(clients.sm),
      clients.ecs,
      target.secretId,
      { cluster: target.cluster, service: target.service },
      (line) => {
        acted = true;
        progress.info(line);
      },
    );
    versionId = plan.versionId;
    progress.done(`version ${plan.versionId} is AWSCURRENT; its rollout started at ${plan.since.toISOString()}`);
    step = 'wait-for-rollout';
    progress.step(`waiting for ${target.service} to run version ${plan.versionId} everywhere`);
    const completedBy = await followUntilRolledOut(target, clients, plan.since, { ...options, abandonIncomplete: false }, progress);
    progress.done(`rolled out everywhere: ECS deployment ${completedBy} completed and no task from before the switch still runs`);
    return { code: 0, outcome: 'rolled-out', ...base, versionId, deploymentId: completedBy, instruction: revokeInstruction(target) };
  } catch (error) {
    if (!(error instanceof StepFailure) && !acted) {
      if (classifyAwsError(error, { timeoutSeconds: options.timeoutSeconds })) throw error;
    }
    const failure = error instanceof StepFailure ? error : new StepFailure(step, stepProblem(error, options.timeoutSeconds));
    progress.fail(`at step ${failure.step}: ${failure.message}`);
    return {
      code: 1,
      outcome: 'not-complete',
      ...base,
      step: failure.step,
      reason: failure.message,
      ...(versionId ? { versionId } : {}),
      instruction: notCompleteInstruction(target, failure.step, 'Current value not rolled out everywhere'),
    };
  }
}
