import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** How to reach AWS: the environment's region (from the configuration) and an optional named profile. */
export interface AwsAccess {
  readonly region: string;
  /** A profile of the shared config/credentials files; without it, the SDK's default credential chain. */
  readonly profile?: string;
  /** Aborts every call in flight and refuses new ones: the command's `--timeout` (see command-context.ts). */
  readonly signal?: AbortSignal;
}

/**
 * The bounds of one AWS call, whatever the command: a TCP/TLS connection within `connectionTimeoutMs`, an answer
 * within `requestTimeoutMs`, and the SDK's standard retry mode (3 attempts; AWS_MAX_ATTEMPTS overrides it). The
 * command's `--timeout` bounds the sum (an AbortSignal on every call).
 */
export const AWS_CALL_LIMITS = {
  connectionTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  /**
   * Lambda `Invoke` (RequestResponse) answers when the function returns: `contain`'s retirement call may take up to
   * the function's own timeout (2 minutes, lib/constructs/rotation-function.ts) plus a cold start in the VPC.
   */
  invokeRequestTimeoutMs: 150_000,
} as const;

export interface CliClients {
  readonly sm: SecretsManagerClient;
  readonly ecs: ECSClient;
  /** Who the credentials are (GetCallerIdentity, for `doctor`). */
  readonly sts: STSClient;
  /** The caller's permissions (GetRole, SimulatePrincipalPolicy, for `doctor`). */
  readonly iam: IAMClient;
  /** The retirement function's contain input (Invoke, for `contain`). */
  readonly lambda: LambdaClient;
  /** The event history (LookupEvents, for `audit`); adaptive retries: LookupEvents allows 2 requests a second. */
  readonly cloudtrail: CloudTrailClient;
  destroy(): void;
}

/** Anything with the SDK v3 `send(command, options)`. */
interface Sender {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** Makes every `send` of `client` carry `signal` (unless the caller gives its own): no call outlives the command. */
export function boundToSignal<T>(client: T, signal: AbortSignal | undefined): T {
  if (signal === undefined) return client;
  const sender = client as unknown as Sender;
  const send = sender.send.bind(sender);
  sender.send = (command, options) => send(command, { abortSignal: signal, ...options });
  return client;
}

/**
 * The configuration of every SDK client the CLI creates (one place: a new command's clients get the same bounds):
 * region, profile, and an HTTP handler with connection and request timeouts.
 */
export function clientConfig(access: AwsAccess, requestTimeoutMs: number = AWS_CALL_LIMITS.requestTimeoutMs) {
  return {
    region: access.region,
    ...(access.profile ? { profile: access.profile } : {}),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: AWS_CALL_LIMITS.connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
    }),
  };
}

/**
 * SDK v3 clients for one environment. Endpoints are the SDK's own business: `AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL_ECS`, `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_IAM`,
 * `AWS_ENDPOINT_URL_LAMBDA`, `AWS_ENDPOINT_URL_CLOUDTRAIL` override them (that is how the tests run). Creating a client
 * sends nothing: a command pays only for the clients it uses.
 */
export function cliClients(access: AwsAccess): CliClients {
  const sm = boundToSignal(new SecretsManagerClient(clientConfig(access)), access.signal);
  const ecs = boundToSignal(new ECSClient(clientConfig(access)), access.signal);
  const sts = boundToSignal(new STSClient(clientConfig(access)), access.signal);
  const iam = boundToSignal(new IAMClient(clientConfig(access)), access.signal);
  const lambda = boundToSignal(new LambdaClient(clientConfig(access, AWS_CALL_LIMITS.invokeRequestTimeoutMs)), access.signal);
  // LookupEvents allows 2 requests a second per account and region: adaptive retries slow down when throttled.
  const cloudtrail = boundToSignal(new CloudTrailClient({ ...clientConfig(access), retryMode: 'adaptive' }), access.signal);
  return {
    sm,
    ecs,
    sts,
    iam,
    lambda,
    cloudtrail,
    destroy: () => {
      for (const client of [sm, ecs, sts, iam, lambda, cloudtrail]) client.destroy();
    },
  };
}

/** An AWS error as a line: its name and message (AWS messages name resources and parameters, never a SecretString). */
export function awsProblem(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
}
