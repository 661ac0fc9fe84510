/**
 * The commands and links of the Markdown docs (README.md, docs/*.md), extracted and checked against what the
 * repository really has: package.json scripts, the built `fleapo-secrets` CLI's own `--help`, the cdk context keys
 * and `FLEAPO_*` variables of lib/config/config-sources.ts, and the files and headings links point at.
 * Pure functions over text, so that doc-commands.test.ts can prove each check fails on made-up input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A command found in a doc: where, and its text (continuations joined, comment and `$ ` prompt removed). */
export interface DocCommand {
  readonly where: string;
  readonly text: string;
}

/** The commands the docs may name, and what the checks compare them with. */
export interface Known {
  readonly scripts: ReadonlySet<string>;
  /** Each `fleapo-secrets` command and its options (long and short), with whether each option takes a value. */
  readonly cli: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
  /** The options every `fleapo-secrets` invocation accepts (`--help`, `--version`). */
  readonly cliGlobal: ReadonlyMap<string, boolean>;
  /** Names a secret argument may take: the catalog's variables and suffixes. */
  readonly secretNames: ReadonlySet<string>;
  readonly contextKeys: ReadonlySet<string>;
  readonly variables: ReadonlySet<string>;
}

/** Which commands are checked: the start of a command (after any `VAR=value` assignments). */
const COMMAND_START = /^(npm run|npm test|npm ci|bin\/fleapo-secrets|fleapo-secrets|npx cdk|cdk)(\s|$)/;
/** The cdk CLI's subcommands the docs may use. */
export const CDK_SUBCOMMANDS = new Set(['synth', 'deploy', 'diff', 'bootstrap', 'list', 'ls', 'destroy', 'doctor']);
/** `fleapo-secrets` commands whose positional arguments are secret names. */
const SECRET_ARGUMENT_COMMANDS = new Set(['stage', 'rotate', 'roll-current', 'contain']);

/** Shell words of a command line: quotes kept together (and removed), no expansion. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]);
  // Adjacent quoted parts (-c 'a'"b") are rare in the docs; a word like fleapo:config={...} stays one word.
  return words;
}

/** Removes a trailing `# comment` that is outside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Splits a command line at `&&`, `||`, `;` and `|` outside quotes. */
function splitPipeline(line: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === ';' || c === '|' || (c === '&' && line[i + 1] === '&')) {
      parts.push(line.slice(start, i));
      if (line[i + 1] === c) i++;
      start = i + 1;
    }
  }
  parts.push(line.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** The segments of one line that are commands to check, `VAR=value` assignments kept in front. */
function commandsOfLine(line: string): string[] {
  return splitPipeline(stripComment(line.replace(/^\s*\$\s+/, '')).trim()).filter((segment) =>
    COMMAND_START.test(segment.replace(/^([A-Za-z_][A-Za-z0-9_]*=\S*\s+)+/, '')),
  );
}

/** Fenced code blocks of a Markdown text: language, first line number, body. */
function fences(markdown: string): { lang: string; line: number; body: string[] }[] {
  const blocks: { lang: string; line: number; body: string[] }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(```+|~~~+)\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].trim().startsWith(open[1])) body.push(lines[j++]);
    blocks.push({ lang: open[2].toLowerCase(), line: i + 2, body });
    i = j;
  }
  return blocks;
}

/** The text outside fenced code blocks (fenced lines blanked, so line numbers stay). */
function prose(markdown: string): string {
  const lines = markdown.split('\n');
  let inFence: string | undefined;
  return lines
    .map((l) => {
      const fence = /^\s*(```+|~~~+)/.exec(l);
      if (inFence) {
        if (fence && l.trim().startsWith(inFence)) inFence = undefined;
        return '';
      }
      if (fence) {
        inFence = fence[1];
        return '';
      }
      return l;
    })
    .join('\n');
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/**
 * Every command of a Markdown text that the checks cover: each line of a fenced `sh`/`bash`/`shell` block
 * (backslash continuations joined, comments and prompts removed, pipelines split), and each inline code span that
 * starts with one of the checked commands, or is a usage form of one of `cliCommands` (the program's name left out).
 */
export function extractCommands(markdown: string, file: string, cliCommands: readonly string[] = []): DocCommand[] {
  const found: DocCommand[] = [];
  for (const block of fences(markdown)) {
    if (!['sh', 'bash', 'shell', 'console'].includes(block.lang)) continue;
    for (let i = 0; i < block.body.length; i++) {
      const start = i;
      let line = block.body[i];
      while (/\\\s*$/.test(line) && i + 1 < block.body.length) line = line.replace(/\\\s*$/, ' ') + block.body[++i].trim();
      for (const text of commandsOfLine(line)) found.push({ where: `${file}:${block.line + start}`, text });
    }
  }
  const text = prose(markdown);
  for (const m of text.matchAll(/(`+)([^`]+?)\1(?!`)/g)) {
    const span = m[2].replace(/\s*\n\s*/g, ' ').trim();
    const where = `${file}:${lineOf(text, m.index)}`;
    for (const cmd of commandsOfLine(span)) found.push({ where, text: cmd });
    // A usage form without the program's name (`status [--env <env>] [--json]`, `stage <secret> --env <env>`)
    const usage = /^([a-z][\w-]*) (?=<|\[|--)/.exec(span);
    if (usage && cliCommands.includes(usage[1])) found.push({ where, text: `fleapo-secrets ${span}` });
  }
  return found;
}

/** Whether a word is a placeholder the docs write for the reader to fill (`<env>`, `<SECRET>`, `ACCOUNT`, `...`). */
const isPlaceholder = (word: string): boolean => /^<[^>]+>$/.test(word) || /\.\.\.$/.test(word);

/** The problems of one command: each names the command, never guesses. Empty when the command is real. */
export function commandProblems(cmd: DocCommand, known: Known): string[] {
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${cmd.where}: \`${cmd.text}\`: ${what}`);
  const words: string[] = [];
  const all = shellWords(cmd.text);
  for (let i = 0; i < all.length; i++) {
    // `> file`, `2>&1`, `<keys.txt` are redirections; `<env>` is a placeholder
    if (/^\d*(<|>>?)$/.test(all[i]))
      i++; // a redirection and its file
    else if (!/^\d*(<|>>?)[^<>]*$/.test(all[i])) words.push(all[i]);
  }
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
    const name = words.shift()!.split('=')[0];
    if (/^FLEAPO_/i.test(name) && !known.variables.has(name)) say(`unknown variable ${name}`);
  }
  for (const w of words) {
    for (const m of w.matchAll(/\bFLEAPO_[A-Z0-9_]+/g)) if (!known.variables.has(m[0])) say(`unknown variable ${m[0]}`);
  }
  const [first, second, ...rest] = words;
  if (first === 'npm') {
    if (second === 'run') {
      // `npm run` alone names npm's command, `npm run X` a placeholder
      const script = rest[0];
      if (script !== undefined && !/^[A-Z]+$/.test(script) && !known.scripts.has(script)) say(`no package.json script "${script ?? ''}"`);
    } else if (second === 'test' && !known.scripts.has('test')) say('no package.json script "test"');
    return problems;
  }
  if (first === 'npx' || first === 'cdk') {
    const args = first === 'npx' ? words.slice(2) : words.slice(1);
    if (args[0] !== undefined && !CDK_SUBCOMMANDS.has(args[0])) say(`"${args[0]}" is not a cdk command the docs use`);
    for (let i = 0; i < args.length; i++) {
      const context = args[i] === '-c' || args[i] === '--context' ? args[i + 1] : /^--context=(.*)$/.exec(args[i])?.[1];
      if (context === undefined) continue;
      const key = context.split('=')[0];
      if (/^fleapo:/i.test(key) && !known.contextKeys.has(key)) say(`unknown context key ${key}`);
    }
    return problems;
  }
  // fleapo-secrets; `[--env <env>]` (an optional part, as usage lines write it) is checked like `--env <env>`
  const args = words.slice(1).map((w) => w.replace(/^\[+/, '').replace(/\]+$/, ''));
  const command = args.find((a) => !a.startsWith('-'));
  let options: ReadonlyMap<string, boolean>;
  if (command === undefined || isPlaceholder(command)) options = known.cliGlobal;
  else if (command === 'help') return problems;
  else {
    const found = known.cli.get(command);
    if (!found) {
      say(`no fleapo-secrets command "${command}"`);
      return problems;
    }
    options = found;
  }
  let positional = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      const name = a.split('=')[0];
      if (isPlaceholder(name)) continue;
      if (!options.has(name) && !known.cliGlobal.has(name)) say(`"${name}" is not an option of fleapo-secrets ${command ?? ''}`.trimEnd());
      else if (options.get(name) && !a.includes('=')) i++; // its value
      continue;
    }
    positional++;
    if (positional === 1 || command === undefined || !SECRET_ARGUMENT_COMMANDS.has(command) || isPlaceholder(a)) continue;
    if (!known.secretNames.has(a)) say(`"${a}" is not a secret of the catalog`);
  }
  return problems;
}

/** The options of a commander `--help` text: each long and short name, and whether it takes a value. */
export function helpOptions(help: string): Map<string, boolean> {
  const options = new Map<string, boolean>();
  const section = help.split(/^Options:\s*$/m)[1]?.split(/^\S/m)[0] ?? '';
  for (const m of section.matchAll(/^\s{2}((?:-\w, )?--[\w-]+)( [<[][^>\]]+[>\]])?/gm)) {
    for (const name of m[1].split(', ')) options.set(name, m[2] !== undefined);
  }
  return options;
}

/** The commands of the CLI's top-level `--help`. */
export function helpCommands(help: string): string[] {
  const section = help.split(/^Commands:\s*$/m)[1] ?? '';
  return [...section.matchAll(/^\s{2}([a-z][\w-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
}

/** GitHub's anchor of a heading: lower case, punctuation removed, spaces to dashes. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown text's headings (outside code), a repeated heading getting `-1`, `-2`, ... */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = headingSlug(m[1]);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    result.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return result;
}

/**
 * The relative links of a Markdown file (outside code) that do not resolve: a file that does not exist, or a
 * `#anchor` that is no heading of the Markdown file it points at. `read` gives a file's text (undefined: missing).
 */
export function linkProblems(markdown: string, file: string, read: (relative: string) => string | undefined): string[] {
  const problems: string[] = [];
  const text = prose(markdown).replace(/(`+)[^`]+?\1(?!`)/g, (s) => s.replace(/[^\n]/g, ' '));
  for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const [filePart, anchor] = target.split('#', 2);
    const relative = filePart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), filePart));
    const where = `${file}:${lineOf(text, m.index)}: (${target})`;
    const content = read(relative.replace(/\/$/, ''));
    if (content === undefined) {
      problems.push(`${where}: no file ${relative}`);
      continue;
    }
    if (anchor !== undefined && (!relative.endsWith('.md') || !anchors(content).has(anchor))) {
      problems.push(`${where}: no heading #${anchor} in ${relative}`);
    }
  }
  return problems;
}

/** The Markdown docs whose commands and links are checked and run: README.md and docs/*.md, relative to `root`. */
export function documentationFiles(root: string): string[] {
  return [
    'README.md',
    ...fs
      .readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
}

/** Reads a repository file (or says a directory exists with ''), undefined when there is none. */
export function repositoryReader(root: string): (relative: string) => string | undefined {
  return (relative) => {
    const full = path.join(root, relative);
    if (!full.startsWith(root) || !fs.existsSync(full)) return undefined;
    return fs.statSync(full).isDirectory() ? '' : fs.readFileSync(full, 'utf8');
  };
}

/** How doc-commands-run.test.ts runs one documented `fleapo-secrets` command line. */
export interface CliRunPlan {
  /** The arguments after the program's name, every placeholder filled with a value of the test configuration. */
  readonly args: string[];
  /** `VAR=value` assignments written in front of the command. */
  readonly env: Record<string, string>;
  /** The file the doc redirects stdin from (`< new-keys.txt`); stdin is the test's value either way. */
  readonly stdinFile?: string;
}

/** What the docs' placeholders stand for in the test: `--env <env>`, `<SECRET>`, `<command>`, ... */
export interface PlaceholderValues {
  /** The value of an option written as a placeholder, by option (`--env` -> `staging`, `--profile` -> a profile). */
  readonly options: Readonly<Record<string, string>>;
  /** A positional placeholder (`<secret>`, `SECRET`) by command (`stage` -> `STRIPE_SECRET_KEY`). */
  readonly secretOf: Readonly<Record<string, string>>;
  /** `<command>`: the line is run once with each of these. */
  readonly commands: readonly string[];
}

/** The outcome of planning one documented command line. */
export type CliRunPlanning =
  /** Not a `fleapo-secrets` command line. */
  | { readonly kind: 'other' }
  /** The program or a command named in prose (`bin/fleapo-secrets`, `fleapo-secrets stage`): nothing to run. */
  | { readonly kind: 'mention' }
  | { readonly kind: 'run'; readonly plans: CliRunPlan[] }
  /** A placeholder the test has no value for: the test must be told what it stands for. */
  | { readonly kind: 'problem'; readonly problem: string };

/** Bare upper-case words the docs may write for a value to fill (`--env ENV`, `rotate SECRET`). */
const UPPER_PLACEHOLDERS = new Set(['ENV', 'ENVIRONMENT', 'SECRET', 'PROFILE', 'FILE', 'COMMAND', 'SECONDS']);
const isRunPlaceholder = (word: string): boolean => isPlaceholder(word) || UPPER_PLACEHOLDERS.has(word);

/**
 * How to run a documented `fleapo-secrets` command line against the test doubles: optional parts of a usage form
 * (`[--env <env>]`) taken, redirections (`< keys.txt`, `> out`, `2>&1`) set aside, each placeholder filled from
 * `values`. A line with only the program (or the program and a command) is a mention, not a command.
 * `cli`: each command's options and whether each takes a value (from the CLI's `--help`).
 */
export function planCliRun(
  cmd: DocCommand,
  cli: ReadonlyMap<string, ReadonlyMap<string, boolean>>,
  values: PlaceholderValues,
): CliRunPlanning {
  // `[--env <env>]`: an optional part of a usage form, taken
  const all = shellWords(cmd.text)
    .map((w) => w.replace(/^\[+/, '').replace(/\]+$/, ''))
    .filter((w) => w !== '');
  const words: string[] = [];
  let stdinFile: string | undefined;
  for (let i = 0; i < all.length; i++) {
    const redirect = /^(\d*)(<|>>?)(.*)$/.exec(all[i]);
    if (redirect && !isPlaceholder(all[i])) {
      const target = redirect[3] !== '' ? redirect[3] : all[++i];
      if (redirect[2] === '<') stdinFile = target;
      continue;
    }
    words.push(all[i]);
  }
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split('=');
    env[name] = value.join('=');
  }
  if (!/(^|\/)fleapo-secrets$/.test(words[0] ?? '')) return { kind: 'other' };
  const args = words.slice(1);
  const command = args.find((a) => !a.startsWith('-'));
  if (args.length === 0 || args.some((a) => a.endsWith('...'))) return { kind: 'mention' };
  if (command !== undefined && args.length === 1) return { kind: 'mention' };
  const say = (what: string): CliRunPlanning => ({ kind: 'problem', problem: `${cmd.where}: \`${cmd.text}\`: ${what}` });
  const commands = command !== undefined && isRunPlaceholder(command) ? values.commands : [command];
  const plans: CliRunPlan[] = [];
  for (const name of commands) {
    // A command the CLI does not have is run all the same: the CLI's usage error is the finding.
    const options = (name === undefined ? undefined : cli.get(name)) ?? new Map<string, boolean>();
    const filled: string[] = [];
    let positional = 0;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === command) {
        filled.push(name!);
        continue;
      }
      if (a.startsWith('-')) {
        const [option, inline] = a.split(/=(.*)/s, 2);
        filled.push(option);
        if (!options.get(option)) continue;
        const value = inline ?? args[++i];
        if (value === undefined) return say(`${option} has no value`);
        if (!isRunPlaceholder(value)) filled.push(value);
        else if (values.options[option] !== undefined) filled.push(values.options[option]);
        else return say(`no test value for the placeholder ${value} of ${option}`);
        continue;
      }
      positional++;
      if (!isRunPlaceholder(a)) filled.push(a);
      else if (name !== undefined && values.secretOf[name] !== undefined) filled.push(values.secretOf[name]);
      else return say(`no test value for the placeholder ${a} (argument ${positional} of ${name ?? 'the program'})`);
    }
    plans.push({ args: filled, env, ...(stdinFile !== undefined ? { stdinFile } : {}) });
  }
  return { kind: 'run', plans };
}
