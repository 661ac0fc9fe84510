/** The `contain` subcommand's arguments and its run (registered by lib/cli/main.ts). */
import { Command, Option } from 'commander';
import { SECRET_NAMES, type SecretName } from '../../../catalog/secrets';
import type { EnvironmentConfig } from '../../config/environment-config';
import { resourceNames } from '../../config/resource-names';
import type { CommandKit, CommonOptions } from '../command-context';
import { containExitCode, containReportJson, renderContainReport } from '../contain-report';
import { readHidden, readPiped } from '../read-value';
import { findEnvironment, secretNameArgument, secretTarget, UsageError } from '../targets';
import { runContain, type ContainOptions } from './contain';
import { issuerNames } from '../../../runtime/issuers';

/** `--timeout` of `contain` when not given: the rotations, one rollout and the retirement, as `rotate` (seconds). */
export const CONTAIN_TIMEOUT_SECONDS = 1800;

/** The secrets named on the command line (or every one with --all), in catalog order, each once. */
export function containedNames(args: readonly string[], all: boolean): SecretName[] {
  if (all && args.length > 0) throw new UsageError('give either <secret...> or --all, not both');
  if (!all && args.length === 0) throw new UsageError('name the leaked secret(s), or --all');
  const names = all ? SECRET_NAMES : args.map(secretNameArgument);
  return SECRET_NAMES.filter((n) => names.includes(n));
}

/**
 * The new values of the issuer-created secrets: on a terminal, one hidden prompt each; piped, one line each in the
 * order the prompts name (catalog order). Errors give counts, never content.
 */
export async function readContainValues(names: SecretName[], stdin: NodeJS.ReadStream, secretIdOf: (n: SecretName) => string) {
  const values = new Map<SecretName, string>();
  if (stdin.isTTY) {
    for (const name of names) values.set(name, await readHidden(stdin, `New ${name} for ${secretIdOf(name)} (input hidden): `));
    return values;
  }
  const lines = (await readPiped(stdin)).split(/\r?\n/);
  if (lines.length !== names.length) {
    throw new Error(
      `stdin has ${lines.length} line(s), but ${names.length} new value(s) are needed, one a line in this order: ${names.join(', ')}; nothing was staged`,
    );
  }
  names.forEach((name, i) => values.set(name, lines[i]));
  return values;
}

/** The warning printed before an AUTH_SECRET re-key starts. */
export const SIGN_OUT_WARNING =
  'AUTH_SECRET: the emergency re-key replaces every key of the ring: EVERY USER IS SIGNED OUT (sessions and cookie caches signed with any leaked key are refused once the rollout completes).';

export function registerContain(root: Command, ctx: CommandKit): void {
  const { io } = ctx;
  ctx
    .addWaits(
      ctx.addCommon(
        root
          .command('contain')
          .description(
            'A secret leaked: replace it and make the leaked value useless as fast as AWS allows (all named secrets in parallel, one rollout), then report per secret when the leaked value was last served and stopped being accepted',
          )
          .argument('[secret...]', `the leaked secret(s): ${SECRET_NAMES.join(', ')}`)
          .addOption(new Option('--all', 'every secret of the environment'))
          .addOption(new Option('--sign-everyone-out', 'required for AUTH_SECRET: the re-key signs every user out'))
          .addOption(
            new Option(
              '--revoked',
              `confirm that the leaked ${issuerNames().join('/')} keys are revoked at the issuer (run again after "revoke the leaked key now")`,
            ),
          ),
        true,
        CONTAIN_TIMEOUT_SECONDS,
      ),
    )
    .addHelpText(
      'after',
      `
Per secret (docs/when-a-secret-leaks.md):
  AUTH_SECRET            emergency re-key by its rotation function: a fresh ring, none of the leaked keys (signs everyone out)
  DATABASE_URL           rotation, then at once the leaked role is disabled and its open sessions ended
  ${`${issuerNames().join(', ')} keys`.padEnd(22)} the new value from stdin (one line each, in catalog order), then "revoke the leaked key now"
A second run continues where an interrupted one stopped. --timeout bounds the whole run (prompts included).
Exit 0 when every secret is contained or only waits for a revoke at the issuer, 1 when one failed (named in the
report), 2 usage, 3 no usable AWS credentials and 4 AWS not answering, both before anything was changed.`,
    )
    .action(
      async (
        args: string[],
        opts: CommonOptions & {
          all?: boolean;
          signEveryoneOut?: boolean;
          pollInterval: number;
          abandonIncomplete?: boolean;
          retryWait?: number;
          revoked?: boolean;
        },
      ) => {
        const names = containedNames(args, opts.all === true);
        const env: EnvironmentConfig = findEnvironment(ctx.config(opts), opts.env);
        if (names.includes('AUTH_SECRET') && !opts.signEveryoneOut) {
          throw new UsageError(
            'containing AUTH_SECRET signs every user out: add --sign-everyone-out to confirm (or leave AUTH_SECRET out of this run)',
          );
        }
        const targets = names.map((n) => secretTarget(env, n));
        if (names.includes('AUTH_SECRET')) io.stderr.write(`${ctx.program}: ${SIGN_OUT_WARNING}\n`);
        const results = await ctx.withAws(env.region, opts, (aws) => {
          aws.progress.info(`containing ${names.join(', ')} in ${env.name} (${env.region}), service ${env.service.serviceName}`);
          const options: ContainOptions = {
            timeoutSeconds: opts.timeout,
            waitMs: () => aws.deadline.waitMs(),
            pollSeconds: opts.pollInterval,
            abandonIncomplete: opts.abandonIncomplete === true,
            ...(opts.retryWait !== undefined ? { retryWaitSeconds: opts.retryWait } : {}),
            revoked: opts.revoked === true,
          };
          return runContain(
            targets,
            { ...aws.clients, retirementFunction: resourceNames(env).retirementFunction },
            options,
            {
              progress: aws.progress,
              alert: (line) => (opts.json ? io.stderr.write(`${ctx.program}: ${line}\n`) : io.stdout.write(`${line}\n`)),
            },
            (wanted) => readContainValues(wanted, io.stdin, (n) => secretTarget(env, n).secretId),
          );
        });
        io.stdout.write(opts.json ? containReportJson(env.name, results) : renderContainReport(env.name, results));
        ctx.setExit(containExitCode(results));
      },
    );
}
