import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FleapoConfig } from '../../lib/config/environment-config';
import { createFleapoApp } from '../../lib/fleapo-app';

/** A CloudFormation template as synthesized. */
export interface Template {
  Resources: Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string; Metadata?: any }>;
  [key: string]: any;
}

/**
 * Synthesizes the real app (both environments, all checks on) into a temporary directory and returns every
 * stack's template by stack name. Lambda bundling is skipped unless `bundle` is set.
 */
export function synthesizeApp(options: { config?: FleapoConfig; context?: Record<string, unknown>; bundle?: boolean } = {}): Record<string, Template> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-synth-'));
  const app = createFleapoApp({
    outdir,
    config: options.config,
    context: { ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...options.context },
  });
  const assembly = app.synth();
  const templates: Record<string, Template> = {};
  for (const stack of assembly.stacks) templates[stack.stackName] = stack.template;
  return templates;
}

/** Resources of one type in a template, by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, Template['Resources'][string]> {
  return Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Type === type));
}
