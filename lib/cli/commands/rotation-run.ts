import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { isExternalSecretName } from '../../../catalog/secrets';
import { externalSecretFormProblem, issuedSecret } from '../../../runtime/issuers';
import { STAGED_LABEL } from '../../../catalog/labels';
import { stagedVersionId } from '../../../runtime/staging';
import { TAG_ROLLOUT_DEPLOYMENT, TAG_ROLLOUT_VERSION } from '../../../catalog/tags';
import { recordedRollout } from '../../../runtime/rollout-tags';
import type { RecordedRolloutStart } from '../../../runtime/rollout-follow';
import { AWSCURRENT, AWSPENDING, SecretStore, versionWithStage } from '../../../runtime/secret-store';
import { awsProblem, type CliClients } from '../aws';
import { classifyAwsError } from '../cli-errors';
import { followRotation } from '../follow-rotation';
import type { Progress } from '../progress';
import { followRollout } from '../rollout-follow';
import type { SecretTarget } from '../targets';

/** Options shared by `stage`, `rotate` and `roll-current`. */
export interface RotationRunOptions {
  /** Seconds the whole command may take (`--timeout`), for messages. */
  readonly timeoutSeconds: number;
  /** Milliseconds a wait may still take now (the command's deadline, less a margin). @default timeoutSeconds */
  readonly waitMs?: () => number;
  /** Seconds between two looks. @default 5 */
  readonly pollSeconds: number;
  /** Drop the AWSPENDING label a failed earlier rotation left (AWSCURRENT untouched). @default false */
  readonly abandonIncomplete: boolean;
  /** Seconds to wait for Secrets Manager's next retry of a failed finish step before calling it final. @default 300 */
  readonly retryWaitSeconds?: number;
}

export interface CommandIo {
  readonly progress: Progress;
}

/** What a run ended with: the exit code, and the outcome for stdout (a sentence, or JSON with `--json`). */
export interface RunReport {
  readonly code: number;
  /** rolled-out: safe (the revoke instruction); not-complete: stopped after something changed; refused: nothing changed. */
  readonly outcome: 'rolled-out' | 'not-complete' | 'refused';
  readonly secret: string;
  readonly secretId: string;
  readonly environment: string;
  /** The step it stopped at, and why (never a value). */
  readonly step?: string;
  readonly reason?: string;
  /** The version that is (or was becoming) current, and the ECS deployment that completed its rollout. */
  readonly versionId?: string;
  readonly deploymentId?: string;
  /** What the operator may do now: the one line printed on stdout without `--json`. */
  readonly instruction: string;
}

const waitBudget = (options: RotationRunOptions) => options.waitMs?.() ?? options.timeoutSeconds * 1000;

/** A refusal or failure at a named step of the run: exit 1. */
export class StepFailure extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the operator may do with the previous value once the rollout completed. */
export function revokeInstruction(target: SecretTarget): string {
  const { name } = target;
  if (isExternalSecretName(name)) return issuedSecret(name).secret.operator.rolledOut;
  switch (name) {
    case 'AUTH_SECRET':
      return 'Rollout complete: every task signs sessions with the new AUTH_SECRET key ring (nobody was signed out: each task accepts the keys of the previous and the next ring).';
    case 'DATABASE_URL':
      return 'Rollout complete: every task uses the new database role. The retirement function disables the previous role once pg_stat_activity shows none of its sessions (see `fleapo-secrets status`).';
  }
}

/**
 * What to say when a run stops before the current value is rolled out everywhere (`what` names the run: "Rotation
 * not complete", "Current value not rolled out everywhere"). Never a revoke instruction.
 */
export function notCompleteInstruction(target: SecretTarget, step: string, what = 'Rotation not complete'): string {
  const { name } = target;
  if (isExternalSecretName(name)) return issuedSecret(name).secret.operator.notComplete(what, step);
  switch (name) {
    case 'AUTH_SECRET':
    case 'DATABASE_URL':
      return `${what} (step ${step}): AWSCURRENT is a working value; tasks keep running with the one they started with.`;
  }
}

/** The recovery command for `target` (docs/operations.md, "Recovery"): rolls the current value out, no new value needed. */
export function rollCurrentCommand(target: SecretTarget): string {
  return `\`fleapo-secrets roll-current ${target.name} --env ${target.environment}\``;
}

/**
 * Follows the rollout of the value current since `since` until ECS reports it rolled out everywhere (rolloutVerdict:
 * a deployment created since then COMPLETED and no task of the family from before then still runs). Throws a
 * StepFailure at step wait-for-rollout when it failed or rolled back, nothing rolls it, or the wait timed out; on
 * success returns the deployment that completed it.
 */
export async function followUntilRolledOut(
  target: SecretTarget,
  clients: CliClients,
  since: Date,
  options: RotationRunOptions,
  progress: Progress,
  recorded?: RecordedRolloutStart,
): Promise<string> {
  const step = 'wait-for-rollout';
  const rollout = await followRollout(
    clients.ecs,
    { cluster: target.cluster, service: target.service, since, recorded },
    { timeoutMs: waitBudget(options), intervalMs: options.pollSeconds * 1000, onChange: (t) => progress.info(t) },
  );
  switch (rollout.kind) {
    case 'completed':
      return rollout.deploymentId;
    case 'failed':
      throw new StepFailure(
        step,
        `the rollout failed: ${rollout.reason}. Running tasks may still hold the previous value. Fix the cause (ECS service events, the app's logs), then run ${rollCurrentCommand(target)}`,
      );
    case 'timeout':
      throw new StepFailure(
        step,
        `the value current since ${since.toISOString()} is not rolled out everywhere within ${options.timeoutSeconds} s: ${rollout.detail}`,
      );
  }
}

/** Why a run that changed nothing stopped: nothing to revoke, nothing to recover. */
export function refusedInstruction(target: SecretTarget, staged: boolean): string {
  return `Refused before any rotation: ${staged ? 'the value is staged but' : 'nothing was staged and'} nothing was rotated; ${target.secretId} keeps its current value.`;
}

/**
 * The whole operator run for one secret: optionally stage `value` (label FLEAPO_STAGED), RotateSecret, follow the
 * rotation (reporting a refusal the function recorded within one poll; a failed finish step that Secrets Manager
 * retries is followed as "retrying"), then follow the rollout it started, and only then say what may be revoked.
 * An error that stops the command before anything changed (credentials, timeout) is rethrown, to be told once.
 */
export async function runRotation(
  target: SecretTarget,
  clients: CliClients,
  options: RotationRunOptions,
  io: CommandIo,
  value?: string,
): Promise<RunReport> {
  const { secretId } = target;
  const { progress } = io;
  let step = 'check';
  let staged = false;
  let rotating = false;
  let token: string | undefined;
  const intervalMs = options.pollSeconds * 1000;
  const base = { secret: target.name, secretId, environment: target.environment };
  try {
    if (value !== undefined && target.external) {
      progress.step(`checking the value's form as ${target.name}${target.external.mode ? ` (${target.external.mode} mode)` : ''}`);
      const problem = externalSecretFormProblem(target.name, value, target.external.mode);
      if (problem !== undefined) {
        throw new StepFailure(
          'check',
          `the value is refused as ${target.external.kind}${target.external.mode ? ` (${target.external.mode} mode)` : ''}: ${problem}`,
        );
      }
      progress.done('the value has the form of a new ' + target.name);
    }

    step = 'describe';
    progress.step(`reading ${secretId} (${target.environment}, ${target.region})`);
    const before = await clients.sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    if (!before.RotationEnabled || !before.RotationLambdaARN) {
      throw new StepFailure('describe', `${secretId} has no rotation function enabled: deploy the ${target.environment} stack first`);
    }
    const stages = before.VersionIdsToStages ?? {};
    const currentBefore = versionWithStage(stages, AWSCURRENT);
    const pendingId = versionWithStage(stages, AWSPENDING);
    if (pendingId !== undefined && !stages[pendingId].includes(AWSCURRENT)) {
      if (!options.abandonIncomplete) {
        throw new StepFailure(
          'describe',
          `a previous rotation of ${secretId} is incomplete (version ${pendingId} still holds AWSPENDING): it failed, or is still running (see \`fleapo-secrets status --env ${target.environment}\`). ` +
            'If it failed, run again with --abandon-incomplete to drop it (AWSCURRENT is untouched)',
        );
      }
      step = 'abandon-incomplete';
      await clients.sm.send(
        new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: AWSPENDING, RemoveFromVersionId: pendingId }),
      );
      progress.info(`dropped AWSPENDING from version ${pendingId} (the incomplete rotation); AWSCURRENT is untouched`);
    }
    if (target.external && value === undefined && stagedVersionId(stages) === undefined) {
      throw new StepFailure(
        'describe',
        `${target.name} takes a new value a person creates at the issuer: use \`fleapo-secrets stage ${target.name} --env ${target.environment}\` (nothing is staged to rotate to)`,
      );
    }
    progress.done(`${secretId}: AWSCURRENT is version ${currentBefore}`);

    if (value !== undefined) {
      step = 'stage';
      progress.step(`staging the new value (label ${STAGED_LABEL})`);
      const put = await clients.sm.send(
        new PutSecretValueCommand({ SecretId: secretId, SecretString: value, VersionStages: [STAGED_LABEL] }),
      );
      staged = true;
      progress.done(`staged as version ${put.VersionId} (label ${STAGED_LABEL}); AWSCURRENT is still version ${currentBefore}`);
    }

    step = 'rotate';
    progress.step('starting the rotation (RotateSecret)');
    rotating = true; // from here on, a rotation may have started even if the call's answer is lost
    const rotation = await clients.sm.send(new RotateSecretCommand({ SecretId: secretId }));
    token = rotation.VersionId;
    if (token === undefined) throw new StepFailure(step, 'RotateSecret returned no version id');
    progress.done(`rotation started (new version ${token})`);

    step = 'wait-for-rotation';
    progress.step(`waiting for the rotation function (version ${token})`);
    const outcome = await followRotation(clients.sm, secretId, token, {
      timeoutMs: waitBudget(options),
      intervalMs,
      retryWaitMs: (options.retryWaitSeconds ?? 300) * 1000,
      onChange: (t) => progress.info(t),
    });
    switch (outcome.kind) {
      case 'refused':
        throw new StepFailure(
          step,
          `the rotation function refused version ${token}: ${outcome.reason}. ` +
            (outcome.currentMoved
              ? `The new value is already AWSCURRENT, but its finish step (which rolls the service) failed${outcome.retriesSpent ? `, and Secrets Manager retried it without success for ${options.retryWaitSeconds ?? 300} s` : ''}, so running tasks still hold the previous value. Fix the cause, then run ${rollCurrentCommand(target)} (no new value needed).`
              : `AWSCURRENT is still version ${currentBefore}${outcome.retriesSpent ? `, and Secrets Manager retried the rotation without success for ${options.retryWaitSeconds ?? 300} s` : ''}. Fix the cause, then run again with --abandon-incomplete.`),
        );
      case 'vanished':
        throw new StepFailure(step, `the rotation's version ${token} disappeared before it became current (abandoned by someone else?)`);
      case 'timeout':
        throw new StepFailure(
          step,
          outcome.currentMoved
            ? `AWSCURRENT moved to version ${token}, but the rotation has not finished within ${options.timeoutSeconds} s (AWSPENDING remains: its finish step, which rolls the service, ${outcome.lastRefusal ? `failed (${outcome.lastRefusal}) and Secrets Manager is retrying it` : "may keep failing; see the rotation function's log"}). Once the cause is fixed, run ${rollCurrentCommand(target)} (no new value needed)`
            : `the rotation did not finish within ${options.timeoutSeconds} s and AWSCURRENT is still version ${currentBefore}; ${outcome.lastRefusal ? `its last attempt failed (${outcome.lastRefusal}) and Secrets Manager may still be retrying it: run ${'`fleapo-secrets status`'} to follow it` : "nothing was recorded as refused: see the rotation function's log"}`,
        );
      case 'done':
        break;
    }
    progress.done(
      `AWSCURRENT is now version ${token}; the previous value is AWSPREVIOUS${outcome.retried > 0 ? ` (completed by Secrets Manager's retry after ${outcome.retried} failed attempt(s))` : ''}`,
    );

    step = 'wait-for-rollout';
    const { tags } = await new SecretStore(clients.sm).describe(secretId);
    const deploymentId = tags[TAG_ROLLOUT_DEPLOYMENT];
    const record = recordedRollout(tags, token);
    const since = record?.createdAt;
    if (record === undefined || since === undefined || !deploymentId) {
      throw new StepFailure(
        step,
        `the rotation did not record its ECS deployment on the secret (tag ${TAG_ROLLOUT_VERSION} is not version ${token}), so nothing here can tell whether the new value is rolled out; run ${rollCurrentCommand(target)}: it rolls once more if needed, records the rollout and follows it`,
      );
    }
    progress.step(`waiting for ${target.service} to run version ${token} everywhere (ECS deployment ${deploymentId} or a later one)`);
    // The record is checked against AWS while following it: the version's CreatedDate and the deployments ECS reports.
    const recorded = { record, versionCreatedAt: await new SecretStore(clients.sm).versionCreatedDate(secretId, token) };
    const completedBy = await followUntilRolledOut(target, clients, since, options, progress, recorded);
    progress.done(`ECS deployment ${completedBy} completed and no task from before the switch still runs`);
    return { code: 0, outcome: 'rolled-out', ...base, versionId: token, deploymentId: completedBy, instruction: revokeInstruction(target) };
  } catch (error) {
    if (!(error instanceof StepFailure) && !rotating) {
      // Nothing rotated: told once, by the caller, with a hint.
      if (classifyAwsError(error, { timeoutSeconds: options.timeoutSeconds })) throw error;
    }
    const failure = error instanceof StepFailure ? error : new StepFailure(step, stepProblem(error, options.timeoutSeconds));
    progress.fail(`at step ${failure.step}: ${failure.message}`);
    const report = { ...base, step: failure.step, reason: failure.message, ...(token ? { versionId: token } : {}) };
    if (!rotating) {
      if (value !== undefined && !staged) progress.info('Nothing was staged.');
      return { code: 1, outcome: 'refused', ...report, instruction: refusedInstruction(target, staged) };
    }
    return { code: 1, outcome: 'not-complete', ...report, instruction: notCompleteInstruction(target, failure.step) };
  }
}

/** An error at a step as a line: an AWS error by name and message, a deadline or network failure by its cause. */
export function stepProblem(error: unknown, timeoutSeconds: number): string {
  const fatal = classifyAwsError(error, { timeoutSeconds });
  return fatal ? `${fatal.message} (${fatal.hint})` : awsProblem(error);
}
