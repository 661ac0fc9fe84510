import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetRoleCommand, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { taskDefinitionFamily } from '../../../runtime/ecs-service';
import { resourceNames } from '../../config/resource-names';
import type { EnvironmentConfig } from '../../config/environment-config';
import { awsProblem, type CliClients } from '../aws';
import { classifyAwsError } from '../cli-errors';
import { environmentTargets } from '../targets';

/** One finding of `doctor`: what was checked, how it stands, and the fix when it is not ok. Never a value. */
export interface DoctorCheck {
  readonly check: string;
  readonly status: 'ok' | 'fail' | 'warn' | 'skipped';
  readonly detail: string;
  readonly fix?: string;
}

/** Runs `look`; an error that stops every check (credentials, timeout) is rethrown, any other becomes a failed check. */
async function checked(check: string, fix: string, look: () => Promise<DoctorCheck>): Promise<DoctorCheck> {
  try {
    return await look();
  } catch (error) {
    if (classifyAwsError(error, {})) throw error;
    return { check, status: 'fail', detail: awsProblem(error), fix };
  }
}

/**
 * `doctor --env <env>`: whether this environment is ready for the other commands, each finding with its fix: the
 * credentials' account (and the default region) against the configuration, each secret with rotation enabled on the
 * expected function, the service running the app's task definition family, and the caller's permissions for each
 * command (permissionChecks). Reads no value.
 */
export async function runDoctor(env: EnvironmentConfig, clients: CliClients): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  let caller: string | undefined;
  const resources: { secrets: string[]; service?: string } = { secrets: [] };
  const deploy = `deploy the ${env.name} stack (\`npx cdk deploy Fleapo-${env.name}\`, docs/bootstrap-and-first-deploy.md, "Bootstrap order")`;

  checks.push(
    await checked('credentials', 'allow sts:GetCallerIdentity (every principal has it unless an SCP denies it)', async () => {
      const me = await clients.sts.send(new GetCallerIdentityCommand({}));
      caller = me.Arn;
      return me.Account === env.account
        ? { check: 'credentials', status: 'ok', detail: `${me.Arn} in account ${me.Account}, the configured account of ${env.name}` }
        : {
            check: 'credentials',
            status: 'fail',
            detail: `${me.Arn} is in account ${me.Account}, but ${env.name} is in account ${env.account}`,
            fix: `use credentials of account ${env.account}: \`--profile <a profile of ${env.account}>\` or AWS_PROFILE (\`aws sso login\` first)`,
          };
    }),
  );
  const defaultRegion = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  checks.push(
    defaultRegion === undefined || defaultRegion === env.region
      ? { check: 'region', status: 'ok', detail: `every call goes to ${env.region}, the configured region of ${env.name}` }
      : {
          check: 'region',
          status: 'warn',
          detail: `your default region is ${defaultRegion}; this CLI calls ${env.region}, the configured region of ${env.name}`,
          fix: 'nothing for this CLI; other tools (aws, cdk) would use the default region',
        },
  );

  for (const target of environmentTargets(env)) {
    const expected = resourceNames(env).rotationFunction(target.name);
    checks.push(
      await checked(
        `secret ${target.name}`,
        `${deploy}; the caller needs secretsmanager:DescribeSecret on ${target.secretId}`,
        async () => {
          const d = await clients.sm.send(new DescribeSecretCommand({ SecretId: target.secretId }));
          if (d.ARN) resources.secrets.push(d.ARN);
          const fn = /:function:([^:]+)/.exec(d.RotationLambdaARN ?? '')?.[1];
          if (!d.RotationEnabled || fn === undefined) {
            return { check: `secret ${target.name}`, status: 'fail', detail: `${target.secretId} has no rotation enabled`, fix: deploy };
          }
          return fn === expected
            ? { check: `secret ${target.name}`, status: 'ok', detail: `${target.secretId}: rotation by ${fn}` }
            : {
                check: `secret ${target.name}`,
                status: 'fail',
                detail: `${target.secretId} rotates with ${fn}, not ${expected}`,
                fix: `${deploy}: it sets the rotation function of each secret`,
              };
        },
      ),
    );
  }

  const family = resourceNames(env).taskFamily;
  checks.push(
    await checked('service', `${deploy}; the caller needs ecs:DescribeServices on ${env.service.serviceName}`, async () => {
      const out = await clients.ecs.send(
        new DescribeServicesCommand({ cluster: env.service.clusterName, services: [env.service.serviceName] }),
      );
      const service = out.services?.[0];
      if (service === undefined || service.status !== 'ACTIVE') {
        const why = out.failures?.[0]?.reason ?? service?.status ?? 'not found';
        return {
          check: 'service',
          status: 'fail',
          detail: `${env.service.serviceName} in ${env.service.clusterName}: ${why}`,
          fix: deploy,
        };
      }
      resources.service = service.serviceArn;
      const running = taskDefinitionFamily(service.taskDefinition ?? '');
      return running === family
        ? { check: 'service', status: 'ok', detail: `${env.service.serviceName} runs ${service.taskDefinition}` }
        : {
            check: 'service',
            status: 'fail',
            detail: `${env.service.serviceName} runs task definition family ${running}, not ${family} (the app's, with the secrets injected)`,
            fix: deploy,
          };
    }),
  );

  checks.push(...(await permissionChecks(env, clients, caller, resources)));
  return checks;
}

/**
 * What each command calls, on which resources (docs/who-can-change-a-secret.md, docs/when-a-secret-leaks.md for
 * `contain` and `audit`); `secrets` and `service` are ARNs.
 */
export function commandCalls(
  env: EnvironmentConfig,
  arns: { secrets: string[]; service: string },
): Record<string, { action: string; resources: string[] }[]> {
  const tasks = `arn:aws:ecs:${env.region}:${env.account}:task/${env.service.clusterName}/*`;
  const retirement = `arn:aws:lambda:${env.region}:${env.account}:function:${resourceNames(env).retirementFunction}`;
  const read = [
    { action: 'secretsmanager:DescribeSecret', resources: arns.secrets },
    { action: 'secretsmanager:ListSecretVersionIds', resources: arns.secrets },
    { action: 'ecs:DescribeServices', resources: [arns.service] },
    { action: 'ecs:ListTasks', resources: ['*'] },
    { action: 'ecs:DescribeTasks', resources: [tasks] },
  ];
  return {
    status: read,
    rotate: [...read, { action: 'secretsmanager:RotateSecret', resources: arns.secrets }],
    stage: [
      ...read,
      { action: 'secretsmanager:PutSecretValue', resources: arns.secrets },
      { action: 'secretsmanager:RotateSecret', resources: arns.secrets },
    ],
    'roll-current': [
      ...read,
      { action: 'secretsmanager:UpdateSecretVersionStage', resources: arns.secrets },
      { action: 'secretsmanager:TagResource', resources: arns.secrets },
      { action: 'ecs:UpdateService', resources: [arns.service] },
    ],
    // Tags: its own keys (fleapo:contain-*, fleapo:rekey-requested) and the rollout keys; staging an issuer key as
    // `stage`; the DATABASE_URL retirement with its contain input.
    contain: [
      ...read,
      { action: 'secretsmanager:TagResource', resources: arns.secrets },
      { action: 'secretsmanager:PutSecretValue', resources: arns.secrets },
      { action: 'secretsmanager:RotateSecret', resources: arns.secrets },
      { action: 'secretsmanager:UpdateSecretVersionStage', resources: arns.secrets },
      { action: 'ecs:UpdateService', resources: [arns.service] },
      { action: 'lambda:InvokeFunction', resources: [retirement] },
    ],
    // LookupEvents has no resource-level permission.
    audit: [{ action: 'cloudtrail:LookupEvents', resources: ['*'] }],
  };
}

/** The IAM principal to simulate for an STS caller ARN: a role's name (its ARN, with its path, comes from GetRole) or a user's ARN. */
export function principalOf(callerArn: string): { role: string } | { arn: string } | undefined {
  const role = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/([^/]+)\//.exec(callerArn)?.[1];
  if (role) return { role };
  if (/^arn:aws[a-z-]*:iam::\d{12}:user\//.test(callerArn)) return { arn: callerArn };
  return undefined;
}

/**
 * Whether the caller's own policies allow what each command calls, and deny reading a secret value, by
 * iam:SimulatePrincipalPolicy (identity policies of the caller; resource policies and SCPs are not part of it).
 * Skipped, with the fix, when the caller may not simulate.
 */
async function permissionChecks(
  env: EnvironmentConfig,
  clients: CliClients,
  caller: string | undefined,
  resources: { secrets: string[]; service?: string },
): Promise<DoctorCheck[]> {
  const principal = caller === undefined ? undefined : principalOf(caller);
  if (principal === undefined || resources.service === undefined || resources.secrets.length === 0) {
    return [
      {
        check: 'permissions',
        status: 'skipped',
        detail: 'not simulated: the caller, the secrets or the service could not be read (see above)',
        fix: 'docs/who-can-change-a-secret.md lists what each command calls',
      },
    ];
  }
  const { iam } = clients;
  try {
    const source = 'role' in principal ? (await iam.send(new GetRoleCommand({ RoleName: principal.role }))).Role?.Arn : principal.arn;
    if (source === undefined) throw new Error('GetRole returned no role');
    const decide = async (action: string, arns: string[]) => {
      const out = await iam.send(
        new SimulatePrincipalPolicyCommand({ PolicySourceArn: source, ActionNames: [action], ResourceArns: arns }),
      );
      return (out.EvaluationResults ?? []).filter((r) => r.EvalDecision !== 'allowed').map((r) => r.EvalResourceName ?? '*');
    };
    const checks: DoctorCheck[] = [];
    for (const [command, calls] of Object.entries(commandCalls(env, { secrets: resources.secrets, service: resources.service }))) {
      const missing: string[] = [];
      for (const call of calls) {
        const denied = await decide(call.action, call.resources);
        if (denied.length > 0)
          missing.push(
            `${call.action} on ${denied.length === call.resources.length && denied.length > 1 ? 'each secret' : denied.join(', ')}`,
          );
      }
      checks.push(
        missing.length === 0
          ? { check: `permissions: ${command}`, status: 'ok', detail: `${source} may make every call of ${command}` }
          : {
              check: `permissions: ${command}`,
              status: 'fail',
              detail: `${source} may not call ${missing.join('; ')}`,
              fix: `grant them to ${source} (docs/who-can-change-a-secret.md), or use the operator role made for ${command}`,
            },
      );
    }
    const readable = await decide('secretsmanager:GetSecretValue', resources.secrets);
    checks.push(
      readable.length === resources.secrets.length
        ? { check: 'secret values unreadable', status: 'ok', detail: `${source} may not call GetSecretValue on any of the secrets` }
        : {
            check: 'secret values unreadable',
            status: 'warn',
            detail: `${source} may read the values of ${resources.secrets.length - readable.length} secret(s) (GetSecretValue); no command needs it`,
            fix: 'use an operator role without secretsmanager:GetSecretValue',
          },
    );
    return checks;
  } catch (error) {
    if (classifyAwsError(error, {})) throw error;
    return [
      {
        check: 'permissions',
        status: 'skipped',
        detail: `not simulated: ${awsProblem(error)}`,
        fix: 'allow the caller iam:GetRole on itself and iam:SimulatePrincipalPolicy, or compare with docs/who-can-change-a-secret.md',
      },
    ];
  }
}

/** Pure: the human report of `doctor`. */
export function renderDoctor(environment: string, checks: DoctorCheck[]): string {
  const mark = { ok: 'ok  ', fail: 'FAIL', warn: 'warn', skipped: 'skip' } as const;
  const lines = [`Environment ${environment}`];
  for (const c of checks) {
    lines.push(`  ${mark[c.status]}  ${c.check.padEnd(30)} ${c.detail}`);
    if (c.fix && c.status !== 'ok') lines.push(`        ${''.padEnd(30)} fix: ${c.fix}`);
  }
  return `${lines.join('\n')}\n`;
}
