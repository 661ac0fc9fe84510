/**
 * `npm run external-secret -- --secret-id <name|ARN> --kind <kind> [--mode live|test] --cluster <c> --service <s>`
 *
 * The operator's half of the runbook's STRIPE_* and POSTHOG_API_KEY playbooks. The new value, created by hand at
 * the issuer (the old key kept active), is read from stdin, never from the command line:
 *   1. check its form for the kind and mode (the rotation function's own check);
 *   2. stage it: PutSecretValue with the label FLEAPO_STAGED (AWSCURRENT does not move);
 *   3. RotateSecret: the secret's rotation function makes it current and rolls the ECS service;
 *   4. wait until AWSCURRENT is the new version and no AWSPENDING remains (DescribeSecret);
 *   5. follow the rollout from the time the rotation recorded (tag fleapo:rollout-created-at) until ECS reports the
 *      value rolled out everywhere (lambda/rotation/rollout-verdict.ts): a deployment created since then COMPLETED and
 *      no task of the service's task family created before it still runs;
 * and only then say to revoke the old key (runbook step 4). A failed or rolled-back rollout: exit 1, keep the old key.
 * `--roll-current` (no value read): the recovery after any failed rotation (lambda/rotation/roll-current.ts), then 5.
 * Exit codes: 0 done, 1 refused or failed, 2 usage.
 * AWS endpoints, region and credentials come from the SDK's usual variables (AWS_ENDPOINT_URL_SECRETS_MANAGER, ...).
 */
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ECSClient } from '@aws-sdk/client-ecs';
import {
  EXTERNAL_SECRET_KINDS,
  externalSecretFormProblem,
  isExternalSecretKind,
  isStripeMode,
  kindNeedsMode,
  StripeMode,
} from '../lambda/external/external-secret-kinds';
import { STAGED_LABEL } from '../lambda/external/staging';
import type { FleapoConfig } from '../lib/config/environment-config';
import { loadConfig } from '../lib/config/load-config';
import { followRollout } from '../lambda/rotation/rollout-follow';
import { recordedRolloutStart, TAG_ROLLOUT_VERSION } from '../lambda/rotation/rollout-tags';
import { describeVerdict } from '../lambda/rotation/rollout-verdict';
import { rollCurrent } from '../lambda/rotation/roll-current';
import { SecretStore, versionWithStage } from '../lambda/rotation/secret-store';

/** Secrets `--roll-current` can roll out: the external ones and the two generated ones. */
export const ROLLABLE_KINDS = [...EXTERNAL_SECRET_KINDS, 'auth-secret', 'database-url'] as const;
export type RollableKind = (typeof ROLLABLE_KINDS)[number];
const isRollableKind = (kind: string): kind is RollableKind => (ROLLABLE_KINDS as readonly string[]).includes(kind);

export const USAGE = `Usage: npm run external-secret -- --environment <name> --kind <${EXTERNAL_SECRET_KINDS.join('|')}>
   or: npm run external-secret -- --secret-id <name or ARN> --kind <kind> [--mode live|test] --cluster <ECS cluster> --service <ECS service>
         [--timeout <seconds, each wait, default 900>] [--poll-interval <seconds, default 10>] [--abandon-incomplete]
   or: npm run external-secret -- --roll-current --environment <name> --kind <${ROLLABLE_KINDS.join('|')}>

Reads the new value from stdin (typed without echo on a terminal, or piped), never from the command line.
--environment takes the secret, Stripe mode, cluster and service from the configuration (FLEAPO_CONFIG_FILE over
the example defaults); flags given as well win.
--mode is required for stripe-secret-key without --environment: live in prod, test in staging.
--abandon-incomplete drops the AWSPENDING label of a previous rotation that failed (AWSCURRENT is untouched).
--roll-current reads no value: after any failed rotation it drops a leftover AWSPENDING label, rolls the service for
the value that is AWSCURRENT now unless its recorded rollout is done or under way, and follows that rollout; it says
to revoke the old key only once ECS shows the current value rolled out everywhere.`;

export class UsageError extends Error {}

export interface CliArgs {
  secretId: string;
  /** An external kind, or with rollCurrent any of ROLLABLE_KINDS. */
  kind: RollableKind;
  mode: StripeMode | undefined;
  cluster: string;
  service: string;
  timeoutSeconds: number;
  pollSeconds: number;
  abandonIncomplete: boolean;
  /** Recovery: roll the current value out instead of staging a new one. */
  rollCurrent: boolean;
}

const VALUE_FLAGS = ['--environment', '--secret-id', '--kind', '--mode', '--cluster', '--service', '--timeout', '--poll-interval'] as const;

/**
 * The flags an environment's configuration implies (README, "Configuration"): its secret `<prefix>/<kind>`, its
 * Stripe mode, its cluster and service. Flags given on the command line win.
 */
export function environmentFlags(config: FleapoConfig, name: string, kind: RollableKind): Record<string, string> {
  const env = config.environments.find((e) => e.name === name);
  if (!env) throw new UsageError(`--environment must be one of ${config.environments.map((e) => e.name).join(', ')}`);
  return {
    '--secret-id': `${env.secretPrefix}/${kind}`,
    ...(isExternalSecretKind(kind) && kindNeedsMode(kind) ? { '--mode': env.externalServices.stripeMode } : {}),
    '--cluster': env.service.clusterName,
    '--service': env.service.serviceName,
  };
}

/** Pure: argv (without node and the script) to arguments, or 'help'. Throws UsageError. */
export function parseArgs(argv: string[], config: () => FleapoConfig = () => loadConfig()): CliArgs | 'help' {
  const values: Record<string, string> = {};
  let abandonIncomplete = false;
  let rollCurrentFlag = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--abandon-incomplete') {
      abandonIncomplete = true;
      continue;
    }
    if (arg === '--roll-current') {
      rollCurrentFlag = true;
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
      // Never echo an unknown argument: it might be a pasted key.
      throw new UsageError(arg.startsWith('--') ? `unknown option ${flag}` : `unexpected argument #${i + 1} (the value is read from stdin, never from the command line)`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
    values[flag] = value;
  }
  const rawKind = values['--kind'];
  if (rawKind === undefined) throw new UsageError('--kind is required');
  if (!isRollableKind(rawKind) || (!rollCurrentFlag && !isExternalSecretKind(rawKind))) {
    throw new UsageError(`--kind must be one of ${(rollCurrentFlag ? ROLLABLE_KINDS : EXTERNAL_SECRET_KINDS).join(', ')}`);
  }
  const kind: RollableKind = rawKind;
  if (values['--environment'] !== undefined) Object.assign(values, { ...environmentFlags(config(), values['--environment'], kind), ...values });
  for (const required of ['--secret-id', '--cluster', '--service']) {
    if (values[required] === undefined) throw new UsageError(`${required} is required (or --environment)`);
  }
  const mode = values['--mode'];
  if (mode !== undefined && !isStripeMode(mode)) throw new UsageError('--mode must be live or test');
  if (mode === undefined && !rollCurrentFlag && isExternalSecretKind(kind) && kindNeedsMode(kind)) throw new UsageError(`--mode (live or test) is required for ${kind}`);
  const seconds = (flag: string, fallback: number): number => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of seconds`);
    return n;
  };
  return {
    secretId: values['--secret-id'],
    kind,
    mode,
    cluster: values['--cluster'],
    service: values['--service'],
    timeoutSeconds: seconds('--timeout', 900),
    pollSeconds: seconds('--poll-interval', 10),
    abandonIncomplete,
    rollCurrent: rollCurrentFlag,
  };
}

/** Pure: piped input to the value: one trailing line break (\n or \r\n) dropped, nothing else. */
export function valueFromPipedInput(text: string): string {
  return text.replace(/\r?\n$/, '');
}

async function readPiped(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return valueFromPipedInput(Buffer.concat(chunks).toString('utf8'));
}

/** Reads one line from a terminal with echo off (raw mode); the prompt goes to stderr. */
function readHidden(stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  // Echo off BEFORE the prompt shows: a value pasted as soon as the prompt appears must not be echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (action: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      action();
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(() => resolve(value));
        if (ch === '\u0003') return done(() => reject(new Error('cancelled')));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}

const PROGRAM = 'external-secret';
const say = (message: string): void => {
  process.stderr.write(`${PROGRAM}: ${message}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A refusal or failure at a named step of the run. */
class StepFailure extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

function awsProblem(error: unknown): string {
  const e = error as { name?: string; message?: string };
  // AWS error messages name resources and parameters, never the SecretString sent.
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
}

function revokeInstruction(kind: RollableKind, secretId: string): string {
  switch (kind) {
    case 'auth-secret':
    case 'database-url':
      return `Rollout complete: the current value of ${secretId} is rolled out everywhere.`;
    case 'stripe-secret-key':
      return 'Rollout complete: now revoke the old key in the Stripe Dashboard (Developers > API keys: expire the old key now instead of waiting for the roll\'s overlap to end).';
    case 'stripe-webhook-secret':
      return 'Rollout complete: now revoke the old key in the Stripe Dashboard (Developers > Webhooks > the endpoint > signing secret: end the old secret\'s overlap now).';
    case 'posthog-api-key':
      return 'Rollout complete: the service now sends with the new PostHog project token. Nothing is left to revoke: resetting the project token in PostHog invalidated the old one at once (the audit log was dark from the reset until this rollout).';
  }
}

interface Clients {
  sm: SecretsManagerClient;
  ecs: ECSClient;
}

async function describe(clients: Clients, secretId: string) {
  return clients.sm.send(new DescribeSecretCommand({ SecretId: secretId }));
}

/** Runs the staged rotation; returns the exit code. Progress on stderr, the outcome on stdout. */
export async function run(args: CliArgs, value: string, clients: Clients): Promise<number> {
  const { secretId, kind } = args;
  if (!isExternalSecretKind(kind)) throw new Error(`${kind} is not an external secret kind`);
  const interval = args.pollSeconds * 1000;
  const deadline = () => Date.now() + args.timeoutSeconds * 1000;
  let staged = false;
  let step = 'check';
  try {
    // 1. Form, for this kind and mode (the rotation function checks the same again).
    const problem = externalSecretFormProblem(kind, value, args.mode);
    if (problem !== undefined) throw new StepFailure('check', `the value is refused as ${kind}${args.mode ? ` (${args.mode} mode)` : ''}: ${problem}`);

    step = 'describe';
    const before = await describe(clients, secretId).catch((e) => {
      throw new StepFailure('describe', awsProblem(e));
    });
    if (!before.RotationEnabled && !before.RotationLambdaARN) {
      throw new StepFailure('describe', `secret ${secretId} has no rotation function: deploy its external-secret rotation first`);
    }
    const stages = before.VersionIdsToStages ?? {};
    const pendingId = versionWithStage(stages, 'AWSPENDING');
    if (pendingId !== undefined && !stages[pendingId].includes('AWSCURRENT')) {
      if (!args.abandonIncomplete) {
        throw new StepFailure(
          'describe',
          `a previous rotation of ${secretId} is incomplete (version ${pendingId} still holds AWSPENDING): it failed, or is still running. ` +
            'If it failed (see the rotation function\'s logs), run again with --abandon-incomplete to drop it (AWSCURRENT is untouched)',
        );
      }
      step = 'abandon-incomplete';
      await clients.sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: 'AWSPENDING', RemoveFromVersionId: pendingId }));
      say(`dropped AWSPENDING from version ${pendingId} (the incomplete rotation); AWSCURRENT is untouched`);
    }
    const currentBefore = versionWithStage(stages, 'AWSCURRENT');

    // 2. Stage.
    step = 'stage';
    const put = await clients.sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value, VersionStages: [STAGED_LABEL] }));
    staged = true;
    say(`staged the new value as version ${put.VersionId} (label ${STAGED_LABEL}); AWSCURRENT is still version ${currentBefore}`);

    // 3. Rotate.
    step = 'rotate';
    const rotation = await clients.sm.send(new RotateSecretCommand({ SecretId: secretId }));
    const token = rotation.VersionId;
    say(`rotation started${token ? ` (new version ${token})` : ''}; waiting for it to finish`);

    // 4. Wait for the rotation.
    step = 'wait-for-rotation';
    const rotationDeadline = deadline();
    let newCurrent: string | undefined;
    for (;;) {
      const d = await describe(clients, secretId);
      const now = d.VersionIdsToStages ?? {};
      const current = versionWithStage(now, 'AWSCURRENT');
      const pending = versionWithStage(now, 'AWSPENDING');
      const moved = token !== undefined ? current === token : current !== currentBefore;
      if (moved && pending === undefined) {
        newCurrent = current;
        break;
      }
      if (token !== undefined && now[token] === undefined && pending === undefined && !moved) {
        throw new StepFailure(step, `the rotation's version ${token} disappeared before it became current (abandoned?)`);
      }
      if (Date.now() >= rotationDeadline) {
        throw new StepFailure(
          step,
          moved
            ? `AWSCURRENT moved to version ${current}, but the rotation has not finished within ${args.timeoutSeconds} s (AWSPENDING remains: its finish step, which rolls ECS, keeps failing; see the rotation function's logs). Once the cause is fixed, run again with --roll-current (no new key needed)`
            : `the rotation did not finish within ${args.timeoutSeconds} s and AWSCURRENT is still version ${current}; the rotation function's logs say why (e.g. the issuer rejected the key)`,
        );
      }
      await sleep(interval);
    }
    say(`AWSCURRENT is now version ${newCurrent}; the previous value is AWSPREVIOUS`);

    // 5. Follow the rollout from the time the rotation recorded.
    step = 'wait-for-rollout';
    const tags = Object.fromEntries(((await describe(clients, secretId)).Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const since = recordedRolloutStart(tags, newCurrent);
    if (since === undefined) {
      throw new StepFailure(
        step,
        `the rotation did not record its ECS rollout on the secret (tag ${TAG_ROLLOUT_VERSION} is not version ${newCurrent}); run again with --roll-current`,
      );
    }
    await followToTheEnd(args, clients, since);
    process.stdout.write(`${revokeInstruction(kind, secretId)}\n`);
    return 0;
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure(step, awsProblem(error));
    say(`FAILED at step ${failure.step}: ${failure.message}`);
    if (!staged) say('Nothing was staged.');
    process.stdout.write(`${notDoneInstruction(kind, `Rotation not complete (step ${failure.step})`)}\n`);
    return 1;
  }
}

/** What to tell the operator when the current value is not known to be rolled out everywhere. */
function notDoneInstruction(kind: RollableKind, what: string): string {
  switch (kind) {
    case 'posthog-api-key':
      return `${what}: do NOT revoke anything yet; tasks may still run with the old PostHog token.`;
    case 'stripe-secret-key':
    case 'stripe-webhook-secret':
      return `${what}: do NOT revoke the old key: it must stay active in the Stripe Dashboard until a rollout with the new key has completed.`;
    default:
      return `${what}: tasks may still run with the previous value.`;
  }
}

/**
 * Follows the rollout of the value current since `since` until ECS reports it rolled out everywhere; throws a
 * StepFailure (the old key must stay) when it failed or rolled back, nothing rolls it, or the wait timed out.
 */
async function followToTheEnd(args: CliArgs, clients: Clients, since: Date): Promise<void> {
  const step = 'wait-for-rollout';
  say(`following the ECS rollout of ${args.service} for the value current since ${since.toISOString()}`);
  const verdict = await followRollout(clients.ecs, { cluster: args.cluster, service: args.service }, since, {
    timeoutMs: args.timeoutSeconds * 1000,
    pollMs: args.pollSeconds * 1000,
    onProgress: (line) => say(`rollout ${line}`),
  });
  switch (verdict.state) {
    case 'rolled-out':
      say(`rolled out everywhere: ${describeVerdict(verdict)}`);
      return;
    case 'failed':
      throw new StepFailure(step, `the rollout failed: ${describeVerdict(verdict)}. Tasks still hold the previous value. Fix the cause, then run again with --roll-current`);
    case 'not-rolled':
      throw new StepFailure(step, `${describeVerdict(verdict)}; run again with --roll-current`);
    default:
      throw new StepFailure(step, `not rolled out everywhere within ${args.timeoutSeconds} s: ${describeVerdict(verdict)}`);
  }
}

/** --roll-current: the recovery after a failed rotation (lambda/rotation/roll-current.ts), then the follow. */
export async function runRollCurrent(args: CliArgs, clients: Clients): Promise<number> {
  let step = 'roll-current';
  try {
    const plan = await rollCurrent(new SecretStore(clients.sm), clients.ecs, args.secretId, { cluster: args.cluster, service: args.service }, say);
    step = 'wait-for-rollout';
    await followToTheEnd(args, clients, plan.since);
    process.stdout.write(`${revokeInstruction(args.kind, args.secretId)}\n`);
    return 0;
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure(step, awsProblem(error));
    say(`FAILED at step ${failure.step}: ${failure.message}`);
    process.stdout.write(`${notDoneInstruction(args.kind, `Current value not rolled out everywhere (step ${failure.step})`)}\n`);
    return 1;
  }
}

export async function main(argv: string[]): Promise<number> {
  let args: CliArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(error.message);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.rollCurrent) {
    const clients = { sm: new SecretsManagerClient({}), ecs: new ECSClient({}) };
    try {
      return await runRollCurrent(args, clients);
    } finally {
      clients.sm.destroy();
      clients.ecs.destroy();
    }
  }
  let value: string;
  try {
    value = process.stdin.isTTY
      ? await readHidden(process.stdin, `New ${args.kind} for ${args.secretId} (input hidden): `)
      : await readPiped(process.stdin);
  } catch (error) {
    say(`could not read the value from stdin: ${(error as Error).message}; nothing was staged`);
    return 1;
  }
  if (value === '') {
    say('no value on stdin; nothing was staged');
    return 1;
  }
  const clients = { sm: new SecretsManagerClient({}), ecs: new ECSClient({}) };
  try {
    return await run(args, value, clients);
  } finally {
    clients.sm.destroy();
    clients.ecs.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      say(`unexpected error: ${(error as Error)?.name ?? 'Error'}`);
      process.exitCode = 1;
    },
  );
}
