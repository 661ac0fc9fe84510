import { Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { DatabaseConfig } from '../config/environment-config';
import type { HandlerEnvironment } from '../../runtime/handler-environment';
import type { ResourceNames } from '../config/resource-names';
import {
  ENV_AWS_ENDPOINT_URL_ECS,
  ENV_AWS_ENDPOINT_URL_SECRETS_MANAGER,
  ENV_DB_APP_USER,
  ENV_DB_HOST,
  ENV_DB_NAME,
  ENV_DB_PORT,
  ENV_DB_SSL,
  ENV_MASTER_SECRET_ARN,
  ENV_NODE_EXTRA_CA_CERTS,
} from '../../catalog/env-vars';
import type { AppService } from './app-service';
import type { RotationFunctionProps } from './rotation-function';

/** What the functions that reach the database (rotation, retirement) share. */
export interface DatabaseFunctionsProps {
  /** The environment's names (its name is what the handlers check their events against). */
  readonly names: ResourceNames;
  /** The database: the functions trust its host, port, name and role from here, and log in with its master secret. */
  readonly database: DatabaseConfig;
  /** The service whose rollouts the functions follow. */
  readonly service: AppService;
  /** Where the functions run: the database's VPC, its private subnets, their own security group. */
  readonly placement: NonNullable<RotationFunctionProps['vpc']>;
  /**
   * The Secrets Manager and ECS API endpoints the functions call (`AWS_ENDPOINT_URL_*` variables), from
   * {@link allowApiAccess}.
   * @default the SDK's default endpoints (through what the VPC already has)
   */
  readonly apiEndpoints?: ApiEndpointVariables;
}

/** The API endpoint variables of the database functions, when the stack creates interface endpoints. */
export type ApiEndpointVariables = Pick<
  HandlerEnvironment<'database-url-rotation'>,
  typeof ENV_AWS_ENDPOINT_URL_SECRETS_MANAGER | typeof ENV_AWS_ENDPOINT_URL_ECS
>;

/**
 * The handler environment both database functions share (lambda/config/env.ts), besides the ECS target and the
 * environment's name that every `SecretFunction` is given.
 */
export function databaseFunctionEnvironment(props: DatabaseFunctionsProps): HandlerEnvironment<'database-url-rotation'> {
  const db = props.database;
  return {
    [ENV_MASTER_SECRET_ARN]: db.masterSecretArn,
    [ENV_DB_SSL]: db.ssl,
    // The functions trust these, never the secret's host, port, database or role.
    [ENV_DB_HOST]: db.host,
    [ENV_DB_PORT]: String(db.port),
    [ENV_DB_NAME]: db.databaseName,
    [ENV_DB_APP_USER]: db.appUser,
    ...props.apiEndpoints,
    // Node.js 20+ Lambda runtimes load the RDS certificate authorities only when asked to.
    [ENV_NODE_EXTRA_CA_CERTS]: '/var/runtime/ca-cert.pem',
  };
}

/**
 * Allows `grantee` to read the RDS master secret, and to decrypt it (through Secrets Manager, for it only) when a
 * customer-managed key encrypts it.
 */
export function grantMasterSecretRead(
  database: Pick<DatabaseConfig, 'masterSecretArn' | 'masterSecretKmsKeyArn'>,
  grantee: iam.IGrantable,
  scope: Construct,
): iam.Grant {
  const grant = iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [database.masterSecretArn] });
  if (!database.masterSecretKmsKeyArn) return grant;
  return grant.combine(
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [database.masterSecretKmsKeyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': `secretsmanager.${Stack.of(scope).region}.amazonaws.com`,
          'kms:EncryptionContext:SecretARN': database.masterSecretArn,
        },
      },
    }),
  );
}

/** Props of {@link allowApiAccess}. */
export interface ApiAccessProps {
  /** The environment's name, in descriptions. */
  readonly environmentName: string;
  /** The database's VPC. */
  readonly vpc: ec2.IVpc;
  /** The functions' security group: it gets the egress rule to the APIs. */
  readonly securityGroup: ec2.SecurityGroup;
  /** Create the Secrets Manager and ECS interface endpoints here; else reach the APIs through what the VPC has. */
  readonly createInterfaceEndpoints: boolean;
}

/**
 * The database functions call the Secrets Manager and ECS APIs: through interface endpoints created in `scope` (and
 * nowhere else), or through what the VPC already has (NAT or endpoints), on HTTPS. Returns the `AWS_ENDPOINT_URL_*`
 * variables that point the SDK at the endpoints (none without them).
 *
 * The endpoints created here have **private DNS off**: private DNS would make every workload of the VPC (the
 * app's own tasks, whose ECS agent fetches `secrets` at start, and anything else) resolve these APIs to endpoints
 * whose security group admits only the functions, and cut them off. Only the functions use the endpoints, by
 * their endpoint-specific DNS names.
 *
 * The resources are created in `scope` itself (not a construct of their own) so that their logical ids stay those
 * they had when this was part of DatabaseUrlRotation: a new id would replace the endpoints on deploy.
 */
export function allowApiAccess(scope: Construct, props: ApiAccessProps): ApiEndpointVariables {
  if (!props.createInterfaceEndpoints) {
    props.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'Secrets Manager and ECS APIs (through the VPC NAT or endpoints)',
    );
    return {};
  }
  const vpc = props.vpc;
  const endpointSecurityGroup = new ec2.SecurityGroup(scope, 'EndpointSecurityGroup', {
    vpc,
    description: `fleapo ${props.environmentName} Secrets Manager and ECS interface endpoints (database functions only, no private DNS)`,
    allowAllOutbound: false,
  });
  const variables: { -readonly [K in keyof ApiEndpointVariables]: ApiEndpointVariables[K] } = {};
  for (const [id, service, variable] of [
    ['SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, ENV_AWS_ENDPOINT_URL_SECRETS_MANAGER],
    ['EcsEndpoint', ec2.InterfaceVpcEndpointAwsService.ECS, ENV_AWS_ENDPOINT_URL_ECS],
  ] as const) {
    const endpoint = new ec2.InterfaceVpcEndpoint(scope, id, {
      vpc,
      service,
      subnets: { subnets: vpc.privateSubnets },
      securityGroups: [endpointSecurityGroup],
      privateDnsEnabled: false,
      open: false,
    });
    // DnsEntries: "<hosted zone id>:<DNS name>", the regional (endpoint-specific) name first.
    variables[variable] = `https://${Fn.select(1, Fn.split(':', Fn.select(0, endpoint.vpcEndpointDnsEntries)))}`;
  }
  endpointSecurityGroup.addIngressRule(props.securityGroup, ec2.Port.tcp(443), 'HTTPS from the rotation functions');
  props.securityGroup.addEgressRule(endpointSecurityGroup, ec2.Port.tcp(443), 'Secrets Manager and ECS interface endpoints');
  return variables;
}
