import type { Context } from 'aws-lambda';
import type { RotationEvent } from './fake-secrets-manager';

/** EventBridge "ECS Deployment State Change" event as AWS delivers it. */
export function deploymentEvent(serviceArn: string, eventName: string, deploymentId: string, reason = '') {
  return {
    version: '0',
    id: 'evt-1',
    'detail-type': 'ECS Deployment State Change',
    source: 'aws.ecs',
    account: '111111111111',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [serviceArn],
    detail: {
      eventType: eventName === 'SERVICE_DEPLOYMENT_FAILED' ? 'ERROR' : 'INFO',
      eventName,
      deploymentId,
      updatedAt: new Date().toISOString(),
      reason,
    },
  };
}

/** EventBridge scheduled tick. */
export function scheduledEvent() {
  return {
    version: '0',
    id: 'evt-2',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '111111111111',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:111111111111:rule/fleapo-retirement-tick'],
    detail: {},
  };
}

type RotationLambda = (event: never, context: Context, callback: () => void) => void | Promise<void>;

/** Calls a rotation handler the way the Lambda runtime would. */
export function invoker(handler: RotationLambda) {
  return async (event: RotationEvent): Promise<void> => {
    await handler(event as never, {} as Context, () => undefined);
  };
}
