import type { Context } from 'aws-lambda';
import { withLambdaContext } from '../../lambda/observability/lambda-context';
import { logger } from '../../lambda/observability/logger';
import { OutputCapture } from '../support/output-capture';

const context = (requestId: string): Context =>
  ({
    functionName: 'fleapo-staging-auth-secret-rotation',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:fleapo-staging-auth-secret-rotation',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => 10_000,
  }) as unknown as Context;

/** The JSON log lines written while `run` ran. */
async function linesOf(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const capture = new OutputCapture();
  capture.start();
  try {
    await run().catch(() => undefined);
  } finally {
    capture.stop();
  }
  return capture.text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test("every log line of an invocation carries Powertools' Lambda context; a step's keys do not outlive it, even when it fails", async () => {
  const handler = withLambdaContext(async (fail: boolean) => {
    logger.appendKeys({ secretId: 'fleapo/staging/auth-secret', step: 'createSecret' });
    logger.info('inside');
    if (fail) throw new Error('refused');
    return 'ok';
  });
  const first = await linesOf(() => handler(false, context('req-1')));
  const second = await linesOf(() => handler(true, context('req-2')));
  const after = await linesOf(async () => logger.info('between invocations'));
  expect(first).toEqual([
    expect.objectContaining({
      message: 'inside',
      cold_start: expect.any(Boolean),
      function_request_id: 'req-1',
      secretId: 'fleapo/staging/auth-secret',
    }),
  ]);
  expect(second).toEqual([
    expect.objectContaining({ message: 'inside', cold_start: false, function_request_id: 'req-2', step: 'createSecret' }),
  ]);
  expect(first[0].function_name).toBe('fleapo-staging-auth-secret-rotation');
  expect(after).toHaveLength(1);
  expect(after[0]).not.toHaveProperty('secretId');
  expect(after[0]).not.toHaveProperty('step');
});
