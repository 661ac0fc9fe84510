import { randomUUID } from 'node:crypto';
import { AwsError, AwsJsonServer, AwsServiceDouble } from './aws-json-server';

/**
 * CloudTrail's LookupEvents (AWS JSON 1.1, target `CloudTrail_20131101.LookupEvents`) over the event history this
 * double holds, as documented: at most one lookup attribute (else InvalidLookupAttributesException), MaxResults 1-50
 * (default 50), StartTime after EndTime refused (InvalidTimeRangeException), newest event first, an opaque NextToken,
 * EventTime in epoch seconds, and `CloudTrailEvent` the record itself as a JSON string. Records are built with the
 * documented userIdentity shapes (see the helpers below).
 */
export interface CloudTrailRecord {
  eventVersion: string;
  userIdentity: Record<string, unknown>;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: null;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources?: { ARN: string; accountId: string; type?: string }[];
  eventType: 'AwsApiCall';
  managementEvent: true;
  recipientAccountId: string;
  eventCategory: 'Management';
  errorCode?: string;
  errorMessage?: string;
}

const LOOKUP_KEYS = ['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId'];
const READ_ONLY = /^(Get|List|Describe|BatchGet)/;

export class FakeCloudTrail extends AwsServiceDouble {
  readonly records: CloudTrailRecord[] = [];
  private readonly pages = new Map<string, { events: unknown[]; size: number }>();
  readonly server = new AwsJsonServer('CloudTrail_20131101', { LookupEvents: (i) => this.lookupEvents(i) });

  constructor(
    readonly account = '111111111111',
    readonly region = 'us-east-1',
  ) {
    super();
  }

  /** An assumed-role session's userIdentity (`invokedBy` when a service called with the role, e.g. ECS). */
  assumedRole(roleName: string, session: string, invokedBy?: string): Record<string, unknown> {
    return {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE${roleName.length}:${session}`,
      arn: `arn:aws:sts::${this.account}:assumed-role/${roleName}/${session}`,
      accountId: this.account,
      accessKeyId: 'ASIAEXAMPLEEXAMPLE',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: `AROAEXAMPLE${roleName.length}`,
          arn: `arn:aws:iam::${this.account}:role/${roleName}`,
          accountId: this.account,
          userName: roleName,
        },
        webIdFederationData: {},
        attributes: { creationDate: '2026-12-01T00:00:00Z', mfaAuthenticated: 'false' },
      },
      ...(invokedBy ? { invokedBy } : {}),
    };
  }

  iamUser(name: string): Record<string, unknown> {
    return {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: `arn:aws:iam::${this.account}:user/${name}`,
      accountId: this.account,
      accessKeyId: 'AKIAEXAMPLEEXAMPLE',
      userName: name,
    };
  }

  awsService(invokedBy: string): Record<string, unknown> {
    return { type: 'AWSService', invokedBy };
  }

  /** Records a call (AWS records it once made; `secretArn` goes in `resources` when given). */
  record(
    eventName: string,
    userIdentity: Record<string, unknown>,
    requestParameters: Record<string, unknown> | null,
    at: Date,
    extra: { secretArn?: string; errorCode?: string; sourceIPAddress?: string } = {},
  ): CloudTrailRecord {
    const record: CloudTrailRecord = {
      eventVersion: '1.09',
      userIdentity,
      eventTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource: 'secretsmanager.amazonaws.com',
      eventName,
      awsRegion: this.region,
      sourceIPAddress: extra.sourceIPAddress ?? (userIdentity.type === 'AWSService' ? String(userIdentity.invokedBy) : '203.0.113.7'),
      userAgent: 'aws-sdk-js/3',
      requestParameters,
      responseElements: null,
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: READ_ONLY.test(eventName),
      ...(extra.secretArn ? { resources: [{ ARN: extra.secretArn, accountId: this.account, type: 'AWS::SecretsManager::Secret' }] } : {}),
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: this.account,
      eventCategory: 'Management',
      ...(extra.errorCode ? { errorCode: extra.errorCode, errorMessage: 'User is not authorized to perform this operation' } : {}),
    };
    this.records.push(record);
    return record;
  }

  private lookupEvents(input: Record<string, unknown>) {
    if (typeof input.NextToken === 'string') {
      const page = this.pages.get(input.NextToken);
      if (!page) throw new AwsError('InvalidNextTokenException', 'Invalid NextToken');
      this.pages.delete(input.NextToken);
      return this.page(page.events, page.size);
    }
    const attributes = (input.LookupAttributes ?? []) as { AttributeKey?: string; AttributeValue?: string }[];
    if (attributes.length > 1) throw new AwsError('InvalidLookupAttributesException', 'You can specify only one lookup attribute.');
    const size = input.MaxResults === undefined ? 50 : Number(input.MaxResults);
    if (!Number.isInteger(size) || size < 1 || size > 50) throw new AwsError('InvalidMaxResultsException', 'MaxResults must be 1-50');
    const start = typeof input.StartTime === 'number' ? input.StartTime * 1000 : -Infinity;
    const end = typeof input.EndTime === 'number' ? input.EndTime * 1000 : Infinity;
    if (start > end) throw new AwsError('InvalidTimeRangeException', 'StartTime must be before EndTime');
    const [attribute] = attributes;
    if (attribute && !LOOKUP_KEYS.includes(String(attribute.AttributeKey))) {
      throw new AwsError('InvalidLookupAttributesException', 'Unknown AttributeKey');
    }
    const matches = (r: CloudTrailRecord) => {
      if (!attribute) return true;
      const v = attribute.AttributeValue;
      switch (attribute.AttributeKey) {
        case 'EventName':
          return r.eventName === v;
        case 'EventId':
          return r.eventID === v;
        case 'EventSource':
          return r.eventSource === v;
        case 'ReadOnly':
          return String(r.readOnly) === v;
        case 'ResourceName':
          return (r.resources ?? []).some((x) => x.ARN === v);
        case 'ResourceType':
          return (r.resources ?? []).some((x) => x.type === v);
        case 'Username':
          return this.username(r) === v;
        case 'AccessKeyId':
          return (r.userIdentity as { accessKeyId?: string }).accessKeyId === v;
      }
      return false;
    };
    const events = this.records
      .filter((r) => {
        const t = Date.parse(r.eventTime);
        return t >= start && t <= end && matches(r);
      })
      .sort((a, b) => Date.parse(b.eventTime) - Date.parse(a.eventTime))
      .map((r) => ({
        EventId: r.eventID,
        EventName: r.eventName,
        ReadOnly: String(r.readOnly),
        AccessKeyId: (r.userIdentity as { accessKeyId?: string }).accessKeyId,
        EventTime: Date.parse(r.eventTime) / 1000,
        EventSource: r.eventSource,
        Username: this.username(r),
        Resources: (r.resources ?? []).map((x) => ({ ResourceType: x.type, ResourceName: x.ARN })),
        CloudTrailEvent: JSON.stringify(r),
      }));
    return this.page(events, size);
  }

  private page(events: unknown[], size: number) {
    const rest = events.slice(size);
    let NextToken: string | undefined;
    if (rest.length > 0) {
      NextToken = randomUUID();
      this.pages.set(NextToken, { events: rest, size });
    }
    return { Events: events.slice(0, size), ...(NextToken ? { NextToken } : {}) };
  }

  private username(r: CloudTrailRecord): string | undefined {
    const u = r.userIdentity as { type?: string; arn?: string; userName?: string };
    if (u.type === 'AssumedRole') return u.arn?.split('/').pop();
    return u.userName;
  }
}
