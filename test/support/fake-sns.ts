import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import { LocalHttpServer } from './local-http-server';

export interface PublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
}

/**
 * An SNS double speaking the AWS Query protocol the SDK v3 SNS client uses (form-encoded `Action=Publish`, XML
 * answers), for `Publish` only: messages to a known topic are recorded, any other topic answers NotFound.
 * Point the SDK at it with AWS_ENDPOINT_URL_SNS.
 */
export class FakeSns extends LocalHttpServer {
  readonly topics = new Set<string>();
  readonly published: PublishedMessage[] = [];

  get endpoint(): string {
    return this.origin;
  }

  protected respond(_req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const form = new URLSearchParams(body);
    const send = (status: number, xml: string) => this.sendXml(res, status, xml);
    const error = (code: string, message: string) =>
      send(
        400,
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    if (form.get('Action') !== 'Publish') return error('InvalidAction', 'test double: only Publish');
    const topicArn = form.get('TopicArn') ?? '';
    if (!this.topics.has(topicArn)) return error('NotFound', 'Topic does not exist');
    this.published.push({ topicArn, subject: form.get('Subject') ?? undefined, message: form.get('Message') ?? '' });
    send(
      200,
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }
}
