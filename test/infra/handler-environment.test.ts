import { HANDLERS, type HandlerName } from '../../catalog/handlers';
import { declaredVariables, readHandlerEnvironment } from '../../runtime/handler-environment';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';

/**
 * Each handler's environment is defined once (runtime/handler-environment.ts): the construct writes it (type-checked)
 * and the handler reads it. Here every synthesized function is held against that definition, both ways.
 */
let templates: Record<string, Template>;
beforeAll(() => {
  templates = synthesizeApp();
});

/** The handler a function runs, from its name (`fleapo-<env>-<handler>`, or `fleapo-<env>-<secret>-rotation`). */
function handlerOf(functionName: string, env: string): HandlerName {
  const rest = functionName.replace(`fleapo-${env}-`, '');
  if (rest in HANDLERS) return rest as HandlerName;
  if (rest.endsWith('-rotation')) return 'external-secret-rotation';
  throw new Error(`${functionName}: no handler known`);
}

describe.each(['prod', 'staging'])('%s', (env) => {
  test('every function sets every variable its handler requires, and none it does not declare', () => {
    const functions = Object.values(resourcesOfType(templates[`Fleapo-${env}`], 'AWS::Lambda::Function'));
    const seen = new Set<HandlerName>();
    const problems: string[] = [];
    for (const fn of functions) {
      const name = String(fn.Properties.FunctionName);
      const handler = handlerOf(name, env);
      seen.add(handler);
      const variables = Object.keys(fn.Properties.Environment?.Variables ?? {});
      const { required, allowed } = declaredVariables(handler);
      for (const v of required.filter((r) => !variables.includes(r))) problems.push(`${name}: ${v} not set`);
      for (const v of variables.filter((x) => !allowed.includes(x))) problems.push(`${name}: ${v} not declared for ${handler}`);
    }
    expect(problems).toEqual([]);
    expect([...seen].sort()).toEqual(Object.keys(HANDLERS).sort());
  });
});

test('a handler whose function lacks a required variable is refused, naming it', () => {
  expect(() => readHandlerEnvironment('stripe-revoke-notice', { ECS_CLUSTER: 'c', ECS_SERVICE: 's', ALERT_TOPIC_ARN: 't' })).toThrow(
    'Missing required environment variable NOTICE_SECRET_ARNS (the stripe-revoke-notice function',
  );
  const env = readHandlerEnvironment('stripe-revoke-notice', {
    ECS_CLUSTER: 'c',
    ECS_SERVICE: 's',
    ALERT_TOPIC_ARN: 't',
    NOTICE_SECRET_ARNS: 'n',
  });
  expect(env.NOTICE_SECRET_ARNS).toBe('n');
});
