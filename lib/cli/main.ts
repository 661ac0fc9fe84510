/**
 * `fleapo-secrets`: the operator's one command for every secret of an environment (docs/operations.md, "Operator command").
 * Arguments are parsed by commander; its own error messages are replaced by ours, which never repeat what was
 * typed (a refused argument may be a pasted key). Exit codes (cli-errors.ts EXIT): 0 done, 1 refused or failed,
 * 2 usage or configuration, 3 no usable AWS credentials, 4 AWS did not answer within the bounds, 5 `audit` found an
 * unexpected principal.
 * Every command gets the same conventions: `--env`, `--profile`, `--config`, `--timeout` and `--json` (addCommon),
 * AWS clients bounded by timeouts and the command's deadline (runAws, command-context.ts), and one error per cause.
 */
import { Command, CommanderError, Option } from 'commander';
import { CONFIG_FILE_CONTEXT } from '../config/config-sources';
import { describeLoadedConfig, loadConfigWithSource, type ContextSource, type LoadedConfig } from '../config/load-config';
import { ConfigError } from '../config/validate-config';
import type { FleapoConfig } from '../config/environment-config';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliFailure, EXIT, failureJson, reportFailure } from './cli-errors';
import { runAws, type AwsCommandContext, type CommandKit, type CommonOptions } from './command-context';
import { registerAudit } from './commands/audit-command';
import { registerContain } from './commands/contain-command';
import { renderDoctor, runDoctor } from './commands/doctor';
import { runRollCurrent } from './commands/roll-current';
import { runRotation, type RotationRunOptions, type RunReport } from './commands/rotation-run';
import { renderStatus, secretStatus } from './commands/status';
import { readValue } from './read-value';
import { environmentTargets, findEnvironment, secretNameArgument, secretTarget, UsageError } from './targets';
import { safeCommanderMessage } from './safe-errors';
import packageJson from '../../package.json';
import { STAGED_LABEL } from '../../catalog/labels';
import { EXTERNAL_SECRET_NAMES, SECRET_NAMES, SECRETS, type SecretName } from '../../catalog/secrets';
import { issuedSecret, issuerNames, listInWords } from '../../runtime/issuers';

/** How a `<secret>` argument may be written: the catalog's names, or their path suffixes. */
const secretsArgument = (names: readonly SecretName[]) => `${names.join(' | ')} (or ${SECRETS[names[0]].suffix}, ...)`;

export const PROGRAM = 'fleapo-secrets';

/** Where the CLI's process talks: injectable for tests of the pure parts. */
export interface CliIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
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

/**
 * The options every command takes (a new command calls this too): `--env`, `--profile`, `--config`, `--json`, and
 * `--timeout` (the whole command's bound, AWS calls included; `timeoutSeconds` is its default).
 */
function addCommon(cmd: Command, envRequired: boolean, timeoutSeconds = 30): Command {
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
    )
    .addOption(
      new Option('--timeout <seconds>', 'longest the whole command may take, AWS calls and waits included')
        .default(timeoutSeconds)
        .argParser(positiveSeconds('--timeout')),
    )
    .addOption(new Option('--json', 'print the outcome as JSON on stdout (nothing else goes there; progress and errors go to stderr)'));
}

function addTimes(cmd: Command): Command {
  return cmd.addOption(
    new Option('--poll-interval <seconds>', 'seconds between two looks at Secrets Manager and ECS')
      .default(5)
      .argParser(positiveSeconds('--poll-interval')),
  );
}

function addWaits(cmd: Command): Command {
  return addTimes(cmd)
    .addOption(
      new Option('--abandon-incomplete', 'drop the AWSPENDING label a failed earlier rotation left (AWSCURRENT is untouched), then go on'),
    )
    .addOption(
      new Option(
        '--retry-wait <seconds>',
        "how long to wait for Secrets Manager's next retry of a failed finish step before reporting it failed",
      )
        .default(300)
        .argParser(positiveSeconds('--retry-wait')),
    );
}

/** The wait options as commander parses them (`--timeout`, `--poll-interval`, `--abandon-incomplete`, `--retry-wait`). */
interface WaitFlags {
  timeout: number;
  pollInterval: number;
  abandonIncomplete?: boolean;
  retryWait?: number;
}

/** commander's attribute names to the commands' options (seconds); waits end by the command's deadline. */
export function waitOptions(flags: WaitFlags, ctx?: Pick<AwsCommandContext, 'deadline'>): RotationRunOptions {
  return {
    timeoutSeconds: flags.timeout,
    pollSeconds: flags.pollInterval,
    abandonIncomplete: flags.abandonIncomplete === true,
    ...(flags.retryWait !== undefined ? { retryWaitSeconds: flags.retryWait } : {}),
    ...(ctx ? { waitMs: () => ctx.deadline.waitMs() } : {}),
  };
}

/** Builds the program; `run` receives each command's outcome (an exit code). */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command(PROGRAM)
    .description(
      'Stage, rotate, roll out and inspect the fleapo secrets of an environment, following each rotation and its ECS rollout until the value runs everywhere.\nRegion, secret names, cluster and service come from the configuration; AWS endpoints honour AWS_ENDPOINT_URL*.',
    )
    .version(packageJson.version)
    .showSuggestionAfterError(true)
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
Exit codes: 0 done, 1 refused or failed (the reason is printed), 2 usage or configuration, 3 no usable AWS
credentials (none found, unknown --profile, expired), 4 AWS did not answer within the bounds (--timeout),
5 audit found a principal that is not expected.
A new key is read from stdin (hidden prompt on a terminal, or a pipe), never from an argument.

Examples:
  $ ${PROGRAM} stage STRIPE_SECRET_KEY --env prod        # paste the key created in the Stripe Dashboard
  $ pbpaste | ${PROGRAM} stage posthog-api-key --env staging
  $ ${PROGRAM} rotate DATABASE_URL --env prod
  $ ${PROGRAM} roll-current STRIPE_SECRET_KEY --env prod  # after a failed rotation or rollout: no new key
  $ ${PROGRAM} status --env prod --json
  $ ${PROGRAM} contain DATABASE_URL --env prod           # a leak (docs/when-a-secret-leaks.md); audit: who read what
Run it as bin/fleapo-secrets (or node dist/fleapo-secrets.js), not through npm/npx: npm writes the whole command
line to its debug log (~/.npm/_logs), a key pasted by mistake included.`,
    );

  /** The configuration; its one line (sources, accounts and regions) on stderr, so that stdout (--json) stays clean. */
  const config = (opts: CommonOptions) => {
    const loaded = loadCliConfigWithSource(opts.config);
    io.stderr.write(`${PROGRAM}: ${describeLoadedConfig(loaded)}\n`);
    return loaded.config;
  };
  /** The outcome on stdout: JSON with `--json`, else `human` (a line or a table). Progress is on stderr. */
  const emit = (opts: CommonOptions, json: unknown, human: string) =>
    io.stdout.write(opts.json ? `${JSON.stringify(json, null, 2)}\n` : human.endsWith('\n') || human === '' ? human : `${human}\n`);
  /** A run's report as the outcome; its exit code. */
  const emitReport = (opts: CommonOptions, report: RunReport): number => {
    const { code, ...rest } = report;
    emit(opts, { ok: code === 0, ...rest }, report.instruction);
    return code;
  };
  /** `run` with the environment's clients, bounded by `--timeout` (command-context.ts). */
  const withAws = <T>(region: string, opts: CommonOptions, run: (ctx: AwsCommandContext) => Promise<T>): Promise<T> =>
    runAws({ region, profile: opts.profile, timeoutSeconds: opts.timeout }, io.stderr, PROGRAM, run);
  /** `<secret> --env <env>` resolved to its target, then `run` with the environment's clients; its exit code. */
  const onSecret = (
    secretArg: string,
    opts: CommonOptions,
    run: (target: ReturnType<typeof secretTarget>, ctx: AwsCommandContext) => Promise<RunReport>,
  ): Promise<number> => {
    const target = secretTarget(findEnvironment(config(opts), opts.env), secretNameArgument(secretArg));
    return withAws(target.region, opts, (ctx) => run(target, ctx)).then((report) => emitReport(opts, report));
  };

  addWaits(
    addCommon(
      program
        .command('stage')
        .description(
          `Stage a new ${listInWords(EXTERNAL_SECRET_NAMES)} created at the issuer, rotate to it, and follow the rotation and the ECS rollout; then say when the old key may be revoked`,
        )
        .argument('<secret>', secretsArgument(EXTERNAL_SECRET_NAMES)),
      true,
      1800,
    ),
  )
    .addHelpText(
      'after',
      '\nThe value is read from stdin: typed without echo at the prompt, or piped. Its form is checked for the secret and the\n' +
        `environment (${EXTERNAL_SECRET_NAMES.map((name) => issuedSecret(name).secret.operator.formHint).join(', ')}) before anything is written.`,
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
        return setExit(EXIT.failed);
      }
      if (value === '') {
        io.stderr.write(`${PROGRAM}: no value on stdin; nothing was staged\n`);
        return setExit(EXIT.failed);
      }
      // The deadline starts once the value is read (a person may take a while to paste it).
      const report = await withAws(target.region, opts, (ctx) => runRotation(target, ctx.clients, waitOptions(opts, ctx), ctx, value));
      setExit(emitReport(opts, report));
    });

  addWaits(
    addCommon(
      program
        .command('rotate')
        .description('Rotate one secret now (RotateSecret) and follow the rotation and the ECS rollout to the end')
        .argument('<secret>', secretsArgument(SECRET_NAMES)),
      true,
      1800,
    ),
  )
    .addHelpText(
      'after',
      '\nAUTH_SECRET is a key ring: one rotation is one key step and signs nobody out; it is refused until the previous\n' +
        `rollout is done. The ${listInWords(issuerNames(), 'and')} secrets rotate only to a value staged with \`stage\` (which rotates by\n` +
        'itself): rotate them only to finish a staged value whose rotation never started.',
    )
    .action(async (secretArg: string, opts: CommonOptions & WaitFlags) =>
      setExit(await onSecret(secretArg, opts, (target, ctx) => runRotation(target, ctx.clients, waitOptions(opts, ctx), ctx))),
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
      900,
    ),
  )
    .addHelpText(
      'after',
      `
It reads no value and never moves AWSCURRENT. In order:
  1. removes an AWSPENDING label a failed rotation left (on the current version, or on an incomplete one), and a
     ${STAGED_LABEL} label left on a value that is already current;
  2. rolls the service (UpdateService, forceNewDeployment) for the current version, unless the rollout recorded
     for it on the secret is rolled out everywhere or still under way;
  3. records that rollout on the secret (as the rotation function does: the database retirement follows it);
  4. follows it: exit 0 only once a deployment created since the value became current has completed and no task
     of the service's task family (service or standalone RunTask) from before then still runs.
Run it again at any time: when nothing is wrong it rolls nothing. Permissions beyond status: UpdateSecretVersionStage
and TagResource (the rollout keys) on the secret, ecs:UpdateService, ecs:ListTasks and ecs:DescribeTasks.`,
    )
    .action(async (secretArg: string, opts: CommonOptions & WaitFlags) =>
      setExit(await onSecret(secretArg, opts, (target, ctx) => runRollCurrent(target, ctx.clients, waitOptions(opts, ctx), ctx))),
    );

  addCommon(
    program
      .command('status')
      .description(
        'Where each secret stands: versions and stages (ids and dates), last and next rotation, a pending or refused rotation and its reason, the rollout that followed, and for DATABASE_URL whether the previous role is retired',
      ),
    false,
  ).action(async (opts: CommonOptions) => {
    const cfg = config(opts);
    const envs = opts.env === undefined ? cfg.environments : [findEnvironment(cfg, opts.env)];
    const started = Date.now();
    const results = [];
    for (const env of envs) {
      // One deadline for the whole command: each environment gets what is left of --timeout.
      const left = Math.max(0.001, opts.timeout - (Date.now() - started) / 1000);
      const secrets = await runAws({ region: env.region, profile: opts.profile, timeoutSeconds: left }, io.stderr, PROGRAM, async (ctx) => {
        const out = [];
        for (const target of environmentTargets(env)) out.push(await secretStatus(target, ctx.clients));
        return out;
      });
      results.push({
        environment: env.name,
        region: env.region,
        cluster: env.service.clusterName,
        service: env.service.serviceName,
        secrets,
      });
    }
    emit(opts, results, results.map((r) => renderStatus(r.environment, r.secrets)).join('\n'));
    setExit(results.some((r) => r.secrets.some((s) => s.error !== undefined)) ? EXIT.failed : EXIT.ok);
  });

  addCommon(
    program
      .command('doctor')
      .description(
        "Whether an environment is ready: the credentials' account and region against the configuration, each secret's rotation function, the service's task definition, the caller's permissions for each command (simulated); each finding with its fix",
      ),
    true,
  ).action(async (opts: CommonOptions) => {
    const env = findEnvironment(config(opts), opts.env);
    const checks = await withAws(env.region, opts, (ctx) => runDoctor(env, ctx.clients));
    emit(opts, { environment: env.name, region: env.region, account: env.account, checks }, renderDoctor(env.name, checks));
    setExit(checks.some((c) => c.status === 'fail') ? EXIT.failed : EXIT.ok);
  });

  // When a secret leaks (docs/when-a-secret-leaks.md): contain it, and audit who read what. Both get the same
  // conventions as the commands above (addCommon, runAws through withAws, emit).
  const kit: CommandKit = { io, setExit, addCommon, addWaits, config, withAws, emit, program: PROGRAM };
  registerContain(program, kit);
  registerAudit(program, kit);

  return program;
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
    return EXIT.usage;
  };
  const commands = program.commands.map((c) => c.name());
  const command = argv.find((a) => commands.includes(a));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      const hint = error.code === 'commander.excessArguments' ? '. A new key is never an argument: stage reads it from stdin' : '';
      return usage(safeCommanderMessage(error, commands) + hint, command);
    }
    if (error instanceof UsageError) return usage(error.message, command);
    if (error instanceof ConfigError) {
      io.stderr.write(`${PROGRAM}: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof CliFailure) {
      // One error per cause: one line on stderr (and, with --json, the same as JSON on stdout).
      reportFailure(io.stderr, PROGRAM, error);
      if (argv.includes('--json')) io.stdout.write(`${JSON.stringify(failureJson(error), null, 2)}\n`);
      return error.exitCode;
    }
    io.stderr.write(`${PROGRAM}: unexpected error: ${(error as Error)?.name ?? 'Error'}\n`);
    return EXIT.failed;
  }
}
