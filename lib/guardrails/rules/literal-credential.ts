import { isSecretName, normalizeName } from '../secret-patterns';
import { assembleStrings, literalRemainder, namedValues } from '../intrinsics';
import { EnvBinding, StackInput, join, resourcePath } from '../model';
import type { Found, GuardrailRule } from '../rule';

export const LITERAL_CREDENTIAL = 'FLEAPO-LITERAL-CREDENTIAL';

const FIX =
  'Do not write a credential into the template. Let the service manage it where it can (RDS / Aurora / DocumentDB / Redshift: ' +
  '`ManageMasterUserPassword: true`, or CDK `Credentials.fromGeneratedSecret`), or pass a `{{resolve:secretsmanager:...}}` ' +
  'dynamic reference (`SecretValue.secretsManager(...)`) so only the reference is in the template. Rotate a value that was deployed.';

/** The fix of a template parameter's literal default (resource properties' is {@link FIX}). */
const PARAMETER_DEFAULT_FIX =
  'Give the parameter no default (pass the value at deploy time), or better, no parameter: reference the secret (`SecretValue.secretsManager`).';

/**
 * Properties whose name does not say "secret" but whose value is one, by resource type
 * (slash path under Properties). Everything named like a secret (`MasterUserPassword`, `AuthToken`,
 * `Passwords`, `OAuthToken`, `client_secret`, ...) is found by its name, on any resource type.
 */
export const CREDENTIAL_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'AWS::Events::Connection': ['AuthParameters/ApiKeyAuthParameters/ApiKeyValue'],
  'AWS::ApiGateway::ApiKey': ['Value'],
  'AWS::EC2::VPNConnection': ['VpnTunnelOptionsSpecifications/*/PreSharedKey'],
};

/**
 * Property names that end like a secret's but are not one: a custom resource's provider, idempotency
 * tokens, and KMS keys (`EncryptionKey`, `KmsKey`: a key id, alias or ARN, never key material).
 */
const NOT_CREDENTIALS =
  /(?:^|_)(?:SERVICE_TOKEN|CLIENT_TOKEN|CLIENT_REQUEST_TOKEN|IDEMPOTENCY_TOKEN|NEXT_TOKEN|ENCRYPTION_KEY|KMS_KEY|SIGNING_KEY)$/;

function isCredentialName(name: string): boolean {
  return isSecretName(name) && !NOT_CREDENTIALS.test(normalizeName(name));
}

/** Values that point at a secret rather than being one: an ARN, a KMS alias. */
const REFERENCE_VALUE = /^(?:arn:aws[a-z-]*:|alias\/)/;

/** True when a property value, as CloudFormation may assemble it, has literal content besides secret references. */
function literalIn(value: unknown, template: StackInput['template']): boolean {
  if (typeof value === 'boolean' || typeof value === 'number') return false; // ManageMasterUserPassword: true, GenerateSecret: true
  return assembleStrings(value, template).texts.some(
    (t) => !/^(?:true|false)$/i.test(t.trim()) && !REFERENCE_VALUE.test(t.trim()) && literalRemainder(t) !== '',
  );
}

/**
 * A credential given as a literal in a resource's properties: a database master password (RDS
 * `MasterUserPassword`, DocumentDB, Redshift, Redshift Serverless `AdminUserPassword`, ...),
 * a cache auth token, a broker or directory password, an OAuth token, a client secret, on any
 * resource type, found by the property's name in any case style (plus {@link CREDENTIAL_PROPERTIES});
 * and, inside any JSON-valued string property (a custom resource's API call, a pipeline action's
 * configuration), a field named like a secret with a literal value. A `{{resolve:secretsmanager:...}}`
 * reference, a `Ref` to a parameter or an attribute of another resource are not literals.
 * Environment variables are left to FLEAPO-PLAIN-ENV-SECRET and a Secrets Manager secret's own value
 * to FLEAPO-LITERAL-SECRET-STRING. A template parameter named like a credential with a literal default is
 * reported as well.
 */
export function literalCredentialRule(stack: StackInput, bindings: readonly EnvBinding[] = []): Found[] {
  const out: Found[] = [];
  const envLocations = new Set(
    bindings.filter((b) => b.filePath === stack.templatePath).map((b) => `${b.logicalId}:${b.location.split('#')[0]}`),
  );
  for (const [logicalId, res] of Object.entries(stack.template.Resources ?? {})) {
    const constructPath = resourcePath(stack, logicalId, res);
    const report = (location: string, what: string): void => {
      out.push({
        constructPath,
        logicalId,
        filePath: stack.templatePath,
        location,
        problem: `${what} is a literal in the synthesized template; anyone who can read the template or describe the stack sees it.`,
      });
    };
    const extra = (CREDENTIAL_PROPERTIES[res.Type] ?? []).map(
      (p) =>
        new RegExp(
          `^Properties/${p
            .split('/')
            .map((s) => (s === '*' ? '\\d+' : s))
            .join('/')}$`,
        ),
    );
    const walk = (v: unknown, p: string, key: string | undefined): void => {
      if (envLocations.has(`${logicalId}:${p}`)) return;
      if (res.Type === 'AWS::SecretsManager::Secret' && p === 'Properties/SecretString') return;
      const credential = key !== undefined && (isCredentialName(key) || extra.some((r) => r.test(p)));
      if (credential && !isObjectValue(v)) {
        const values = Array.isArray(v) ? v : [v];
        if (values.some((x) => literalIn(x, stack.template))) report(p, `property ${key}`);
        return;
      }
      if (typeof v === 'string') {
        const t = v.trim();
        if (!t.startsWith('{') && !t.startsWith('[')) return;
        const field = namedValues(t).find(
          (f) => isCredentialName(f.name) && literalRemainder(f.value) !== '' && !/^(?:true|false)$/i.test(f.value),
        );
        if (field) report(p, `the field "${field.name}" of the JSON in ${key ?? p}`);
        return;
      }
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, join(p, String(i)), key));
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) walk(x, join(p, k), k.startsWith('Fn::') || k === 'Ref' ? key : k);
    };
    walk(res.Properties, 'Properties', undefined);
  }
  // A parameter named like a credential with a default: the default is in the template (NoEcho only hides it from describe).
  for (const [name, param] of Object.entries((stack.template.Parameters ?? {}) as Record<string, { Default?: unknown }>)) {
    if (!isCredentialName(name) || param?.Default === undefined || !literalIn(param.Default, stack.template)) continue;
    const constructPath = stack.constructPaths?.[name] ?? `${stack.nestedIn ? `${stack.nestedIn} ` : ''}${stack.templatePath} (Parameters)`;
    out.push({
      constructPath,
      filePath: stack.templatePath,
      location: `Parameters/${name}/Default`,
      problem: `the default of parameter ${name} is a literal in the synthesized template; anyone who can read the template sees it.`,
      fix: PARAMETER_DEFAULT_FIX,
    });
  }
  return out;
}

/** An object that is not an intrinsic function (a structure, e.g. `MasterUserSecret: { SecretArn }`). */
function isObjectValue(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return !(keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::')));
}

/** {@link literalCredentialRule} in the registry. */
export const literalCredential: GuardrailRule = {
  id: LITERAL_CREDENTIAL,
  fix: FIX,
  checkStack: ({ stack, bindings }) => literalCredentialRule(stack, bindings),
};
