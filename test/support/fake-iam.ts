import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import { evaluate } from '../infra/iam-evaluator';
import { LocalHttpServer } from './local-http-server';

/** A role of the double: its ARN (with its path) and identity policies (documents). */
export interface FakeRole {
  readonly arn: string;
  readonly policies: unknown[];
}

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

/**
 * An IAM double speaking the AWS Query protocol the SDK v3 IAM client uses, for `GetRole` and
 * `SimulatePrincipalPolicy` only. SimulatePrincipalPolicy evaluates the role's identity policies for each action and
 * resource with a real policy evaluator (iam-simulate, as test/infra does): `allowed`, `explicitDeny` or
 * `implicitDeny`, like IAM's simulator (identity policies only). `simulateDenied`: the caller may not simulate
 * (AccessDenied). Point the SDK at it with AWS_ENDPOINT_URL_IAM.
 */
export class FakeIam extends LocalHttpServer {
  readonly roles = new Map<string, FakeRole>();
  simulateDenied = false;

  get endpoint(): string {
    return this.origin;
  }

  protected respond(_req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    void this.answer(new URLSearchParams(body)).then(
      ({ status, xml }) => this.sendXml(res, status, xml),
      (error: Error) => this.sendXml(res, 500, this.error('ServiceFailure', error.message)),
    );
  }

  private error(code: string, message: string): string {
    return `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  }

  private ok(action: string, result: string): { status: number; xml: string } {
    return {
      status: 200,
      xml: `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
    };
  }

  private members(form: URLSearchParams, name: string): string[] {
    const out: string[] = [];
    for (let i = 1; form.has(`${name}.member.${i}`); i++) out.push(form.get(`${name}.member.${i}`)!);
    return out;
  }

  private async answer(form: URLSearchParams): Promise<{ status: number; xml: string }> {
    const action = form.get('Action');
    if (action === 'GetRole') {
      const name = form.get('RoleName') ?? '';
      const role = this.roles.get(name);
      if (!role) return { status: 404, xml: this.error('NoSuchEntity', `The role with name ${name} cannot be found.`) };
      const path = /:role(\/.*\/|\/)[^/]+$/.exec(role.arn)?.[1] ?? '/';
      return this.ok(
        'GetRole',
        `<Role><Path>${path}</Path><RoleName>${name}</RoleName><RoleId>AROA${name.length}EXAMPLE</RoleId><Arn>${role.arn}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></Role>`,
      );
    }
    if (action === 'SimulatePrincipalPolicy') {
      if (this.simulateDenied) {
        return { status: 403, xml: this.error('AccessDenied', 'User is not authorized to perform: iam:SimulatePrincipalPolicy') };
      }
      const source = form.get('PolicySourceArn') ?? '';
      const role = [...this.roles.values()].find((r) => r.arn === source);
      if (!role) return { status: 404, xml: this.error('NoSuchEntity', `The entity ${source} cannot be found.`) };
      const account = /^arn:aws:iam::(\d{12}):/.exec(source)![1];
      const results: string[] = [];
      for (const act of this.members(form, 'ActionNames')) {
        for (const resource of this.members(form, 'ResourceArns')) {
          const decision = await evaluate({
            principal: source,
            action: act,
            resource,
            resourceAccount: /^arn:aws:[^:]*:[^:]*:(\d{12}):/.exec(resource)?.[1] ?? account,
            identityPolicies: role.policies,
          });
          const evalDecision = { Allowed: 'allowed', ExplicitlyDenied: 'explicitDeny', ImplicitlyDenied: 'implicitDeny' }[decision];
          results.push(
            `<member><EvalActionName>${act}</EvalActionName><EvalResourceName>${resource}</EvalResourceName><EvalDecision>${evalDecision}</EvalDecision></member>`,
          );
        }
      }
      return this.ok(
        'SimulatePrincipalPolicy',
        `<IsTruncated>false</IsTruncated><EvaluationResults>${results.join('')}</EvaluationResults>`,
      );
    }
    return { status: 400, xml: this.error('InvalidAction', 'test double: only GetRole and SimulatePrincipalPolicy') };
  }
}
