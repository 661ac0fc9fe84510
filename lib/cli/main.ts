/**
 * `fleapo-secrets`: the operator's one command for every secret of an environment (README, "Operator command").
 * Arguments are parsed by commander; its own error messages are replaced by ours, which never repeat what was
 * typed (a refused argument may be a pasted key). Exit codes: 0 done, 1 refused or failed, 2 usage.
 */
import { Command, CommanderError, Option } from 'commander';
import { CONFIG_FILE_CONTEXT } from '../config/config-sources';
import { describeLoadedConfig, loadConfigWithSource, type ContextSource, type LoadedConfig } from '../config/load-config';
import { ConfigError } from '../config/validate-config';
import type { FleapoConfig } from '../config/environment-config';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliClients } from './aws';
import { runRollCurrent } from './commands/roll-current';
import { runRotation, type RotationRunOptions } from './commands/rotation-run';
import { renderStatus, secretStatus } from './commands/status';
import { createProgress } from './progress';
import { readValue } from './read-value';
import { environmentTargets, findEnvironment, secretNameArgument, secretTarget, UsageError } from './targets';
import { safeCommanderMessage } from './safe-errors';
import packageJson from '../../package.json';
import { EXTERNAL_SECRET_NAMES, SECRET_NAMES, SECRETS, type SecretName } from '../../catalog/secrets';

/** How a `<secret>` argument may be written: the catalog's names, or their path suffixes. */
const secretsArgument = (names: readonly SecretName[]) => `${names.join(' | ')} (or ${SECRETS[names[0]].suffix}, ...)`;

export const PROGRAM = 'fleapo-secrets';

/** Where the CLI's process talks: injectable for tests of the pure parts. */
export interface CliIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
}

interface CommonOptions {
  env?: string;
  profile?: string;
  config?: string;
}

/**
 * The directory of the project's `cdk.json`: `cwd` or the nearest directory above it that has one (as git finds its
 * repository), so that the command means the same project from any of its subdirectories; undefined when there is
 * none. (The CDK CLI itself reads only the current directory's cdk.json: run `cdk` from the project's root.)
 */
export function findProjectDir(cwd: string): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'cdk.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The configuration, loaded as the CDK app loads it: `--config` (else the `fleapo:configFile` context of the
 * project's cdk.json or cdk.context.json, found upward from `cwd`, relative to that file; else `FLEAPO_CONFIG_FILE`)
 * over the example defaults, then the context's `fleapo:config`; with the same checks (placeholders left, unknown
 * `fleapo:*` keys and `FLEAPO_*` variables).
 */
export function loadCliConfigWithSource(configFile: string | undefined, cwd = process.cwd(), env = process.env): LoadedConfig {
  const projectDir = findProjectDir(cwd);
  let context: Record<string, unknown> = {};
  for (const file of projectDir ? ['cdk.json', 'cdk.context.json'] : []) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(projectDir!, file), 'utf8');
    } catch {
      continue; // no such file: no context from it
    }
    let json: { context?: Record<string, unknown> } & Record<string, unknown>;
    try {
      json = JSON.parse(text) as typeof json;
    } catch (e) {
      throw new ConfigError([`${path.join(projectDir!, file)} is not valid JSON: ${(e as Error).message}`]);
    }
    context = { ...context, ...(file === 'cdk.json' ? (json.context ?? {}) : json) };
  }
  const fromContext = context[CONFIG_FILE_CONTEXT];
  if (projectDir && typeof fromContext === 'string' && fromContext !== '')
    context[CONFIG_FILE_CONTEXT] = path.resolve(projectDir, fromContext);
  const source: ContextSource = { tryGetContext: (key) => context[key], getAllContext: () => context };
  const explicit = configFile === undefined ? undefined : { path: path.resolve(cwd, configFile), from: '--config' };
  return loadConfigWithSource(source, { env, configFile: explicit });
}

/** {@link loadCliConfigWithSource}'s configuration alone. */
export function loadCliConfig(configFile: string | undefined, cwd = process.cwd()): FleapoConfig {
  return loadCliConfigWithSource(configFile, cwd).config;
}

function positiveSeconds(flag: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of seconds`);
    return n;
  };
}

function addCommon(cmd: Command, envRequired: boolean): Command {
  return cmd
    .addOption(
      new Option(
        '-e, --env <environment>',
        `environment of the configuration (e.g. staging, prod)${envRequired ? '' : '; default: every one'}`,
      ),
    )
    .addOption(
      new Option(
        '--profile <name>',
        'AWS profile (shared config/credentials files); default: the SDK credential chain (AWS_PROFILE, env keys, SSO, role)',
      ),
    )
    .addOption(
      new Option(
        '--config <file>',
        'configuration JSON over the example defaults (default: fleapo:configFile of the cdk.json found upward, then FLEAPO_CONFIG_FILE)',
      ),
    );
}

function addTimes(cmd: Command, timeout: string): Command {
  return cmd
    .addOption(new Option('--timeout <seconds>', timeout).default(900).argParser(positiveSeconds('--timeout')))
    .addOption(
      new Option('--poll-interval <seconds>', 'seconds between two looks at Secrets Manager and ECS')
        .default(5)
        .argParser(positiveSeconds('--poll-interval')),
    );
}

function addWaits(cmd: Command): Command {
  return addTimes(cmd, 'longest wait for the rotation, and again for the rollout').addOption(
    new Option('--abandon-incomplete', 'drop the AWSPENDING label a failed earlier rotation left (AWSCURRENT is untouched), then go on'),
  );
}

/** The wait options as commander parses them (`--timeout`, `--poll-interval`, `--abandon-incomplete`). */
interface WaitFlags {
  timeout: number;
  pollInterval: number;
  abandonIncomplete?: boolean;
}

/** commander's attribute names to the commands' options (seconds). */
export function waitOptions(flags: WaitFlags): RotationRunOptions {
  return { timeoutSeconds: flags.timeout, pollSeconds: flags.pollInterval, abandonIncomplete: flags.abandonIncomplete === true };
}

/** The subcommands, for usage hints (`Run 'fleapo-secrets <command> --help'`). */
export const COMMANDS = ['stage', 'rotate', 'roll-current', 'status'] as const;

/** Builds the program; `run` receives each command's outcome (an exit code). */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command(PROGRAM)
    .description(
      'Stage, rotate, roll out and inspect the fleapo secrets of an environment, following each rotation and its ECS rollout until the value runs everywhere.\nRegion, secret names, cluster and service come from the configuration; AWS endpoints honour AWS_ENDPOINT_URL*.',
    )
    .version(packageJson.version)
    .showSuggestionAfterError(false)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // commander's own messages quote the offending argument: ours do not (see safeCommanderMessage).
      outputError: () => undefined,
    })
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 refused or failed (the reason is printed), 2 usage.
A new key is read from stdin (hidden prompt on a terminal, or a pipe), never from an argument.

Examples:
  $ ${PROGRAM} stage STRIPE_SECRET_KEY --env prod        # paste the key created in the Stripe Dashboard
  $ pbpaste | ${PROGRAM} stage posthog-api-key --env staging
  $ ${PROGRAM} rotate DATABASE_URL --env prod
  $ ${PROGRAM} roll-current STRIPE_SECRET_KEY --env prod  # after a failed rotation or rollout: no new key
  $ ${PROGRAM} status --env prod --json`,
    );

  /** The configuration; its one line (sources, accounts and regions) on stderr, so that stdout (--json) stays clean. */
  const config = (opts: CommonOptions) => {
    const loaded = loadCliConfigWithSource(opts.config);
    io.stderr.write(`${PROGRAM}: ${describeLoadedConfig(loaded)}\n`);
    return loaded.config;
  };
  /** Progress on stderr, the outcome on stdout. */
  const reportingTo = (progress: ReturnType<typeof createProgress>) => ({ progress, out: (l: string) => io.stdout.write(`${l}\n`) });
  /** `<secret> --env <env>` resolved to its target, then `run` with the environment's clients; its exit code. */
  const onSecret = (
    secretArg: string,
    opts: CommonOptions,
    run: (
      target: ReturnType<typeof secretTarget>,
      clients: ReturnType<typeof cliClients>,
      reporting: ReturnType<typeof reportingTo>,
    ) => Promise<number>,
  ): Promise<number> => {
    const target = secretTarget(findEnvironment(config(opts), opts.env), secretNameArgument(secretArg));
    return withClients(target.region, opts.profile, io, (clients, progress) => run(target, clients, reportingTo(progress)));
  };

  addWaits(
    addCommon(
      program
        .command('stage')
        .description(
          'Stage a new STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET or POSTHOG_API_KEY created at the issuer, rotate to it, and follow the rotation and the ECS rollout; then say when the old key may be revoked',
        )
        .argument('<secret>', secretsArgument(EXTERNAL_SECRET_NAMES)),
      true,
    ),
  )
    .addHelpText(
      'after',
      '\nThe value is read from stdin: typed without echo at the prompt, or piped. Its form is checked for the secret and the\nenvironment (sk_live_/rk_live_ in a live environment, sk_test_/rk_test_ in a test one, whsec_, phc_) before anything is written.',
    )
    .action(async (secretArg: string, opts: CommonOptions & WaitFlags) => {
      const name = secretNameArgument(secretArg);
      const target = secretTarget(findEnvironment(config(opts), opts.env), name);
      if (!target.external)
        throw new UsageError(
          `${name} is generated by its rotation function: use \`${PROGRAM} rotate ${name} --env ${target.environment}\``,
        );
      let value: string;
      try {
        value = await readValue(`New ${name} for ${target.secretId} (input hidden): `, io.stdin);
      } catch (error) {
        io.stderr.write(`${PROGRAM}: could not read the value from stdin: ${(error as Error).message}; nothing was staged\n`);
        return setExit(1);
      }
      if (value === '') {
        io.stderr.write(`${PROGRAM}: no value on stdin; nothing was staged\n`);
        return setExit(1);
      }
      setExit(
        await withClients(target.region, opts.profile, io, (clients, progress) =>
          runRotation(target, clients, waitOptions(opts), reportingTo(progress), value),
        ),
      );
    });

  addWaits(
    addCommon(
      program
        .command('rotate')
        .description('Rotate one secret now (RotateSecret) and follow the rotation and the ECS rollout to the end')
        .argument('<secret>', secretsArgument(SECRET_NAMES)),
      true,
    ),
  )
    .addHelpText(
      'after',
      '\nAUTH_SECRET is a key ring: one rotation is one key step and signs nobody out; it is refused until the previous\nrollout is done. The Stripe and PostHog secrets rotate only to a value staged with `stage` (which rotates by\nitself): rotate them only to finish a staged value whose rotation never started.',
    )
    .action(async (secretArg: string, opts: CommonOptions & WaitFlags) =>
      setExit(await onSecret(secretArg, opts, (target, clients, reporting) => runRotation(target, clients, waitOptions(opts), reporting))),
    );

  addTimes(
    addCommon(
      program
        .command('roll-current')
        .description(
          'Recovery after a failed rotation or rollout, with no new value: bring the value that is AWSCURRENT now to every task, and follow it until ECS reports it rolled out everywhere',
        )
        .argument('<secret>', secretsArgument(SECRET_NAMES)),
      true,
    ),
    'longest wait for the rollout',
  )
    .addHelpText(
      'after',
      `
It reads no value and never moves AWSCURRENT. In order:
  1. removes an AWSPENDING label a failed rotation left (on the current version, or on an incomplete one);
  2. rolls the service (UpdateService, forceNewDeployment) for the current version, unless the rollout recorded
     for it on the secret is rolled out everywhere or still under way;
  3. records that rollout on the secret (as the rotation function does: the database retirement follows it);
  4. follows it: exit 0 only once a deployment created since the value became current has completed and no task
     of the service's task family (service or standalone RunTask) from before then still runs.
Run it again at any time: when nothing is wrong it rolls nothing. Permissions beyond status: UpdateSecretVersionStage
and TagResource (the rollout keys) on the secret, ecs:UpdateService, ecs:ListTasks and ecs:DescribeTasks.`,
    )
    .action(async (secretArg: string, opts: CommonOptions & WaitFlags) =>
      setExit(
        await onSecret(secretArg, opts, (target, clients, reporting) => runRollCurrent(target, clients, waitOptions(opts), reporting)),
      ),
    );

  addCommon(
    program
      .command('status')
      .description(
        'Where each secret stands: versions and stages (ids and dates), last and next rotation, a pending or refused rotation and its reason, the rollout that followed, and for DATABASE_URL whether the previous role is retired',
      ),
    false,
  )
    .addOption(new Option('--json', 'print JSON (for scripts) instead of the table'))
    .action(async (opts: CommonOptions & { json?: boolean }) => {
      const cfg = config(opts);
      const envs = opts.env === undefined ? cfg.environments : [findEnvironment(cfg, opts.env)];
      const results = [];
      for (const env of envs) {
        const clients = cliClients({ region: env.region, profile: opts.profile });
        try {
          const secrets = [];
          for (const target of environmentTargets(env)) secrets.push(await secretStatus(target, clients));
          results.push({
            environment: env.name,
            region: env.region,
            cluster: env.service.clusterName,
            service: env.service.serviceName,
            secrets,
          });
        } finally {
          clients.destroy();
        }
      }
      if (opts.json) io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else io.stdout.write(results.map((r) => renderStatus(r.environment, r.secrets)).join('\n'));
      setExit(results.some((r) => r.secrets.some((s) => s.error !== undefined)) ? 1 : 0);
    });

  return program;
}

async function withClients(
  region: string,
  profile: string | undefined,
  io: CliIo,
  run: (clients: ReturnType<typeof cliClients>, progress: ReturnType<typeof createProgress>) => Promise<number>,
): Promise<number> {
  const clients = cliClients({ region, profile });
  const progress = createProgress(io.stderr, PROGRAM);
  try {
    return await run(clients, progress);
  } finally {
    progress.close();
    clients.destroy();
  }
}

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  const usage = (message: string, command?: string): number => {
    io.stderr.write(`${PROGRAM}: ${message}\nRun '${PROGRAM} ${command ? `${command} ` : ''}--help' for usage.\n`);
    return 2;
  };
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      const hint = error.code === 'commander.excessArguments' ? '. A new key is never an argument: stage reads it from stdin' : '';
      return usage(
        safeCommanderMessage(error) + hint,
        argv.find((a) => (COMMANDS as readonly string[]).includes(a)),
      );
    }
    if (error instanceof UsageError)
      return usage(
        error.message,
        argv.find((a) => (COMMANDS as readonly string[]).includes(a)),
      );
    if (error instanceof ConfigError) {
      io.stderr.write(`${PROGRAM}: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`${PROGRAM}: unexpected error: ${(error as Error)?.name ?? 'Error'}\n`);
    return 1;
  }
}
