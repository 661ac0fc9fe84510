/**
 * Pure checks over parsed GitHub workflows. Each returns a list of problems (strings naming the
 * workflow, job and step); the tests assert the lists are empty for this repository's
 * workflows and non-empty for small bad workflows.
 */
export type Workflow = {
  on?: unknown;
  permissions?: unknown;
  jobs?: Record<string, Job>;
  [k: string]: unknown;
};
export type Job = {
  permissions?: unknown;
  environment?: unknown;
  needs?: string | string[];
  steps?: Step[];
  [k: string]: unknown;
};
export type Step = {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  [k: string]: unknown;
};

export interface NamedWorkflow {
  readonly file: string;
  readonly workflow: Workflow;
}

const stepLabel = (w: NamedWorkflow, jobId: string, i: number, s: Step) =>
  `${w.file} job ${jobId} step ${i + 1}${s.name ? ` (${s.name})` : ''}`;

function* steps(w: NamedWorkflow): Generator<{ jobId: string; job: Job; i: number; step: Step }> {
  for (const [jobId, job] of Object.entries(w.workflow.jobs ?? {})) {
    for (let i = 0; i < (job.steps ?? []).length; i++) yield { jobId, job, i, step: job.steps![i] };
  }
}

/** `npm run X` / `npm run-script X` / `npm test` scripts that package.json lacks. */
export function missingNpmScripts(w: NamedWorkflow, scripts: Record<string, string>): string[] {
  const out: string[] = [];
  for (const { jobId, i, step } of steps(w)) {
    if (typeof step.run !== 'string') continue;
    for (const m of step.run.matchAll(/\bnpm\s+(?:run(?:-script)?\s+(?:-s\s+|--silent\s+)?([A-Za-z0-9:_.-]+)|(test|start)\b)/g)) {
      const name = m[1] ?? m[2];
      if (!(name in scripts)) out.push(`${stepLabel(w, jobId, i, step)}: npm script "${name}" is not in package.json`);
    }
  }
  return out;
}

/** Role names in `role-to-assume` inputs (the part after `:role/`). */
export function assumedRoles(w: NamedWorkflow): Array<{ where: string; role: string }> {
  const out: Array<{ where: string; role: string }> = [];
  for (const { jobId, i, step } of steps(w)) {
    const arn = step.with?.['role-to-assume'];
    if (typeof arn !== 'string') continue;
    const m = /:role\/(.+)$/.exec(arn);
    out.push({ where: stepLabel(w, jobId, i, step), role: m ? m[1] : arn });
  }
  return out;
}

function permissionsMap(p: unknown): Record<string, string> | 'write-all' | 'read-all' | undefined {
  if (p === 'write-all' || p === 'read-all') return p;
  if (p && typeof p === 'object') return p as Record<string, string>;
  return undefined;
}

/**
 * Jobs that can get an OIDC token must declare exactly-scoped permissions: `id-token: write`,
 * `contents: read`, nothing else written. The workflow level must not grant id-token or writes.
 */
export function oidcPermissionProblems(w: NamedWorkflow): string[] {
  const out: string[] = [];
  const top = permissionsMap(w.workflow.permissions);
  if (top === undefined) out.push(`${w.file}: no workflow-level permissions (the default token may be read-write)`);
  else if (top === 'write-all') out.push(`${w.file}: workflow-level permissions write-all`);
  else if (top !== 'read-all') {
    for (const [scope, level] of Object.entries(top)) {
      if (level === 'write') out.push(`${w.file}: workflow-level permission ${scope}: write (grant it on the job that needs it)`);
    }
  }
  for (const [jobId, job] of Object.entries(w.workflow.jobs ?? {})) {
    const p = permissionsMap(job.permissions);
    const usesOidc =
      (p && typeof p === 'object' && p['id-token'] === 'write') ||
      (job.steps ?? []).some((s) => typeof s.with?.['role-to-assume'] === 'string');
    if (!usesOidc) continue;
    if (!p || typeof p !== 'object') {
      out.push(`${w.file} job ${jobId}: assumes an AWS role but has no job-level permissions block`);
      continue;
    }
    if (p['id-token'] !== 'write') out.push(`${w.file} job ${jobId}: assumes an AWS role without id-token: write`);
    if (p.contents !== 'read') out.push(`${w.file} job ${jobId}: needs contents: read (has ${p.contents ?? 'none'})`);
    for (const [scope, level] of Object.entries(p)) {
      if (scope !== 'id-token' && level === 'write') out.push(`${w.file} job ${jobId}: OIDC job also has ${scope}: write`);
    }
  }
  return out;
}

const STATIC_KEY_INPUT =
  /\b(?:aws-access-key-id|aws-secret-access-key|aws-session-token|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN)\b/;

/** Long-lived AWS keys: as action inputs or env anywhere in the file. */
export function staticKeyProblems(file: string, text: string): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => STATIC_KEY_INPUT.test(line.replace(/#.*$/, '')))
    .map(({ n }) => `${file}:${n}: long-lived AWS key input or variable`);
}

/** `run:` steps that touch `secrets.` (in run or env) must start with `set +x`. */
export function secretStepProblems(w: NamedWorkflow): string[] {
  const out: string[] = [];
  for (const { jobId, i, step } of steps(w)) {
    if (typeof step.run !== 'string') continue;
    const touches = /\bsecrets\./.test(step.run) || /\bsecrets\./.test(JSON.stringify(step.env ?? {}));
    if (touches && !/^\s*set \+x\b/.test(step.run))
      out.push(`${stepLabel(w, jobId, i, step)}: references secrets but does not start with set +x`);
  }
  return out;
}

/** Actions not pinned by a full commit SHA. */
export function unpinnedActions(w: NamedWorkflow): string[] {
  const out: string[] = [];
  for (const { jobId, i, step } of steps(w)) {
    if (typeof step.uses !== 'string' || step.uses.startsWith('./') || step.uses.startsWith('docker://')) continue;
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(step.uses))
      out.push(`${stepLabel(w, jobId, i, step)}: ${step.uses} is not pinned by commit SHA`);
  }
  return out;
}

/** The variable that holds an environment's region: `STAGING_AWS_REGION` for `staging`, `PROD_EU_AWS_REGION` for `prod-eu`. */
export const regionVariable = (environment: string): string => `${environment.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_AWS_REGION`;

/**
 * Each environment has its own region: a job bound to a GitHub environment takes the region of its credentials from
 * that environment's variable (`vars.STAGING_AWS_REGION`), and no job reads one region shared by all (`vars.AWS_REGION`).
 */
export function regionProblems(w: NamedWorkflow): string[] {
  const out: string[] = [];
  for (const { jobId, job, i, step } of steps(w)) {
    const region = step.with?.['aws-region'];
    if (region === undefined) continue;
    const label = stepLabel(w, jobId, i, step);
    if (/\bvars\.AWS_REGION\b/.test(String(region))) out.push(`${label}: one region for every environment (vars.AWS_REGION)`);
    if (typeof job.environment === 'string' && region !== `\${{ vars.${regionVariable(job.environment)} }}`) {
      out.push(`${label}: environment ${job.environment} must take its region from vars.${regionVariable(job.environment)}`);
    }
  }
  return out;
}

/** The commands of a shell script, one a line, without comments, blank lines and shell settings. */
export function scriptCommands(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '');
}
