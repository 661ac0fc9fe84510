/**
 * The rule registry is what runs: the plugin reports exactly its ids, evaluateGuardrails runs exactly its rules, and
 * every registered rule fires on a small literal input of its own (a new rule without one fails here).
 */
import {
  GUARDRAIL_RULES,
  GUARDRAIL_RULE_IDS,
  SecretGuardrails,
  evaluateGuardrails,
  manifestsContext,
  stackContext,
  toViolation,
  type AssetManifestInput,
  type CfnResource,
  type Found,
  type GuardrailRule,
  type StackInput,
} from '../../lib/guardrails';
import { FAKE, FAKE_PASSWORD } from './fakes';

const stackOf = (resources: Record<string, CfnResource>): StackInput => ({
  templatePath: 'Bad.template.json',
  template: { Resources: resources },
});
const lambdaWithEnv = (variables: Record<string, string>): CfnResource => ({
  Type: 'AWS::Lambda::Function',
  Properties: { Environment: { Variables: variables } },
});

/** One bad input per registered rule, by rule id. */
const FIRES_ON: Record<string, { stacks?: StackInput[]; manifests?: AssetManifestInput[] }> = {
  'FLEAPO-PLAIN-ENV-SECRET': { stacks: [stackOf({ Fn: lambdaWithEnv({ AUTH_SECRET: 'x' }) })] },
  'FLEAPO-BROWSER-ENV-SECRET': { stacks: [stackOf({ Fn: lambdaWithEnv({ VITE_STRIPE_SECRET_KEY: 'x' }) })] },
  'FLEAPO-DOCKER-BUILD-SECRET': {
    manifests: [
      { manifestPath: 'Bad.assets.json', manifest: { dockerImages: { abc: { source: { dockerBuildArgs: { NPM_TOKEN: 'x' } } } } } },
    ],
  },
  'FLEAPO-LITERAL-SECRET-STRING': {
    stacks: [stackOf({ S: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: FAKE_PASSWORD } } })],
  },
  'FLEAPO-SECRET-VALUE-IN-TEMPLATE': {
    stacks: [stackOf({ P: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: FAKE.stripeLive } } })],
  },
  'FLEAPO-LITERAL-CREDENTIAL': { stacks: [stackOf({ K: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Value: FAKE_PASSWORD } } })] },
};

describe('guardrail rule registry', () => {
  test('rule ids are unique and FLEAPO-*', () => {
    expect(new Set(GUARDRAIL_RULE_IDS).size).toBe(GUARDRAIL_RULES.length);
    for (const id of GUARDRAIL_RULE_IDS) expect(id).toMatch(/^FLEAPO-[A-Z-]+$/);
  });

  test('every rule checks something', () => {
    for (const rule of GUARDRAIL_RULES) expect(Boolean(rule.checkStack ?? rule.checkManifests)).toBe(true);
  });

  test('the synth plugin reports exactly the registered rule ids', () => {
    expect(new SecretGuardrails().ruleIds).toEqual([...GUARDRAIL_RULE_IDS]);
  });

  test('every registered rule has a bad input here, and nothing else does', () => {
    expect(Object.keys(FIRES_ON).sort()).toEqual([...GUARDRAIL_RULE_IDS].sort());
  });

  test.each([...GUARDRAIL_RULE_IDS])('%s fires through evaluateGuardrails on its bad input', (id) => {
    const { stacks = [], manifests = [] } = FIRES_ON[id];
    expect(evaluateGuardrails(stacks, manifests).map((f) => f.ruleName)).toContain(id);
  });

  test.each([...GUARDRAIL_RULE_IDS])('%s alone is what runs when it is the only rule', (id) => {
    const rule = GUARDRAIL_RULES.find((r) => r.id === id) as GuardrailRule;
    const all = Object.values(FIRES_ON);
    const findings = evaluateGuardrails(
      all.flatMap((i) => i.stacks ?? []),
      all.flatMap((i) => i.manifests ?? []),
      [rule],
    );
    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((f) => f.ruleName))).toEqual(new Set([id]));
  });

  test('a rule added to the list runs, on stacks and on manifests', () => {
    const seen: string[] = [];
    const probe: GuardrailRule = {
      id: 'FLEAPO-PROBE',
      fix: 'Probe fix.',
      checkStack: ({ stack, bindings }) => (seen.push(`stack ${stack.templatePath} ${bindings.map((b) => b.name).join(',')}`), []),
      checkManifests: ({ buildArgBindings }) => (seen.push(`manifests ${buildArgBindings.map((b) => b.name).join(',')}`), []),
    };
    evaluateGuardrails(FIRES_ON['FLEAPO-PLAIN-ENV-SECRET'].stacks ?? [], FIRES_ON['FLEAPO-DOCKER-BUILD-SECRET'].manifests ?? [], [probe]);
    expect(seen).toEqual(['stack Bad.template.json AUTH_SECRET', 'manifests NPM_TOKEN']);
  });

  test('what a rule finds is reported with the metadata it declares, through the one report builder; no finding, no report', () => {
    const at = { constructPath: 'Bad/Thing/Resource', logicalId: 'Thing', filePath: 'Bad.template.json', location: 'Properties/X' };
    const probe: GuardrailRule = {
      id: 'FLEAPO-PROBE',
      fix: 'Declared probe fix.',
      checkStack: () => [{ ...at, problem: 'variable X is wrong.' }],
      checkManifests: () => [{ ...at, filePath: 'Bad.assets.json', problem: 'build argument Y is wrong.', fix: 'This case fix.' }],
    };
    const findings = evaluateGuardrails([stackOf({})], [{ manifestPath: 'Bad.assets.json', manifest: {} }], [probe]);
    expect(findings).toEqual([
      { ruleName: 'FLEAPO-PROBE', description: 'Bad/Thing/Resource: variable X is wrong.', fix: 'Declared probe fix.', ...at },
      {
        ruleName: 'FLEAPO-PROBE',
        description: 'Bad/Thing/Resource: build argument Y is wrong.',
        fix: 'This case fix.',
        ...at,
        filePath: 'Bad.assets.json',
      },
    ]);
    // ... and that is what the synth plugin reports.
    expect(toViolation(findings[0])).toMatchObject({
      ruleName: 'FLEAPO-PROBE',
      description: 'Bad/Thing/Resource: variable X is wrong.',
      fix: 'Declared probe fix.',
      violatingResources: [{ constructPath: 'Bad/Thing/Resource', resourceLogicalId: 'Thing', locations: ['Properties/X'] }],
    });

    const silent: GuardrailRule = { id: 'FLEAPO-SILENT', fix: 'Never reported.', checkStack: () => [], checkManifests: () => [] };
    const all = Object.values(FIRES_ON);
    expect(
      evaluateGuardrails(
        all.flatMap((i) => i.stacks ?? []),
        all.flatMap((i) => i.manifests ?? []),
        [silent],
      ),
    ).toEqual([]);
  });

  test.each([...GUARDRAIL_RULE_IDS])('%s: each report line is its declared id and fix with what its check found', (id) => {
    const rule = GUARDRAIL_RULES.find((r) => r.id === id) as GuardrailRule;
    const { stacks = [], manifests = [] } = FIRES_ON[id];
    const found: Found[] = [
      ...stacks.flatMap((s) => rule.checkStack?.(stackContext(s)) ?? []),
      ...(rule.checkManifests?.(manifestsContext(manifests)) ?? []),
    ];
    expect(found.length).toBeGreaterThan(0);
    const findings = evaluateGuardrails(stacks, manifests, [rule]);
    expect(findings).toHaveLength(found.length);
    findings.forEach((f, i) => {
      expect(f.ruleName).toBe(rule.id);
      expect(f.fix).toBe(found[i].fix ?? rule.fix);
      expect(f.description).toBe(`${found[i].constructPath}: ${found[i].problem}`);
      expect(f).toMatchObject({ constructPath: found[i].constructPath, filePath: found[i].filePath, location: found[i].location });
      expect(Object.keys(found[i])).not.toContain('ruleName'); // a check reports no id of its own
    });
  });
});
