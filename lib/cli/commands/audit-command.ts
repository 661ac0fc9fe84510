/** The `audit` subcommand (registered by lib/cli/main.ts). */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { Command, Option } from 'commander';
import { SECRET_NAMES, secretPath } from '../../../catalog/secrets';
import type { FleapoConfig } from '../../config/environment-config';
import { EXPECTED_SERVICE_PRINCIPALS, expectedSecretPrincipals } from '../../config/secret-principals';
import { awsProblem } from '../aws';
import { findEnvironment, UsageError } from '../targets';
import { groupByPrincipal, lookupSecretEvents, parseSince, renderAudit, type AuditScope } from './audit';

export interface AuditCommandContext {
  readonly io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
  readonly setExit: (code: number) => void;
  readonly addCommon: (cmd: Command, envRequired: boolean) => Command;
  readonly config: (opts: { config?: string }) => FleapoConfig;
  readonly program: string;
}

export function registerAudit(root: Command, ctx: AuditCommandContext): void {
  ctx
    .addCommon(
      root
        .command('audit')
        .description(
          "Who read, wrote, re-labelled, rotated, tagged or changed the policy of each of the environment's secrets, from CloudTrail (LookupEvents), grouped by principal; flags every principal that is not expected",
        )
        .addOption(new Option('--since <when>', 'how far back: 7d, 24h, 30m or an ISO date (at most 90 days)').default('7d'))
        .addOption(new Option('--json', 'print JSON (for scripts) instead of the text')),
      true,
    )
    .addHelpText(
      'after',
      `
Expected: the ECS task execution role, the environment's rotation, retirement and notice functions, the configured
breakGlassRoleArn, and Secrets Manager itself. Exit 0 when nobody else touched a secret, 3 when someone did (the
principals are flagged UNEXPECTED), 1 when CloudTrail could not be read. Needs cloudtrail:LookupEvents only.
CloudTrail honours AWS_ENDPOINT_URL_CLOUDTRAIL.`,
    )
    .action(async (opts: { env?: string; profile?: string; config?: string; since: string; json?: boolean }) => {
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
      // LookupEvents allows 2 requests a second per account and region: adaptive retries slow down when throttled.
      const client = new CloudTrailClient({
        region: env.region,
        retryMode: 'adaptive',
        ...(opts.profile ? { profile: opts.profile } : {}),
      });
      try {
        const events = await lookupSecretEvents(client, since, until);
        const activity = groupByPrincipal(events, scope);
        if (opts.json) {
          ctx.io.stdout.write(
            `${JSON.stringify({ environment: env.name, since: since.toISOString(), until: until.toISOString(), principals: activity }, null, 2)}\n`,
          );
        } else ctx.io.stdout.write(renderAudit(env.name, since, until, activity));
        ctx.setExit(activity.some((a) => a.flagged) ? 3 : 0);
      } catch (error) {
        ctx.io.stderr.write(`${ctx.program}: could not read CloudTrail: ${awsProblem(error)}\n`);
        ctx.setExit(1);
      } finally {
        client.destroy();
      }
    });
}
