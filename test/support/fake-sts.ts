import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import { LocalHttpServer } from './local-http-server';

/**
 * An STS double speaking the AWS Query protocol the SDK v3 STS client uses (form-encoded `Action=GetCallerIdentity`,
 * XML answers), for `GetCallerIdentity` only: it answers who the caller is (`identity`). GetCallerIdentity needs no
 * permission (an explicit deny cannot stop it). Point the SDK at it with AWS_ENDPOINT_URL_STS.
 */
export class FakeSts extends LocalHttpServer {
  identity = { account: '111111111111', arn: 'arn:aws:sts::111111111111:assumed-role/fleapo-operator/ops', userId: 'AROAEXAMPLE:ops' };

  get endpoint(): string {
    return this.origin;
  }

  protected respond(_req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const form = new URLSearchParams(body);
    const send = (status: number, xml: string) => this.sendXml(res, status, xml);
    if (form.get('Action') !== 'GetCallerIdentity') {
      return send(
        400,
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>test double: only GetCallerIdentity</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    }
    const { account, arn, userId } = this.identity;
    send(
      200,
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${arn}</Arn><UserId>${userId}</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  }
}
