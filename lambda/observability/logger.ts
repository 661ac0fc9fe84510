import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger per container. Service name and level come from
 * POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL. Never pass secret values to it:
 * log secret ids, version ids, step names, role names and counts only.
 */
export const logger = new Logger();

/** Message of an unknown thrown value, for logs (our errors never carry secret values). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** AWS SDK / pg error name or code, safe to log. */
export function errorName(error: unknown): string | undefined {
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; code?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return undefined;
}
