/** The `audit` subcommand (registered by lib/cli/main.ts). */
import { Command, Option } from 'commander';
import { SECRET_NAMES, secretPath } from '../../../catalog/secrets';
import { EXPECTED_SERVICE_PRINCIPALS, expectedSecretPrincipals } from '../../config/secret-principals';
import { awsProblem } from '../aws';
import { classifyAwsError, EXIT } from '../cli-errors';
import type { CommandKit, CommonOptions } from '../command-context';
import { findEnvironment, UsageError } from '../targets';
import { groupByPrincipal, lookupSecretEvents, parseSince, renderAudit, type AuditScope, type PrincipalActivity } from './audit';

/**
 * `--timeout` of `audit` when not given (seconds): LookupEvents returns 50 events a page at 2 requests a second, once
 * per audited event name, so a busy week takes a while.
 */
export const AUDIT_TIMEOUT_SECONDS = 300;

export function registerAudit(root: Command, ctx: CommandKit): void {
  ctx
    .addCommon(
      root
        .command('audit')
        .description(
          "Who read, wrote, re-labelled, rotated, tagged or changed the policy of each of the environment's secrets, from CloudTrail (LookupEvents), grouped by principal; flags every principal that is not expected",
        )
        .addOption(new Option('--since <when>', 'how far back: 7d, 24h, 30m or an ISO date (at most 90 days)').default('7d')),
      true,
      AUDIT_TIMEOUT_SECONDS,
    )
    .addHelpText(
      'after',
      `
Expected: the ECS task execution role, the environment's rotation, retirement and notice functions, the configured
breakGlassRoleArn, and Secrets Manager itself. Exit 0 when nobody else touched a secret, ${EXIT.unexpectedPrincipal} when someone did (the
principals are flagged UNEXPECTED), 1 when CloudTrail could not be read (e.g. access denied), 2 usage, 3 no usable
AWS credentials, 4 AWS not answering within --timeout. Needs cloudtrail:LookupEvents only.
CloudTrail honours AWS_ENDPOINT_URL_CLOUDTRAIL.`,
    )
    .action(async (opts: CommonOptions & { since: string }) => {
      const env = findEnvironment(ctx.config(opts), opts.env);
      const until = new Date();
      let since: Date;
      try {
        since = parseSince(opts.since, until);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const scope: AuditScope = {
        account: env.account,
        region: env.region,
        secrets: SECRET_NAMES.map((variable) => ({ variable, name: secretPath(env.secretPrefix, variable) })),
        expected: expectedSecretPrincipals(env),
        expectedServices: EXPECTED_SERVICE_PRINCIPALS,
      };
      const outcome = await ctx.withAws(env.region, opts, async (aws): Promise<{ activity: PrincipalActivity[] } | { problem: string }> => {
        try {
          return { activity: groupByPrincipal(await lookupSecretEvents(aws.clients.cloudtrail, since, until), scope) };
        } catch (error) {
          // Credentials or AWS not answering: told once by the caller (exit 3 or 4); anything else is CloudTrail's answer.
          if (classifyAwsError(error, { timeoutSeconds: opts.timeout, profile: opts.profile })) throw error;
          return { problem: awsProblem(error) };
        }
      });
      const window = { environment: env.name, since: since.toISOString(), until: until.toISOString() };
      if ('problem' in outcome) {
        ctx.io.stderr.write(`${ctx.program}: could not read CloudTrail: ${outcome.problem}\n`);
        if (opts.json) ctx.io.stdout.write(`${JSON.stringify({ ok: false, ...window, error: outcome.problem }, null, 2)}\n`);
        return ctx.setExit(EXIT.failed);
      }
      const { activity } = outcome;
      const flagged = activity.some((a) => a.flagged);
      ctx.emit(opts, { ok: !flagged, ...window, principals: activity }, renderAudit(env.name, since, until, activity));
      ctx.setExit(flagged ? EXIT.unexpectedPrincipal : EXIT.ok);
    });
}
