/**
 * A configuration cannot half-apply: a team's overrides must give every placeholder of the example in the
 * environments they keep, a mistyped source name is refused instead of silently loading the example, and one line
 * says what was loaded.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { CONFIG_CONTEXT, CONFIG_FILE_CONTEXT, KNOWN_VARIABLES, unknownSourceNames } from '../../lib/config/config-sources';
import { EXAMPLE_CONFIG, PLACEHOLDER_FIELDS } from '../../lib/config/example-config';
import { describeLoadedConfig, loadConfigWithSource, mergeConfig, type LoadedConfig } from '../../lib/config/load-config';
import { ConfigError } from '../../lib/config/validate-config';
import { createFleapoApp } from '../../lib/fleapo-app';
import { teamEnvironment } from '../support/team-config';

const ROOT = path.join(__dirname, '../..');
/** The environment of a shell with no fleapo variable set. */
const NO_VARIABLES: NodeJS.ProcessEnv = {};
const ALL_PLACEHOLDERS = PLACEHOLDER_FIELDS.join(', ');

function writeFile(json: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-team-'));
  const file = path.join(dir, 'fleapo.json');
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

/** Loads with this cdk context (as `-c` gives it) and these variables. */
function load(context: Record<string, unknown>, env: NodeJS.ProcessEnv = NO_VARIABLES): LoadedConfig {
  return loadConfigWithSource(new App({ context }).node, { env });
}

function problemsOf(run: () => unknown): { header: string; problems: string[] } {
  try {
    run();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { header: e.message.split('\n')[0], problems: e.problems };
  }
  throw new Error('expected a ConfigError');
}

describe('placeholders', () => {
  test('each placeholder field is a field of every example environment', () => {
    for (const env of Object.values(EXAMPLE_CONFIG.environments)) {
      for (const field of PLACEHOLDER_FIELDS) {
        const value = field.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], env);
        expect([field, value]).toEqual([field, expect.anything()]);
      }
    }
  });

  test('the example alone loads, and its one line says it is the example, with its accounts and regions', () => {
    const loaded = load({});
    expect(loaded.sources).toEqual([]);
    const line = describeLoadedConfig(loaded);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^fleapo configuration: the EXAMPLE \(lib\/config\/example-config\.ts/);
    expect(line).toContain('staging 111111111111/us-east-1, prod 111111111111/us-east-1');
    expect(line).toContain('-c fleapo:configFile=FILE or FLEAPO_CONFIG_FILE=FILE');
  });

  test("the README's old example file (only prod's account and master secret) is refused with every field it leaves", () => {
    const file = writeFile({
      environments: {
        prod: {
          account: '222222222222',
          database: { masterSecretArn: 'arn:aws:secretsmanager:us-east-1:222222222222:secret:rds!cluster-AbCdEf' },
        },
      },
    });
    const { header, problems } = problemsOf(() => load({}, { FLEAPO_CONFIG_FILE: file }));
    expect(header).toBe(
      `Invalid fleapo configuration: file ${file} (FLEAPO_CONFIG_FILE) leaves the example's placeholder values in these fields of ` +
        'environments it deploys; give each one (or remove an environment with "<name>": null):',
    );
    expect(problems).toEqual([
      `environment "staging": ${ALL_PLACEHOLDERS}`,
      'environment "prod": region, network.vpcId, network.availabilityZones, network.privateSubnetIds, network.serviceSecurityGroupIds, ' +
        'service.clusterName, service.image, database.host, database.securityGroupId, github.owner, github.repository',
    ]);
  });

  test('a complete team file loads, and its one line names the file, how it was given, and each account and region', () => {
    const file = writeFile({
      environments: {
        staging: teamEnvironment('staging', '222222222222', 'eu-west-1'),
        prod: teamEnvironment('prod', '333333333333', 'eu-central-1'),
      },
    });
    const loaded = load({ [CONFIG_FILE_CONTEXT]: file });
    expect(loaded.config.environments.map((e) => `${e.name}@${e.account}/${e.region}`)).toEqual([
      'staging@222222222222/eu-west-1',
      'prod@333333333333/eu-central-1',
    ]);
    expect(describeLoadedConfig(loaded)).toBe(
      `fleapo configuration: file ${file} (context fleapo:configFile): staging 222222222222/eu-west-1, prod 333333333333/eu-central-1`,
    );
  });

  test('fields may come from the file and the inline context together; the example value given explicitly counts as given', () => {
    const prod = teamEnvironment('prod');
    const { region, ...withoutRegion } = prod;
    const file = writeFile({ environments: { staging: null, prod: withoutRegion } });
    expect(region).toBe('eu-west-1');
    const loaded = load({ [CONFIG_FILE_CONTEXT]: file, [CONFIG_CONTEXT]: { environments: { prod: { region: 'eu-west-1' } } } });
    expect(loaded.sources).toEqual([`file ${file} (context fleapo:configFile)`, 'context fleapo:config']);
    expect(describeLoadedConfig(loaded)).toContain(', then context fleapo:config: prod 222222222222/eu-west-1');
    // The example's own value, written by the team, is the team's choice.
    const usEast = { ...teamEnvironment('prod', '222222222222', 'us-east-1'), github: { owner: 'fleapo', repository: 'fleapo-secrets' } };
    expect(load({ [CONFIG_CONTEXT]: { environments: { staging: null, prod: usEast } } }).config.environments[0].github.owner).toBe(
      'fleapo',
    );
  });

  test('an inline context alone is a team configuration too: removing staging leaves prod full of placeholders', () => {
    const { header, problems } = problemsOf(() => load({ [CONFIG_CONTEXT]: JSON.stringify({ environments: { staging: null } }) }));
    expect(header).toContain('Invalid fleapo configuration: context fleapo:config leaves');
    expect(problems).toEqual([`environment "prod": ${ALL_PLACEHOLDERS}`]);
  });

  test("an environment of the team's own (not in the example) is checked by the schema, not for placeholders", () => {
    const qa = mergeConfig(EXAMPLE_CONFIG.environments.staging, teamEnvironment('qa'));
    const file = writeFile({ environments: { staging: null, prod: null, qa } });
    expect(load({}, { FLEAPO_CONFIG_FILE: file }).config.environments.map((e) => e.name)).toEqual(['qa']);
  });

  test('every team file example in the docs (a JSON block with "$schema") is a complete team configuration', () => {
    const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs'), { recursive: true }).map((f) => path.join('docs', String(f)))];
    const examples = docs
      .filter((f) => f.endsWith('.md'))
      .flatMap((f) =>
        [...fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(/```json\n(\{\n\s*"\$schema"[\s\S]*?)```/g)].map((m) => ({
          f,
          json: m[1],
        })),
      );
    expect(examples.length).toBeGreaterThan(0);
    for (const { f, json } of examples) {
      const loaded = load({}, { FLEAPO_CONFIG_FILE: writeFile(JSON.parse(json)) });
      expect([f, loaded.config.environments.length]).toEqual([f, expect.any(Number)]);
    }
  });

  test('an empty FLEAPO_CONFIG_FILE (a workflow variable left unset) is no file: the example', () => {
    expect(load({}, { FLEAPO_CONFIG_FILE: '' }).sources).toEqual([]);
  });

  test('FLEAPO_REQUIRE_TEAM_CONFIG (the deploy workflow) refuses the example, and only the example', () => {
    expect(problemsOf(() => load({}, { FLEAPO_REQUIRE_TEAM_CONFIG: 'true', FLEAPO_CONFIG_FILE: '' })).problems).toEqual([
      'no team configuration (FLEAPO_REQUIRE_TEAM_CONFIG refuses the example, whose accounts and ids are placeholders): ' +
        'give it with -c fleapo:configFile=FILE or FLEAPO_CONFIG_FILE=FILE',
    ]);
    const team = { [CONFIG_CONTEXT]: { environments: { staging: null, prod: teamEnvironment('prod') } } };
    expect(load(team, { FLEAPO_REQUIRE_TEAM_CONFIG: 'true' }).sources).toEqual(['context fleapo:config']);
    expect(load({}, { FLEAPO_REQUIRE_TEAM_CONFIG: '' }).sources).toEqual([]);
  });
});

describe('unknown source names', () => {
  test('a mistyped context key is refused with the key it is likely a typo of, instead of loading the example', () => {
    const { problems } = problemsOf(() => load({ 'fleapo:configfile': 'team.json' }));
    expect(problems).toEqual([
      'unknown cdk context key "fleapo:configfile" (did you mean "fleapo:configFile"?); known: fleapo:configFile, fleapo:config',
    ]);
    expect(problemsOf(() => load({ 'fleapo:cofnig': '{}' })).problems[0]).toContain('(did you mean "fleapo:config"?)');
  });

  test('a mistyped FLEAPO_ variable is refused with the variable it is likely meant to be, never showing its value', () => {
    const { problems } = problemsOf(() => load({}, { FLEAPO_CONFIG: 'value-that-must-not-show.json' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^unknown environment variable FLEAPO_CONFIG \(did you mean "FLEAPO_CONFIG_FILE"\?\); unset it \(known: /);
    expect(problems.join('\n')).not.toContain('value-that-must-not-show');
    expect(unknownSourceNames([], { FLEAPO_CONFIG_FLIE: 'x' })[0]).toContain('(did you mean "FLEAPO_CONFIG_FILE"?)');
  });

  test('the context keys and variables the project uses pass; other context keys and variables are not ours to check', () => {
    expect(
      unknownSourceNames(['fleapo:config', 'fleapo:configFile', '@aws-cdk/core:validateAgainstDefaultRules', 'aws:cdk:bundling-stacks'], {
        ...Object.fromEntries(Object.keys(KNOWN_VARIABLES).map((k) => [k, 'x'])),
        AWS_PROFILE: 'x',
        CDK_OUTDIR: 'x',
      }),
    ).toEqual([]);
  });

  test('every FLEAPO_ name written in the repository is a known variable (or the version label, or a typo on purpose)', () => {
    const NOT_VARIABLES = new Set([
      'FLEAPO_STAGED', // catalog/labels.ts: a Secrets Manager version label
      'FLEAPO_CONFIG', // mistyped on purpose: what this check refuses (its docs and tests)
      'FLEAPO_CONFIG_FLIE',
    ]);
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    const names = new Set<string>();
    for (const file of files) {
      let text: string;
      try {
        text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      } catch {
        continue; // a file deleted in the working tree
      }
      for (const m of text.matchAll(/\bFLEAPO_[A-Z0-9][A-Z0-9_]*/g)) names.add(m[0]);
    }
    const unknown = [...names].filter((n) => !(n in KNOWN_VARIABLES) && !NOT_VARIABLES.has(n));
    expect(unknown).toEqual([]);
    expect(names).toContain('FLEAPO_NODE_CACHE');
  });
});

describe('the synth says what it loaded', () => {
  test('createFleapoApp reports one line naming the sources and each account and region', () => {
    const file = writeFile({ environments: { staging: null, prod: teamEnvironment('prod', '444444444444', 'eu-north-1') } });
    const lines: string[] = [];
    createFleapoApp({ context: { [CONFIG_FILE_CONTEXT]: file, 'aws:cdk:bundling-stacks': [] }, report: (l) => lines.push(l) });
    expect(lines).toEqual([`fleapo configuration: file ${file} (context fleapo:configFile): prod 444444444444/eu-north-1`]);
  });

  test('bin/app.ts refuses FLEAPO_CONFIG (a wrong variable name): exit 1, the suggestion, no stack trace, no template', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-entry-'));
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'bin', 'app.ts')], {
      env: { ...process.env, FLEAPO_CONFIG: path.join(dir, 'x.json'), CDK_OUTDIR: path.join(dir, 'out') },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown environment variable FLEAPO_CONFIG (did you mean "FLEAPO_CONFIG_FILE"?)');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, 'out', 'Fleapo-prod.template.json'))).toBe(false);
  }, 60000);
});
