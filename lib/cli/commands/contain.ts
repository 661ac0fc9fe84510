/**
 * `fleapo-secrets contain <secret...|--all> --env <env>`: a leaked value replaced and made useless as fast as AWS
 * allows (docs/when-a-secret-leaks.md). Per secret, in parallel:
 * - AUTH_SECRET: an emergency re-key through Secrets Manager's rotation (a request tag, fleapo:rekey-requested, makes
 *   the function stage a fresh ring with none of the leaked keys); nothing here reads or prints a value.
 * - DATABASE_URL: a rotation; once ECS reports the rollout complete, the retirement function is invoked with its
 *   contain input: the leaked role is made NOLOGIN and its remaining sessions are ended (counted).
 * - issuer-created secrets: the new value from stdin (as `stage`), rotated to; once no task runs the old value,
 *   "revoke the leaked key now" with the issuer's page.
 * The rotations run in parallel with tokens chosen here and recorded on each secret first (fleapo:contain-version), so
 * the functions leave the roll to this command: one UpdateService for every secret changed together, recorded on each.
 * A second run reads those tags and continues where the first stopped.
 */
import { randomUUID } from 'node:crypto';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { isExternalSecretName, type SecretName } from '../../../catalog/secrets';
import { STAGED_LABEL } from '../../../catalog/labels';
import {
  TAG_CONTAIN_REVOKED,
  TAG_CONTAIN_STARTED,
  TAG_CONTAIN_VERSION,
  TAG_REFUSED_VERSION,
  TAG_REKEY_REQUESTED,
} from '../../../catalog/tags';
import { externalSecretFormProblem, issuedSecret } from '../../../runtime/issuers';
import { forceNewDeployment, observeService, observeTasks, rolloutRecord } from '../../../runtime/ecs-service';
import { recordedRolloutVerdict, type RecordedRolloutStart } from '../../../runtime/rollout-follow';
import { recordedRollout } from '../../../runtime/rollout-tags';
import { describeVerdict, rolloutVerdict, type RolloutVerdict } from '../../../runtime/rollout-verdict';
import { AWSCURRENT, AWSPENDING, SecretStore, tagRecord, versionWithStage } from '../../../runtime/secret-store';
import { CONTAIN_INPUT } from '../../../runtime/retirement-trigger';
import { awsProblem, type CliClients } from '../aws';
import { classifyAwsError } from '../cli-errors';
import { followRotation } from '../follow-rotation';
import type { Progress } from '../progress';
import type { SecretTarget } from '../targets';
import { StepFailure, stepProblem } from './rotation-run';

/** A containment recorded on a secret this long ago or less is continued by the next run; an older one is done. */
export const CONTAIN_RESUME_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface ContainOptions {
  /** Seconds the whole command may take (`--timeout`), for messages. */
  readonly timeoutSeconds: number;
  /**
   * Milliseconds a wait (the rotations, the rollout, the retirement) may still take now: the command's deadline, less
   * a margin (command-context.ts), so that a wait ends with what it saw. @default timeoutSeconds from each wait's start
   */
  readonly waitMs?: () => number;
  readonly pollSeconds: number;
  /** Seconds to wait for Secrets Manager's next retry of a failed finish step before calling it final. @default 300 */
  readonly retryWaitSeconds?: number;
  /** Drop an AWSPENDING a failed earlier rotation left (AWSCURRENT untouched). */
  readonly abandonIncomplete: boolean;
  /**
   * The operator confirms that the leaked keys of the named issuer-created secrets are revoked at the issuer: recorded
   * on each (fleapo:contain-revoked) when this run continues a containment whose new value is already current.
   * @default false
   */
  readonly revoked?: boolean;
}

/** The CLI's clients (lib/cli/aws.ts: Secrets Manager, ECS and Lambda are used here) and the retirement function. */
export interface ContainClients extends CliClients {
  /** The environment's retirement function (name or ARN). */
  readonly retirementFunction: string;
}

export interface ContainIo {
  readonly progress: Progress;
  /** A line the operator must see at once ("revoke the leaked key now"), on stdout in table mode. */
  readonly alert: (line: string) => void;
}

/** Where a secret stands at the start of a run, from DescribeSecret alone. */
export type ContainStart =
  /** Nothing recorded (or an older containment): rotate now. */
  | { readonly kind: 'new' }
  /** A containment's rotation was started (its token is recorded) and has not finished: follow it. */
  | { readonly kind: 'rotating'; readonly token: string; readonly startedAt: Date }
  /** A containment's rotation made its version current: roll (if not recorded) and follow. */
  | { readonly kind: 'current'; readonly token: string; readonly startedAt: Date };

/** Pure: what a run does first for a secret whose DescribeSecret shows `stages` and `tags`. */
export function containStart(stages: Record<string, string[]>, tags: Record<string, string>, now: Date): ContainStart {
  const token = tags[TAG_CONTAIN_VERSION];
  const startedAt = new Date(tags[TAG_CONTAIN_STARTED] ?? '');
  if (token === undefined || Number.isNaN(startedAt.getTime()) || now.getTime() - startedAt.getTime() > CONTAIN_RESUME_WINDOW_MS) {
    return { kind: 'new' };
  }
  const labels = stages[token];
  if (labels?.includes(AWSCURRENT)) return { kind: 'current', token, startedAt };
  if (labels?.includes(AWSPENDING)) return { kind: 'rotating', token, startedAt };
  return { kind: 'new' };
}

/** One secret's line of the final report (ids and times only, never a value). */
export interface ContainResult {
  readonly secret: SecretName;
  readonly secretId: string;
  /** contained: the leaked value is refused; revoke-pending: the operator must revoke it at the issuer; failed. */
  readonly state: 'contained' | 'revoke-pending' | 'failed';
  /** When the containment started (ISO), as recorded on the secret. */
  readonly containmentStarted?: string;
  /** The version that replaced the leaked one. */
  readonly version?: string;
  /** The first look at ECS that found no task running the leaked value (ISO): it was served until at most then. */
  readonly leakedValueLastServed?: string;
  /** When the leaked value stopped being accepted (ISO), or `pending: ...` until the operator confirms. */
  readonly stoppedBeingAccepted?: string;
  /** DATABASE_URL: sessions of the leaked role ended by the retirement. */
  readonly terminatedSessions?: number;
  /** What the operator must still do (empty when nothing). */
  readonly operatorMustStillDo: string[];
  /** The step that failed and why (failed only). */
  readonly failure?: string;
}

/** The line printed the moment no task runs the leaked value of an issuer-created secret. */
/** The issuer's page for `name` (create and revoke keys there), or undefined for a generated secret. */
function issuerDashboard(name: SecretName): string | undefined {
  return isExternalSecretName(name) ? issuedSecret(name).secret.dashboard : undefined;
}

export function revokeNowLine(target: SecretTarget): string {
  const page = issuerDashboard(target.name);
  return `${target.name}: no task runs the leaked value any more: revoke the leaked key now${page ? ` at ${page}` : ''}`;
}

interface Running {
  readonly target: SecretTarget;
  /** The secret's tags at the start of the run. */
  tags?: Record<string, string>;
  /** Whether this run found the containment's version already current (a continued containment). */
  continued?: boolean;
  token?: string;
  startedAt?: Date;
  /** T of the rollout of `token`: the createdAt of this run's own UpdateService, or the recorded one. */
  since?: Date;
  /**
   * The rollout record `since` comes from, with the version's CreatedDate: each verdict checks it against what AWS
   * reports (recordedRolloutVerdict, as `rotate` and `status` do). Absent when this run rolled the service itself.
   */
  recorded?: RecordedRolloutStart;
  result?: ContainResult;
}

const fail = (r: Running, failure: StepFailure, todo: string[] = []): ContainResult => ({
  secret: r.target.name,
  secretId: r.target.secretId,
  state: 'failed',
  containmentStarted: r.startedAt?.toISOString(),
  version: r.token,
  operatorMustStillDo: [
    ...todo,
    `run \`fleapo-secrets contain ${r.target.name} --env ${r.target.environment}\` again once the cause is fixed: it continues where this run stopped (add --abandon-incomplete to drop a refused rotation and start over)`,
  ],
  failure: `at step ${failure.step}: ${failure.message}`,
});

/** Waits end by the command's deadline (its margin included). */
const waitBudget = (options: ContainOptions) => options.waitMs?.() ?? options.timeoutSeconds * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Runs the containment of `targets` (one environment) and returns one result per target, in order. `readValues` is
 * asked once, after every secret was described and before anything is written, for the new values of the
 * issuer-created secrets whose containment starts now; a refused value stops those (the generated secrets go on).
 */
export async function runContain(
  targets: readonly SecretTarget[],
  clients: ContainClients,
  options: ContainOptions,
  io: ContainIo,
  readValues: (names: SecretName[]) => Promise<Map<SecretName, string>>,
): Promise<ContainResult[]> {
  const { progress } = io;
  const now = () => new Date();
  const running: Running[] = targets.map((target) => ({ target }));
  const intervalMs = options.pollSeconds * 1000;
  // An error at a step, as the secret's failure: an AWS error by name and message, a deadline or network failure by
  // its cause and hint (cli-errors.ts).
  const asFailure = (step: string, error: unknown) =>
    error instanceof StepFailure ? error : new StepFailure(step, stepProblem(error, options.timeoutSeconds));

  // 1. Where each secret stands (DescribeSecret only). An error that stops every secret before anything was
  //    written (no credentials, AWS not answering) is told once by the caller (cli-errors.ts), not once per secret.
  const starts = new Map<Running, ContainStart>();
  const fatal: unknown[] = [];
  await Promise.all(
    running.map(async (r) => {
      try {
        const d = await clients.sm.send(new DescribeSecretCommand({ SecretId: r.target.secretId }));
        if (!d.RotationEnabled || !d.RotationLambdaARN) {
          throw new StepFailure(
            'describe',
            `${r.target.secretId} has no rotation function enabled: deploy the ${r.target.environment} stack first`,
          );
        }
        const stages = d.VersionIdsToStages ?? {};
        const tags = tagRecord(d.Tags);
        r.tags = tags;
        let start = containStart(stages, tags, now());
        r.continued = start.kind === 'current';
        if (start.kind === 'rotating' && tags[TAG_REFUSED_VERSION] === start.token && options.abandonIncomplete) {
          // The containment's own rotation was refused (e.g. the issuer rejected the value): start over.
          await clients.sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: r.target.secretId,
              VersionStage: AWSPENDING,
              RemoveFromVersionId: start.token,
            }),
          );
          progress.info(`${r.target.name}: dropped AWSPENDING from the refused version ${start.token}; starting over`);
          stages[start.token] = (stages[start.token] ?? []).filter((label) => label !== AWSPENDING);
          start = { kind: 'new' };
        }
        if (start.kind !== 'new') {
          r.token = start.token;
          r.startedAt = start.startedAt;
          progress.info(
            `${r.target.name}: continuing the containment started at ${start.startedAt.toISOString()} (version ${start.token})`,
          );
        } else {
          const pending = versionWithStage(stages, AWSPENDING);
          if (pending !== undefined && !stages[pending].includes(AWSCURRENT)) {
            if (!options.abandonIncomplete) {
              throw new StepFailure(
                'describe',
                `a previous rotation of ${r.target.secretId} is incomplete (version ${pending} holds AWSPENDING): run again with --abandon-incomplete to drop it (AWSCURRENT is untouched)`,
              );
            }
            await clients.sm.send(
              new UpdateSecretVersionStageCommand({ SecretId: r.target.secretId, VersionStage: AWSPENDING, RemoveFromVersionId: pending }),
            );
            progress.info(`${r.target.name}: dropped AWSPENDING from version ${pending} (an incomplete rotation)`);
          }
        }
        starts.set(r, start);
      } catch (error) {
        if (!(error instanceof StepFailure) && classifyAwsError(error, { timeoutSeconds: options.timeoutSeconds })) fatal.push(error);
        r.result = fail(r, asFailure('describe', error));
      }
    }),
  );
  if (fatal.length > 0) throw fatal[0];

  // 2. The new values of the issuer-created secrets that start fresh, all checked before anything is written.
  const fresh = running.filter((r) => r.result === undefined && starts.get(r)?.kind === 'new');
  const wanted = fresh.filter((r) => r.target.external).map((r) => r.target.name);
  let values = new Map<SecretName, string>();
  if (wanted.length > 0) {
    try {
      values = await readValues(wanted);
    } catch (error) {
      for (const r of fresh.filter((x) => x.target.external)) r.result = fail(r, new StepFailure('read-value', (error as Error).message));
    }
    for (const r of fresh.filter((x) => x.target.external && x.result === undefined)) {
      const external = r.target.external!;
      const value = values.get(r.target.name);
      const problem =
        value === undefined || value === '' ? 'no value was given' : externalSecretFormProblem(r.target.name, value, external.mode);
      if (problem !== undefined) {
        r.result = fail(
          r,
          new StepFailure(
            'check',
            `the value is refused as ${external.kind}${external.mode ? ` (${external.mode} mode)` : ''}: ${problem}`,
          ),
        );
      }
    }
    if (fresh.some((r) => r.target.external && r.result !== undefined)) {
      // One refused value stops every issuer-created secret before anything is written: the operator re-runs with all.
      for (const r of fresh.filter((x) => x.target.external && x.result === undefined)) {
        r.result = fail(r, new StepFailure('check', 'not started: another value given to this run was refused; nothing was staged'));
      }
    }
  }

  // 3. Start and follow the rotations, in parallel.
  await Promise.all(
    running
      .filter((r) => r.result === undefined)
      .map(async (r) => {
        const start = starts.get(r)!;
        const { secretId } = r.target;
        let step = 'start';
        try {
          if (start.kind === 'new' && r.target.name === 'DATABASE_URL') {
            // The rotation re-uses the other of the two roles (AWSPREVIOUS's), and refuses one that still has
            // sessions. If the last scheduled retirement is still waiting for them, finish it first: its rollout is
            // complete (the retirement checks), so those sessions are no task's.
            step = 'retire-previous';
            const before = await invokeRetirement(step);
            if (before.outcome === 'retired') {
              progress.info(
                `${r.target.name}: the previous role ${before.role ?? ''} was still enabled: retired now, ${before.terminatedSessions ?? 0} session(s) ended`,
              );
            }
          }
          if (start.kind === 'new') {
            r.token = randomUUID();
            r.startedAt = now();
            const tags = [
              { Key: TAG_CONTAIN_STARTED, Value: r.startedAt.toISOString() },
              { Key: TAG_CONTAIN_VERSION, Value: r.token },
              ...(r.target.name === 'AUTH_SECRET' ? [{ Key: TAG_REKEY_REQUESTED, Value: r.startedAt.toISOString() }] : []),
            ];
            step = 'record';
            await clients.sm.send(new TagResourceCommand({ SecretId: secretId, Tags: tags }));
            if (r.target.external) {
              step = 'stage';
              const put = await clients.sm.send(
                new PutSecretValueCommand({ SecretId: secretId, SecretString: values.get(r.target.name)!, VersionStages: [STAGED_LABEL] }),
              );
              progress.info(`${r.target.name}: the new value is staged as version ${put.VersionId} (label ${STAGED_LABEL})`);
            }
            step = 'rotate';
            await clients.sm.send(new RotateSecretCommand({ SecretId: secretId, ClientRequestToken: r.token }));
            progress.info(
              `${r.target.name}: rotation started (version ${r.token})${r.target.name === 'AUTH_SECRET' ? ': emergency re-key, a fresh ring with none of the leaked keys' : ''}`,
            );
          }
          if (start.kind !== 'current') {
            step = 'wait-for-rotation';
            const outcome = await followRotation(clients.sm, secretId, r.token!, {
              timeoutMs: waitBudget(options),
              intervalMs,
              retryWaitMs: (options.retryWaitSeconds ?? 300) * 1000,
            });
            if (outcome.kind === 'refused')
              throw new StepFailure(step, `the rotation function refused version ${r.token}: ${outcome.reason}`);
            if (outcome.kind === 'vanished') throw new StepFailure(step, `version ${r.token} disappeared before it became current`);
            if (outcome.kind === 'timeout' && !outcome.currentMoved) {
              throw new StepFailure(
                step,
                `the rotation did not finish within ${options.timeoutSeconds} s (see the rotation function's log)`,
              );
            }
          }
          progress.info(`${r.target.name}: version ${r.token} is AWSCURRENT; the leaked value is AWSPREVIOUS`);
        } catch (error) {
          r.result = fail(r, asFailure(step, error));
        }
      }),
  );

  // 4. One roll for every secret whose new version has no rollout recorded yet (or a failed one), recorded on each.
  const rolling = running.filter((r) => r.result === undefined);
  if (rolling.length > 0) {
    const ecsTarget = { cluster: rolling[0].target.cluster, service: rolling[0].target.service };
    try {
      const service = await observeService(clients.ecs, ecsTarget);
      const tasks = await observeTasks(clients.ecs, ecsTarget.cluster, service.families);
      const toRoll: Running[] = [];
      for (const r of rolling) {
        // A recorded rollout counts only as what AWS reports confirms it (the version's CreatedDate, the deployments
        // DescribeServices lists): the verdict `rotate` and `status` use. One that does not fit is rolled again.
        const d = await clients.sm.send(new DescribeSecretCommand({ SecretId: r.target.secretId }));
        const record = recordedRollout(tagRecord(d.Tags), r.token);
        if (record !== undefined) {
          const recorded = { record, versionCreatedAt: await new SecretStore(clients.sm).versionCreatedDate(r.target.secretId, r.token!) };
          const verdict = recordedRolloutVerdict(recorded, service, tasks);
          if (verdict.state !== 'failed' && verdict.state !== 'not-rolled') {
            r.since = record.createdAt;
            r.recorded = recorded;
            continue;
          }
          progress.info(`${r.target.name}: the recorded rollout of version ${r.token} is ${verdict.state}: ${describeVerdict(verdict)}`);
        }
        toRoll.push(r);
      }
      if (toRoll.length > 0) {
        const deployment = await forceNewDeployment(clients.ecs, ecsTarget);
        progress.info(
          `started ECS deployment ${deployment.id} of ${ecsTarget.service} for ${toRoll.map((r) => r.target.name).join(', ')} (one deployment for all)`,
        );
        await Promise.all(
          toRoll.map(async (r) => {
            try {
              await clients.sm.send(
                new TagResourceCommand({
                  SecretId: r.target.secretId,
                  Tags: Object.entries(rolloutRecord(r.token!, deployment)).map(([Key, Value]) => ({ Key, Value })),
                }),
              );
            } catch (error) {
              progress.info(`${r.target.name}: could not record the rollout on the secret (${awsProblem(error)}); following it anyway`);
            }
            r.since = deployment.createdAt;
          }),
        );
      }
    } catch (error) {
      for (const r of rolling.filter((x) => x.since === undefined)) r.result = fail(r, asFailure('roll', error));
    }
  }

  // 5. Follow the rollout once for all (one DescribeServices and one task listing a look); finish each secret the
  //    moment its verdict says no task runs the leaked value.
  const following = running.filter((r) => r.result === undefined && r.since !== undefined);
  const finishing: Promise<void>[] = [];
  const done = new Set<Running>();
  const deadline = Date.now() + waitBudget(options);
  const last = new Map<Running, string>();
  const lastVerdict = new Map<Running, RolloutVerdict>();
  let open = following;
  if (open.length > 0) progress.step(`waiting for ${open[0].target.service} to run the new values everywhere`);
  while (open.length > 0) {
    const ecsTarget = { cluster: open[0].target.cluster, service: open[0].target.service };
    try {
      const service = await observeService(clients.ecs, ecsTarget);
      const tasks = await observeTasks(clients.ecs, ecsTarget.cluster, service.families);
      const seenAt = now();
      for (const r of open) {
        const verdict = r.recorded
          ? recordedRolloutVerdict(r.recorded, service, tasks)
          : rolloutVerdict(r.since!, service.serviceName, service.deployments, tasks);
        lastVerdict.set(r, verdict);
        const line = `${verdict.state}: ${describeVerdict(verdict)}`;
        if (last.get(r) !== line) progress.info(`${r.target.name}: ${line}`);
        last.set(r, line);
        if (verdict.state === 'rolled-out') {
          // Its last step (the retirement, the revoke line); an error there is this secret's failure, not the run's.
          finishing.push(finish(r, seenAt).catch((error: unknown) => void (r.result = fail(r, asFailure('finish', error)))));
        } else if (verdict.state === 'failed' || verdict.state === 'not-rolled') {
          r.result = fail(r, new StepFailure('wait-for-rollout', `the rollout failed: ${describeVerdict(verdict)}`), [
            'tasks may still run the leaked value: fix the cause (ECS service events, the app logs)',
          ]);
        }
      }
    } catch (error) {
      for (const r of open) r.result = fail(r, asFailure('wait-for-rollout', error));
    }
    open = open.filter((r) => r.result === undefined && !done.has(r));
    if (open.length === 0) break;
    if (Date.now() >= deadline) {
      for (const r of open) {
        const v = lastVerdict.get(r);
        r.result = fail(
          r,
          new StepFailure(
            'wait-for-rollout',
            `not rolled out everywhere within ${options.timeoutSeconds} s${v ? `: ${describeVerdict(v)}` : ''}`,
          ),
          ['tasks may still run the leaked value'],
        );
      }
      break;
    }
    await sleep(Math.min(intervalMs, deadline - Date.now()));
  }
  await Promise.all(finishing);
  if (following.length > 0) progress.done();

  return running.map((r) => r.result ?? fail(r, new StepFailure('unknown', 'no outcome was recorded')));

  // The last step of one secret, the moment its rollout completed.
  async function finish(r: Running, seenAt: Date): Promise<void> {
    done.add(r);
    const base = {
      secret: r.target.name,
      secretId: r.target.secretId,
      containmentStarted: r.startedAt?.toISOString(),
      version: r.token,
      leakedValueLastServed: seenAt.toISOString(),
    };
    if (r.target.external) {
      const confirmed = await revokeConfirmation(r);
      if (confirmed !== undefined) {
        r.result = {
          ...base,
          state: 'contained',
          stoppedBeingAccepted: `${confirmed.toISOString()} (revoke confirmed by the operator)`,
          operatorMustStillDo: [],
        };
        return;
      }
      io.alert(revokeNowLine(r.target));
      r.result = {
        ...base,
        state: 'revoke-pending',
        stoppedBeingAccepted: 'pending: until the leaked key is revoked at the issuer',
        operatorMustStillDo: [`revoke the leaked key now${issuerDashboard(r.target.name) ? ` at ${issuerDashboard(r.target.name)}` : ''}`],
      };
      return;
    }
    if (r.target.name === 'AUTH_SECRET') {
      r.result = {
        ...base,
        state: 'contained',
        stoppedBeingAccepted: seenAt.toISOString(),
        operatorMustStillDo: ['tell users they were signed out (every session ended with the re-key)'],
      };
      return;
    }
    r.result = await retire(r, base);
  }

  /** When the operator confirmed the revoke: recorded by an earlier run, or now (`--revoked` on a continued run). */
  async function revokeConfirmation(r: Running): Promise<Date | undefined> {
    const recorded = new Date(r.tags?.[TAG_CONTAIN_REVOKED] ?? '');
    if (!Number.isNaN(recorded.getTime()) && r.startedAt !== undefined && recorded >= r.startedAt) return recorded;
    if (!options.revoked) return undefined;
    if (!r.continued) {
      progress.info(
        `${r.target.name}: --revoked is not recorded: this run started the containment; revoke once it says so, then run again`,
      );
      return undefined;
    }
    const at = now();
    await clients.sm.send(
      new TagResourceCommand({ SecretId: r.target.secretId, Tags: [{ Key: TAG_CONTAIN_REVOKED, Value: at.toISOString() }] }),
    );
    progress.info(`${r.target.name}: recorded that the leaked key is revoked at the issuer`);
    return at;
  }

  /** The retirement function's answer to the contain input (RequestResponse). */
  async function invokeRetirement(step: string): Promise<{ outcome?: string; terminatedSessions?: number; role?: string }> {
    const out = await clients.lambda.send(
      new InvokeCommand({ FunctionName: clients.retirementFunction, Payload: new TextEncoder().encode(JSON.stringify(CONTAIN_INPUT)) }),
    );
    if (out.FunctionError) {
      throw new StepFailure(
        step,
        `the retirement function failed (${out.FunctionError}): see its log (fleapo-secrets status shows the role)`,
      );
    }
    return JSON.parse(new TextDecoder().decode(out.Payload ?? new Uint8Array())) as {
      outcome?: string;
      terminatedSessions?: number;
      role?: string;
    };
  }

  async function retire(r: Running, base: Omit<ContainResult, 'state' | 'operatorMustStillDo'>): Promise<ContainResult> {
    const end = Date.now() + waitBudget(options);
    try {
      for (;;) {
        const answer = await invokeRetirement('retire');
        if (answer.outcome === 'retired' || answer.outcome === 'already-retired' || answer.outcome === 'nothing-to-retire') {
          const at = now().toISOString();
          progress.info(
            answer.outcome === 'retired'
              ? `${r.target.name}: the leaked role ${answer.role ?? ''} is disabled (NOLOGIN); ${answer.terminatedSessions ?? 0} of its session(s) ended`
              : `${r.target.name}: the previous role was ${answer.outcome === 'already-retired' ? 'already retired' : 'nothing to retire'}`,
          );
          return {
            ...base,
            state: 'contained',
            stoppedBeingAccepted: answer.outcome === 'retired' ? at : `${answer.outcome} (by an earlier run or the retirement function)`,
            ...(answer.terminatedSessions !== undefined ? { terminatedSessions: answer.terminatedSessions } : {}),
            operatorMustStillDo: [],
          };
        }
        if ((answer.outcome !== 'waiting' && answer.outcome !== 'blocked') || Date.now() >= end) {
          throw new StepFailure(
            'retire',
            `the retirement function answered ${answer.outcome ?? 'nothing'}: the leaked role stays enabled (see \`fleapo-secrets status --env ${r.target.environment}\` and the function's log)`,
          );
        }
        await sleep(Math.min(intervalMs, end - Date.now()));
      }
    } catch (error) {
      return fail(r, asFailure('retire', error), ['the leaked database role is still enabled']);
    }
  }
}
