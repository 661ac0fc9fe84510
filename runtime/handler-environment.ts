/**
 * Each handler's environment, defined once: the variables its construct writes (lib/constructs) and the handler reads
 * (lambda/). The construct's `environment` is type-checked against {@link HandlerEnvironment}; the handler checks at
 * each invocation that every required variable is there ({@link readHandlerEnvironment}); a test holds every
 * synthesized function's variables against this list.
 */
import {
  ENV_ALERT_TOPIC_ARN,
  ENV_AWS_ENDPOINT_URL_ECS,
  ENV_AWS_ENDPOINT_URL_SECRETS_MANAGER,
  ENV_DB_APP_USER,
  ENV_DB_CONNECT_TIMEOUT_MS,
  ENV_DB_HOST,
  ENV_DB_NAME,
  ENV_DB_PORT,
  ENV_DB_SSL,
  ENV_ECS_CLUSTER,
  ENV_ECS_SERVICE,
  ENV_EXTERNAL_SECRET_NAME,
  ENV_FLEAPO_ENVIRONMENT,
  ENV_MASTER_SECRET_ARN,
  ENV_NODE_EXTRA_CA_CERTS,
  ENV_NOTICE_SECRET_ARNS,
  ENV_POWERTOOLS_LOG_LEVEL,
  ENV_POWERTOOLS_SERVICE_NAME,
  ENV_SECRET_ARN,
} from '../catalog/env-vars';
import type { HandlerName } from '../catalog/handlers';
import { SHIPPED_ISSUERS, type IssuerBook } from './issuers';

/** What every function gets from its construct's base (RotationFunction, SecretFunction): logging, the ECS target, the environment. */
export const COMMON_VARIABLES = [
  ENV_POWERTOOLS_SERVICE_NAME,
  ENV_POWERTOOLS_LOG_LEVEL,
  ENV_ECS_CLUSTER,
  ENV_ECS_SERVICE,
  ENV_FLEAPO_ENVIRONMENT,
] as const;

const DATABASE = [ENV_MASTER_SECRET_ARN, ENV_DB_SSL, ENV_DB_HOST, ENV_DB_PORT, ENV_DB_NAME, ENV_DB_APP_USER] as const;
// (NODE_EXTRA_CA_CERTS is Node's, read at start: the stack sets it; the handler never reads it.)
const DATABASE_OPTIONAL = [
  ENV_DB_CONNECT_TIMEOUT_MS,
  ENV_AWS_ENDPOINT_URL_SECRETS_MANAGER,
  ENV_AWS_ENDPOINT_URL_ECS,
  ENV_NODE_EXTRA_CA_CERTS,
] as const;

/** Each handler's own variables (beyond {@link COMMON_VARIABLES}): those its construct must set, and those it may. */
export const HANDLER_VARIABLES = {
  'auth-secret-rotation': { required: [], optional: [] },
  'database-url-rotation': { required: DATABASE, optional: DATABASE_OPTIONAL },
  'database-role-retirement': { required: [...DATABASE, ENV_SECRET_ARN], optional: DATABASE_OPTIONAL },
  // (and each issuer's settings: issuerSettingVariables)
  'external-secret-rotation': { required: [ENV_EXTERNAL_SECRET_NAME], optional: [] },
  'stripe-revoke-notice': { required: [ENV_NOTICE_SECRET_ARNS, ENV_ALERT_TOPIC_ARN], optional: [] },
} as const satisfies Record<HandlerName, { readonly required: readonly string[]; readonly optional: readonly string[] }>;

type Variables<H extends HandlerName> = (typeof HANDLER_VARIABLES)[H];

/** What a handler's construct writes besides {@link COMMON_VARIABLES}. */
export type HandlerEnvironment<H extends HandlerName> = { readonly [K in Variables<H>['required'][number]]: string } & {
  readonly [K in Variables<H>['optional'][number]]?: string;
} & (H extends 'external-secret-rotation' ? Readonly<Record<string, string>> : unknown);

/** What every handler reads besides its own variables (set by RotationFunction and SecretFunction). */
export type CommonEnvironment = { readonly [ENV_ECS_CLUSTER]: string; readonly [ENV_ECS_SERVICE]: string } & {
  readonly [K in typeof ENV_FLEAPO_ENVIRONMENT | typeof ENV_POWERTOOLS_SERVICE_NAME | typeof ENV_POWERTOOLS_LOG_LEVEL]?: string;
};

/** The issuers' settings the external-secret rotation function may be given (runtime/issuers: mode and origin). */
export function issuerSettingVariables(book: IssuerBook = SHIPPED_ISSUERS): string[] {
  return Object.values(book.issuers).flatMap((issuer) => [issuer.mode?.env, issuer.origin.env].filter((v): v is string => v !== undefined));
}

/** Every variable `handler` may be given: common, required, optional (and for the external-secret rotation, the issuers' settings). */
export function declaredVariables(handler: HandlerName, book: IssuerBook = SHIPPED_ISSUERS): { required: string[]; allowed: string[] } {
  const own = HANDLER_VARIABLES[handler];
  const required = [ENV_ECS_CLUSTER, ENV_ECS_SERVICE, ...own.required];
  const extra = handler === 'external-secret-rotation' ? issuerSettingVariables(book) : [];
  return { required, allowed: [...new Set([...COMMON_VARIABLES, ...own.required, ...own.optional, ...extra])] };
}

/**
 * The handler's environment, once every required variable is there: an error naming the missing ones (a function
 * deployed without its construct's variables; nothing is read or changed then).
 */
export function readHandlerEnvironment<H extends HandlerName>(
  handler: H,
  env: NodeJS.ProcessEnv = process.env,
): HandlerEnvironment<H> & CommonEnvironment {
  const missing = declaredVariables(handler).required.filter((name) => (env[name] ?? '').trim() === '');
  if (missing.length > 0) {
    throw new Error(
      `Missing required environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(the ${handler} function's; the stack sets them: runtime/handler-environment.ts)`,
    );
  }
  return env as unknown as HandlerEnvironment<H> & CommonEnvironment;
}
