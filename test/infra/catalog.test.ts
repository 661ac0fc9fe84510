import * as fs from 'fs';
import * as path from 'path';
import { ENV_EXTERNAL_SECRET_NAME } from '../../catalog/env-vars';
import { handlerEntry, HANDLERS, type HandlerName } from '../../catalog/handlers';
import { EXTERNAL_SECRET_KINDS, EXTERNAL_SECRET_NAMES, SECRET_NAMES, SECRETS } from '../../catalog/secrets';
import { resourcesOfType, synthesizeApp, type Template } from './synthesized-app';

/** The catalog drives the infrastructure: every secret it lists is deployed, injected and rotated as its entry says. */
let templates: Record<string, Template>;
beforeAll(() => {
  templates = synthesizeApp();
});

const ROOT = path.join(__dirname, '..', '..');

test("the issuer-created kinds are the issuer-created secrets' suffixes, one list", () => {
  expect(EXTERNAL_SECRET_KINDS).toEqual(EXTERNAL_SECRET_NAMES.map((name) => SECRETS[name].suffix));
  expect(EXTERNAL_SECRET_NAMES).toEqual(SECRET_NAMES.filter((name) => SECRETS[name].origin === 'issuer-created'));
  expect(new Set(SECRET_NAMES.map((name) => SECRETS[name].suffix)).size).toBe(SECRET_NAMES.length);
});

test('every catalog handler entry is a file under lambda/ that exports handler', () => {
  for (const name of Object.keys(HANDLERS) as HandlerName[]) {
    const source = fs.readFileSync(path.join(ROOT, handlerEntry(name)), 'utf8');
    expect(source).toMatch(/export (const|async function|function) handler\b/);
  }
});

describe.each(['staging', 'prod'])('the %s template', (env) => {
  const template = () => templates[`Fleapo-${env}`];
  const secretIdByPath = () =>
    Object.fromEntries(
      Object.entries(resourcesOfType(template(), 'AWS::SecretsManager::Secret')).map(([id, r]) => [r.Properties.Name, id]),
    ) as Record<string, string>;

  test.each(SECRET_NAMES)('%s: its secret under its path, injected under its app variable', (name) => {
    const id = secretIdByPath()[`fleapo/${env}/${SECRETS[name].suffix}`];
    expect(id).toBeDefined();
    const [taskDefinition] = Object.values(resourcesOfType(template(), 'AWS::ECS::TaskDefinition'));
    const container = taskDefinition.Properties.ContainerDefinitions[0];
    expect(container.Secrets).toContainEqual({ Name: name, ValueFrom: { Ref: id } });
  });

  test.each(SECRET_NAMES)('%s: rotated by its origin (schedule if generated, on demand if issuer-created)', (name) => {
    const id = secretIdByPath()[`fleapo/${env}/${SECRETS[name].suffix}`];
    const schedules = Object.values(resourcesOfType(template(), 'AWS::SecretsManager::RotationSchedule')).filter(
      (r) => r.Properties.SecretId.Ref === id,
    );
    expect(schedules).toHaveLength(1);
    const [schedule] = schedules;
    if (SECRETS[name].origin === 'generated') expect(schedule.Properties.RotationRules).toBeDefined();
    else expect(schedule.Properties.RotationRules).toBeUndefined();
  });

  test('each issuer-created secret has its own rotation function checking it', () => {
    const names = Object.values(resourcesOfType(template(), 'AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables?.[ENV_EXTERNAL_SECRET_NAME])
      .filter((name) => name !== undefined);
    expect(names.sort()).toEqual([...EXTERNAL_SECRET_NAMES].sort());
  });
});
