import * as fs from 'fs';
import * as path from 'path';
import Ajv2020 from 'ajv/dist/2020';
import { EXAMPLE_CONFIG } from '../../lib/config/example-config';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../../lib/config/json-schema';
import { configSchemaText } from '../../scripts/config-schema';

const committed = path.join(__dirname, '..', '..', CONFIG_SCHEMA_FILE);

/** The team's file of docs/configuration.md. */
const TEAM_FILE = {
  $schema: './fleapo-config.schema.json',
  environments: {
    prod: {
      account: '222222222222',
      database: { masterSecretArn: 'arn:aws:secretsmanager:us-east-1:222222222222:secret:rds!cluster-prod-AbCdEf' },
    },
  },
  accounts: { '222222222222': { importExistingOidcProvider: true, cdkBootstrapQualifier: 'hnb659fds' } },
};

describe("the configuration's JSON Schema (fleapo-config.schema.json, for editors)", () => {
  test('is committed as `npm run config:schema` writes it (regenerate after changing lib/config/schema.ts)', () => {
    expect(fs.readFileSync(committed, 'utf8')).toBe(configSchemaText());
  });

  test('documents every field', () => {
    const undocumented: string[] = [];
    const visit = (schema: Record<string, unknown>, where: string) => {
      for (const [key, value] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (typeof value.description !== 'string' || value.description.length < 10) undocumented.push(`${where}.${key}`);
        for (const branch of (value.anyOf ?? []) as Record<string, unknown>[]) visit(branch, `${where}.${key}`);
      }
      const values = schema.additionalProperties as Record<string, unknown> | undefined;
      if (typeof values === 'object') for (const branch of (values.anyOf ?? []) as Record<string, unknown>[]) visit(branch, `${where}.*`);
    };
    visit(configJsonSchema(), '');
    expect(undocumented).toEqual([]);
  });

  describe('checked by a JSON Schema validator as an editor does', () => {
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(configJsonSchema());
    const errors = (file: unknown) =>
      validate(file) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

    test("accepts the example defaults, the README's team file and a null that removes an environment", () => {
      expect(errors(EXAMPLE_CONFIG)).toEqual([]);
      expect(errors(TEAM_FILE)).toEqual([]);
      expect(errors({ environments: { staging: null }, accounts: { '111111111111': { cdkBootstrapQualifier: null } } })).toEqual([]);
    });

    test.each([
      ['an unknown field', { environments: { prod: { acount: '222222222222' } } }, /additionalProperty":"acount"/],
      ['an unknown field of a section', { environments: { prod: { alerts: { email: [] } } } }, /additionalProperty":"email"/],
      ['a malformed account id', { environments: { prod: { account: '1234' } } }, /\/environments\/prod\/account must match pattern/],
      [
        'a Fargate CPU size that does not exist',
        { environments: { prod: { service: { cpu: 300 } } } },
        /\/environments\/prod\/service\/cpu must be equal to one of the allowed values/,
      ],
      ['an environment name that is not one', { environments: { Prod_EU: {} } }, /property name must be valid/],
      [
        'a list where a flag belongs',
        { environments: { prod: { terminationProtection: ['yes'] } } },
        /\/environments\/prod\/terminationProtection must be boolean/,
      ],
    ])('refuses %s', (_what, file, message) => {
      expect(errors(file).join('\n')).toMatch(message);
    });
  });
});
