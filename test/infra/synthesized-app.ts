import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FleapoConfig } from '../../lib/config/environment-config';
import { createFleapoApp } from '../../lib/fleapo-app';
import { ASSEMBLY_DIR_ENV } from '../support/test-run';

/** A CloudFormation template as synthesized. */
export interface Template {
  Resources: Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string; Metadata?: any }>;
  [key: string]: any;
}

/**
 * Synthesizes the real app (both environments, all checks on) into a temporary directory and returns every
 * stack's template by stack name. Lambda bundling is skipped unless `bundle` is set. With no options, the
 * templates are those jest's globalSetup synthesized once for the run with the same app and settings.
 */
export function synthesizeApp(
  options: { config?: FleapoConfig; context?: Record<string, unknown>; bundle?: boolean } = {},
): Record<string, Template> {
  const shared = process.env[ASSEMBLY_DIR_ENV];
  if (shared && !options.config && !options.context && !options.bundle) return readAssembly(shared);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-synth-'));
  try {
    const app = createFleapoApp({
      outdir,
      config: options.config,
      context: { ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...options.context },
    });
    const assembly = app.synth();
    const templates: Record<string, Template> = {};
    for (const stack of assembly.stacks) templates[stack.stackName] = stack.template;
    return templates;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every stack's template of a synthesized cloud assembly, by stack name (a fresh copy on each call). */
function readAssembly(dir: string): Record<string, Template> {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile: string; stackName?: string } }>;
  };
  const templates: Record<string, Template> = {};
  for (const [id, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties) continue;
    templates[artifact.properties.stackName ?? id] = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'));
  }
  return templates;
}

/** Resources of one type in a template, by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, Template['Resources'][string]> {
  return Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Type === type));
}
