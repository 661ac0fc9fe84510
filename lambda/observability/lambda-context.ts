import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger } from './logger';

/**
 * A handler run under Powertools' `injectLambdaContext` middleware (cold start, function name and request id on every
 * log line; the keys a step appends are reset after each invocation, `resetKeys`), driven here by its own
 * before / after / onError hooks, as Middy would, without adding Middy to every bundle.
 */
export function withLambdaContext<E, R>(handler: (event: E, context?: Context) => Promise<R>): (event: E, context?: Context) => Promise<R> {
  const middleware = injectLambdaContext(logger, { resetKeys: true });
  return async (event, context) => {
    const request = { event, context, response: undefined as R | undefined, error: null as Error | null, internal: {} };
    // (Lambda always passes a context; a direct call in a test may not, and then there is none to inject.)
    if (context) middleware.before?.(request as never);
    try {
      request.response = await handler(event, context);
      middleware.after?.(request as never);
      return request.response;
    } catch (error) {
      request.error = error as Error;
      middleware.onError?.(request as never);
      throw error;
    }
  };
}
