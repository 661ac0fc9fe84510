import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CloudFormationValidatePlugin, type CloudFormationValidatePluginProps } from 'aws-cdk-lib';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { VALIDATION_CACHE_DIR_ENV } from '../config/config-sources';
import { ValidationWorker, type PendingValidation } from './validation-worker';

/** Environment variable naming a directory for the cache (tests share one per run); its name is in lib/config/config-sources.ts. */
export { VALIDATION_CACHE_DIR_ENV };
/** The cache's directory inside the cloud assembly, by default. */
export const VALIDATION_CACHE_SUBDIR = '.fleapo-cache/cloudformation-validate';
/** Reports kept in one cache directory (the least recently used are removed beyond that; a report is small). */
const MAX_ENTRIES = 1000;

/** Props of {@link CachedCloudFormationValidatePlugin}. */
export interface CachedCloudFormationValidatePluginProps extends CloudFormationValidatePluginProps {
  /**
   * Where reports are kept, keyed by the hash of everything that determines them.
   * @default `$FLEAPO_VALIDATION_CACHE_DIR`, else `<cloud assembly>/.fleapo-cache/cloudformation-validate`
   */
  readonly cacheDir?: string;
}

/** The parts of aws-cdk-lib's validation that decide its result, other than the templates. */
export interface ValidationEngineIdentity {
  readonly awsCdkLibVersion: string;
  readonly engineVersion: string;
  /** sha256 of aws-cdk-lib's default rule set (its rule index and every rule file). */
  readonly rulesHash: string;
}

let engineIdentity: ValidationEngineIdentity | undefined;

/** aws-cdk-lib's version, the validation engine's version and a hash of the default rules, read from disk. */
export function validationEngineIdentity(): ValidationEngineIdentity {
  if (engineIdentity) return engineIdentity;
  const cdkRoot = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  const engineMain = require.resolve('@aws/cloudformation-validate', { paths: [cdkRoot] });
  const rulesDir = path.join(cdkRoot, 'core', 'lib', 'validation', 'rules');
  const rules = createHash('sha256');
  for (const file of fs.readdirSync(rulesDir).sort()) {
    rules
      .update(file)
      .update('\0')
      .update(fs.readFileSync(path.join(rulesDir, file)))
      .update('\0');
  }
  engineIdentity = {
    awsCdkLibVersion: readVersion(path.join(cdkRoot, 'package.json')),
    engineVersion: readVersion(path.join(path.dirname(engineMain), 'package.json')),
    rulesHash: rules.digest('hex'),
  };
  return engineIdentity;
}

function readVersion(packageJson: string): string {
  return (JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/**
 * The cache key of one validation: the engine identity, the plugin's props, and for each stack (in order) its
 * template's content, file name, construct path, account and region. Any change to any of these is a miss.
 */
export function validationCacheKey(
  identity: ValidationEngineIdentity,
  props: CloudFormationValidatePluginProps,
  stacks: { stackConstructPath: string; templatePath: string; accountId?: string; region?: string; content: string }[],
): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ identity, props, node: process.versions.node.split('.')[0] }));
  for (const s of stacks) {
    hash.update(JSON.stringify([path.basename(s.templatePath), s.stackConstructPath, s.accountId ?? null, s.region ?? null]));
    hash.update(createHash('sha256').update(s.content).digest('hex'));
  }
  return hash.digest('hex');
}

/**
 * aws-cdk-lib's CloudFormation validation (the same engine, the same default rules, findings as errors with
 * `@aws-cdk/core:validateAgainstDefaultRules`), remembering its report by the hash of everything that decides it
 * ({@link validationCacheKey}). A synth of unchanged templates reuses the report instead of starting the engine
 * (about two thirds of this app's synth time); any changed byte of any template is validated again, by aws-cdk-lib's
 * plugin on the {@link ValidationWorker} thread (or, if that cannot, in this thread).
 *
 * Registered on the App, it replaces aws-cdk-lib's automatically added instance (aws-cdk-lib adds its own only
 * when none is registered), so every check still runs exactly once.
 */
export class CachedCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  private readonly pluginProps: CloudFormationValidatePluginProps;
  private readonly cacheDir?: string;

  constructor(props: CachedCloudFormationValidatePluginProps = {}) {
    const { cacheDir, ...pluginProps } = props;
    super(pluginProps);
    this.pluginProps = pluginProps;
    this.cacheDir = cacheDir;
  }

  /** The engine's version (its package's), without loading the engine. */
  get version(): string {
    return validationEngineIdentity().engineVersion;
  }

  /**
   * A plugin to register before all others (`addPlugins(cfn.starter, ..., cfn)`): it starts this plugin's validation
   * of the templates on the worker thread (unless the report is cached) and reports nothing itself, so that the
   * plugins in between (cdk-nag, the guardrails) run on this thread while the engine validates. This plugin's own
   * `validate` then takes that report, if the templates are still the same (the cache key decides), else validates.
   */
  get starter(): IPolicyValidationPlugin {
    return {
      name: `${this.name} (started early)`,
      version: this.version,
      validate: (context: IPolicyValidationContext): PolicyValidationPluginReport => {
        const { key, cached } = this.lookup(context);
        if (!cached && !this.started.has(key)) this.started.set(key, ValidationWorker.start().validate(this.pluginProps, context));
        return { success: true, violations: [] };
      },
    };
  }

  /** Validations started by {@link starter}, by cache key, until this plugin's `validate` takes them. */
  private readonly started = new Map<string, PendingValidation>();

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const { key, file, cached } = this.lookup(context);
    if (cached) return cached;
    // On the worker thread (started early, or now), else here with the same plugin of aws-cdk-lib.
    const pending = this.started.get(key) ?? ValidationWorker.start().validate(this.pluginProps, context);
    this.started.delete(key);
    const report = pending.report() ?? inProcessEngine(this.pluginProps).validate(context);
    if (file) writeCached(file, report, context);
    return report;
  }

  /** The cache key of these templates, the cache file, and the report it holds if any. */
  private lookup(context: IPolicyValidationContext): { key: string; file?: string; cached?: PolicyValidationPluginReport } {
    const stacks = context.stackTemplates.map((s) => ({ ...s, content: fs.readFileSync(s.templatePath, 'utf8') }));
    const key = validationCacheKey(validationEngineIdentity(), this.pluginProps, stacks);
    const dir = this.cacheDir ?? process.env[VALIDATION_CACHE_DIR_ENV] ?? defaultCacheDir(context);
    const file = dir ? path.join(dir, `${key}.json`) : undefined;
    return { key, file, cached: file ? readCached(file, context) : undefined };
  }
}

// One aws-cdk-lib plugin (so one WASM engine, which it keeps and grows by resource type) per set of props, shared by
// every app of the process, as aws-cdk-lib shares its automatic instance: starting an engine takes seconds. Used
// only when the worker thread cannot validate.
const engines = new Map<string, CloudFormationValidatePlugin>();
function inProcessEngine(props: CloudFormationValidatePluginProps): CloudFormationValidatePlugin {
  const key = JSON.stringify(props);
  let engine = engines.get(key);
  if (!engine) engines.set(key, (engine = new CloudFormationValidatePlugin(props)));
  return engine;
}

function defaultCacheDir(context: IPolicyValidationContext): string | undefined {
  const first = context.stackTemplates[0]?.templatePath;
  return first ? path.join(path.dirname(first), VALIDATION_CACHE_SUBDIR) : undefined;
}

// Template paths are stored by their index in the context (the key fixes the stacks and their order).
function readCached(file: string, context: IPolicyValidationContext): PolicyValidationPluginReport | undefined {
  let stored: PolicyValidationPluginReport;
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8')) as PolicyValidationPluginReport;
  } catch {
    return undefined; // no entry, or an unreadable one: validate
  }
  try {
    const now = new Date();
    fs.utimesSync(file, now, now); // most recently used: kept by prune()
  } catch {
    /* read-only: still a valid entry */
  }
  return {
    ...stored,
    violations: stored.violations.map((v) => ({
      ...v,
      violatingResources: v.violatingResources.map((r) => ({
        ...r,
        templatePath: r.templatePath?.startsWith('#')
          ? context.stackTemplates[Number(r.templatePath.slice(1))].templatePath
          : r.templatePath,
      })),
    })),
  };
}

function writeCached(file: string, report: PolicyValidationPluginReport, context: IPolicyValidationContext): void {
  const index = new Map(context.stackTemplates.map((s, i) => [s.templatePath, `#${i}`]));
  const stored: PolicyValidationPluginReport = {
    ...report,
    violations: report.violations.map((v) => ({
      ...v,
      violatingResources: v.violatingResources.map((r) => ({
        ...r,
        templatePath: (r.templatePath && index.get(r.templatePath)) ?? r.templatePath,
      })),
    })),
  };
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(stored));
    fs.renameSync(tmp, file); // atomic: parallel test workers never read half a report
    prune(path.dirname(file));
  } catch {
    // A cache that cannot be written only costs time.
  }
}

function prune(dir: string): void {
  const entries = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of entries.slice(MAX_ENTRIES)) fs.rmSync(path.join(dir, f), { force: true });
}
