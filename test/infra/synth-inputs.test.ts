/** The guess that a synth's templates are unchanged (which only decides when the validation engine starts). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { recordSynthInputs, sameInputsAsLastSynth, synthInputsFingerprint } from '../../lib/validation/synth-inputs';

function project(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'inputs-'));
  for (const [file, text] of Object.entries({
    'bin/app.ts': 'app',
    'lib/stack.ts': 'stack',
    'catalog/secrets.ts': 'secrets',
    'lambda/handler.ts': 'handler',
    'cdk.json': '{}',
    'package-lock.json': '{}',
    'team.json': '{}',
  })) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

const later = (file: string) => {
  const t = fs.statSync(file).mtime.getTime() / 1000 + 10;
  fs.utimesSync(file, t, t);
};

test('the same sources, context and environment give the same fingerprint; any change gives another', () => {
  const root = project();
  const env = { CDK_CONTEXT_JSON: '{"fleapo:configFile":"team.json"}', CDK_OUTDIR: '/o', PATH: '/bin' };
  const base = synthInputsFingerprint(root, env);
  expect(synthInputsFingerprint(root, { ...env, PATH: '/usr/bin' })).toBe(base); // other variables do not count

  const changes: [string, () => void][] = [
    ['a lib file', () => later(path.join(root, 'lib/stack.ts'))],
    ['a handler', () => fs.writeFileSync(path.join(root, 'lambda/handler.ts'), 'handler 2')],
    ['a new catalog file', () => fs.writeFileSync(path.join(root, 'catalog/tags.ts'), 'tags')],
    ['the configuration file named by the context', () => fs.writeFileSync(path.join(root, 'team.json'), '{"x":1}')],
    ['the lock file', () => later(path.join(root, 'package-lock.json'))],
  ];
  let previous = base;
  for (const [what, change] of changes) {
    change();
    const now = synthInputsFingerprint(root, env);
    expect({ what, changed: now !== previous }).toEqual({ what, changed: true });
    previous = now;
  }
  expect(synthInputsFingerprint(root, { ...env, CDK_CONTEXT_JSON: '{"fleapo:configFile":"team.json","x":1}' })).not.toBe(previous);
  expect(synthInputsFingerprint(root, { ...env, FLEAPO_CONFIG_FILE: 'other.json' })).not.toBe(previous);
});

test('a cloud assembly remembers the inputs of the last synth into it', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'out-'));
  expect(sameInputsAsLastSynth(outdir, 'a')).toBe(false); // never synthesized
  recordSynthInputs(outdir, 'a');
  expect(sameInputsAsLastSynth(outdir, 'a')).toBe(true);
  expect(sameInputsAsLastSynth(outdir, 'b')).toBe(false);
  fs.writeFileSync(path.join(outdir, '.fleapo-cache', 'last-synth-inputs.json'), 'not json');
  expect(sameInputsAsLastSynth(outdir, 'a')).toBe(false);
});
