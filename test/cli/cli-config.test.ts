/**
 * How `fleapo-secrets` finds its configuration: the project's cdk.json upward from the current directory (the same
 * project from any subdirectory), a relative `fleapo:configFile` read from that project, and one line on stderr that names
 * what was loaded (stdout stays for the result, `--json`). In process: no build, no AWS call.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { findProjectDir, loadCliConfigWithSource, main, type CliIo } from '../../lib/cli/main';
import { describeLoadedConfig } from '../../lib/config/load-config';
import { ConfigError } from '../../lib/config/validate-config';
import { teamEnvironment } from '../support/team-config';

const ROOT = path.join(__dirname, '../..');

/** A project directory with a cdk.json (whose context is `context`), a team file in team/, and a subdirectory a/b. */
function project(context: Record<string, unknown>): { dir: string; file: string; sub: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-project-'));
  fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app: 'true', context }));
  fs.mkdirSync(path.join(dir, 'team'));
  const file = path.join(dir, 'team', 'fleapo.json');
  fs.writeFileSync(file, JSON.stringify({ environments: { staging: null, prod: teamEnvironment('prod', '222222222222', 'eu-west-1') } }));
  const sub = path.join(dir, 'a', 'b');
  fs.mkdirSync(sub, { recursive: true });
  return { dir, file, sub };
}

test('the project is the nearest directory upward with a cdk.json; none above a directory without one', () => {
  const { dir, sub } = project({});
  expect(findProjectDir(sub)).toBe(dir);
  expect(findProjectDir(dir)).toBe(dir);
  expect(findProjectDir(path.join(ROOT, 'lib', 'cli'))).toBe(ROOT);
  const lone = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-lone-'));
  expect(findProjectDir(lone)).toBe(findProjectDir(os.tmpdir())); // whatever is above the temp directory, if anything
});

test("from a subdirectory, the project's cdk.json context applies, its relative fleapo:configFile read from the project", () => {
  const { file, sub } = project({ 'fleapo:configFile': 'team/fleapo.json' });
  const loaded = loadCliConfigWithSource(undefined, sub, {});
  expect(loaded.config.environments.map((e) => `${e.name} ${e.region}`)).toEqual(['prod eu-west-1']);
  expect(describeLoadedConfig(loaded)).toBe(`fleapo configuration: file ${file} (context fleapo:configFile): prod 222222222222/eu-west-1`);
});

test('--config wins over the context and the variable, relative to the current directory', () => {
  const { dir, file } = project({ 'fleapo:configFile': 'nowhere.json' });
  const loaded = loadCliConfigWithSource('team/fleapo.json', dir, { FLEAPO_CONFIG_FILE: 'nowhere-either.json' });
  expect(loaded.sources).toEqual([`file ${file} (--config)`]);
});

test('a mistyped fleapo context key in cdk.json and a mistyped FLEAPO_ variable are refused', () => {
  const { sub } = project({ 'fleapo:configfile': 'team/fleapo.json' });
  expect(() => loadCliConfigWithSource(undefined, sub, {})).toThrow(ConfigError);
  expect(() => loadCliConfigWithSource(undefined, sub, {})).toThrow(
    'unknown cdk context key "fleapo:configfile" (did you mean "fleapo:configFile"?)',
  );
  const { sub: other } = project({});
  expect(() => loadCliConfigWithSource(undefined, other, { FLEAPO_CONFIG: 'x.json' })).toThrow(
    'unknown environment variable FLEAPO_CONFIG (did you mean "FLEAPO_CONFIG_FILE"?)',
  );
});

test('every command prints the configuration line on stderr, before anything else, and nothing of it on stdout', async () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const io = { stdout, stderr, stdin: new PassThrough() } as unknown as CliIo;
  // An environment that is not configured: refused after the configuration is loaded, before any AWS call.
  const code = await main(['status', '--env', 'nope', '--json', '--config', path.join(project({}).file)], io);
  expect(code).toBe(2);
  expect(out).toBe('');
  expect(err.split('\n')[0]).toMatch(
    /^fleapo-secrets: fleapo configuration: file .*fleapo\.json \(--config\): prod 222222222222\/eu-west-1$/,
  );
});
