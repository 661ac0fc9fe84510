/**
 * `fleapo-secrets audit --env <env> [--since 7d]`: who read, wrote, re-labelled, rotated, tagged or changed the policy
 * of each of the environment's secrets, from CloudTrail's event history (LookupEvents: the region's management
 * events of the last 90 days, read-only ones included), grouped by principal, flagging every principal that is not
 * an expected one (lib/config/secret-principals.ts). Reads no secret value: CloudTrail never records one.
 */
import { CloudTrailClient, LookupEventsCommand, type Event } from '@aws-sdk/client-cloudtrail';
import type { ExpectedPrincipal } from '../../config/secret-principals';

/**
 * The Secrets Manager operations audited. LookupEvents takes one lookup attribute per request: one query per event
 * name (EventName works for read-only events too; ResourceName depends on CloudTrail filling `resources`, which it
 * does not do for every Secrets Manager event), then the secret is matched from the event's own record.
 */
export const AUDITED_EVENT_NAMES = [
  'GetSecretValue',
  'BatchGetSecretValue',
  'PutSecretValue',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'RotateSecret',
  'CancelRotateSecret',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'TagResource',
  'UntagResource',
  'DeleteSecret',
  'RestoreSecret',
] as const;

/** LookupEvents reaches back 90 days. */
export const MAX_AUDIT_DAYS = 90;

/** `7d`, `24h`, `30m` or an ISO date/time to the start time; throws naming the problem. */
export function parseSince(text: string, now: Date): Date {
  const m = /^(\d+)([dhm])$/.exec(text.trim());
  const at = m
    ? new Date(now.getTime() - Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'])
    : new Date(text);
  if (Number.isNaN(at.getTime())) throw new Error('--since must be a duration (7d, 24h, 30m) or an ISO date');
  if (at.getTime() > now.getTime()) throw new Error('--since must be in the past');
  if (now.getTime() - at.getTime() > MAX_AUDIT_DAYS * 86_400_000)
    throw new Error(`--since reaches back at most ${MAX_AUDIT_DAYS} days (CloudTrail event history)`);
  return at;
}

/** One audited secret: its name (`<prefix>/<suffix>`) in the environment's account and region. */
export interface AuditedSecret {
  readonly name: string;
  /** The app's variable, e.g. `AUTH_SECRET`. */
  readonly variable: string;
}

export interface AuditScope {
  readonly account: string;
  readonly region: string;
  readonly secrets: readonly AuditedSecret[];
  readonly expected: readonly ExpectedPrincipal[];
  /** AWS services expected to act on the secrets (e.g. Secrets Manager starting a scheduled rotation). */
  readonly expectedServices: readonly string[];
}

/** Who made a call, as the audit groups it. */
export interface Principal {
  /** The role ARN of an assumed-role session, a user's ARN, the root ARN, or an AWS service principal. */
  readonly id: string;
  /** CloudTrail's userIdentity.type (AssumedRole, IAMUser, Root, AWSService, FederatedUser, ...). */
  readonly type: string;
  /** An assumed-role session's name (e.g. an ECS task id, a Lambda function name, a person's SSO name). */
  readonly session?: string;
  /** The AWS service that made the call on the principal's behalf (userIdentity.invokedBy). */
  readonly via?: string;
}

/** The fields of a CloudTrail record the audit reads (the documented record; everything else is ignored). */
interface CloudTrailRecord {
  eventName?: string;
  eventTime?: string;
  eventSource?: string;
  awsRegion?: string;
  recipientAccountId?: string;
  sourceIPAddress?: string;
  errorCode?: string;
  userIdentity?: {
    type?: string;
    arn?: string;
    accountId?: string;
    invokedBy?: string;
    sessionContext?: { sessionIssuer?: { type?: string; arn?: string } };
  };
  requestParameters?: { secretId?: unknown; secretIdList?: unknown; filters?: unknown } | null;
  resources?: { ARN?: string }[];
}

/** Pure: the principal of a CloudTrail record (an assumed-role session resolves to its role). */
export function principalOf(record: CloudTrailRecord): Principal {
  const u = record.userIdentity ?? {};
  const type = u.type ?? 'Unknown';
  const via = u.invokedBy;
  if (type === 'AWSService') return { id: u.invokedBy ?? 'unknown AWS service', type };
  if (type === 'AssumedRole') {
    const role = u.sessionContext?.sessionIssuer?.arn;
    const session = u.arn?.split('/').pop();
    return { id: role ?? u.arn ?? 'unknown role', type, ...(session ? { session } : {}), ...(via ? { via } : {}) };
  }
  return { id: u.arn ?? `${type} of account ${u.accountId ?? 'unknown'}`, type, ...(via ? { via } : {}) };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Pure: which of the scope's secrets a record is about. A secret id in a request is its name, its ARN (name plus a
 * 6-character suffix) or a partial ARN (without the suffix); the record's `resources` may carry the ARN too. A
 * BatchGetSecretValue by filters names no secret: it is reported against every secret (`*`).
 */
export function secretsOf(record: CloudTrailRecord, scope: AuditScope): string[] {
  const ids: string[] = [];
  const p = record.requestParameters ?? {};
  if (typeof p.secretId === 'string') ids.push(p.secretId);
  if (Array.isArray(p.secretIdList)) ids.push(...p.secretIdList.filter((x): x is string => typeof x === 'string'));
  for (const r of record.resources ?? []) if (r.ARN) ids.push(r.ARN);
  const found = new Set<string>();
  for (const secret of scope.secrets) {
    const arn = new RegExp(
      `^arn:[^:]+:secretsmanager:${escape(scope.region)}:${escape(scope.account)}:secret:${escape(secret.name)}(-[A-Za-z0-9]{6})?$`,
    );
    if (ids.some((id) => id === secret.name || arn.test(id))) found.add(secret.variable);
  }
  if (found.size === 0 && record.eventName === 'BatchGetSecretValue' && p.filters !== undefined && p.secretIdList === undefined) {
    return ['*'];
  }
  return [...found];
}

/** One principal's activity on the environment's secrets. */
export interface PrincipalActivity extends Principal {
  /** Why it is expected, or undefined when it is flagged. */
  readonly expected?: string;
  readonly flagged: boolean;
  /** `<EventName> <SECRET>` → count, e.g. `GetSecretValue AUTH_SECRET: 3`. */
  readonly calls: Record<string, number>;
  /** Calls that AWS refused (errorCode set), counted in `calls` too. */
  readonly denied: number;
  readonly first: string;
  readonly last: string;
  readonly sessions: string[];
  readonly sourceIps: string[];
}

/** Pure: CloudTrail events to activity per principal, flagged first, then by id. */
export function groupByPrincipal(events: readonly Event[], scope: AuditScope): PrincipalActivity[] {
  interface Group {
    p: Principal;
    calls: Map<string, number>;
    denied: number;
    times: string[];
    sessions: Set<string>;
    ips: Set<string>;
  }
  const groups = new Map<string, Group>();
  const seen = new Set<string>();
  for (const event of events) {
    if (event.EventId !== undefined) {
      if (seen.has(event.EventId)) continue;
      seen.add(event.EventId);
    }
    let record: CloudTrailRecord;
    try {
      record = JSON.parse(event.CloudTrailEvent ?? '{}') as CloudTrailRecord;
    } catch {
      continue; // not a CloudTrail record: nothing to attribute
    }
    if (record.eventSource !== undefined && record.eventSource !== 'secretsmanager.amazonaws.com') continue;
    const secrets = secretsOf(record, scope);
    if (secrets.length === 0) continue;
    const p = principalOf(record);
    const key = `${p.type}|${p.id}`;
    const g: Group = groups.get(key) ?? { p, calls: new Map(), denied: 0, times: [], sessions: new Set(), ips: new Set() };
    groups.set(key, g);
    const name = record.eventName ?? event.EventName ?? 'Unknown';
    for (const s of secrets) g.calls.set(`${name} ${s}`, (g.calls.get(`${name} ${s}`) ?? 0) + 1);
    if (record.errorCode) g.denied += 1;
    g.times.push(record.eventTime ?? event.EventTime?.toISOString() ?? '');
    if (p.session) g.sessions.add(p.session);
    if (record.sourceIPAddress) g.ips.add(record.sourceIPAddress);
  }
  const result = [...groups.values()].map(({ p, calls, denied, times, sessions, ips }) => {
    const expected =
      p.type === 'AWSService'
        ? scope.expectedServices.includes(p.id)
          ? 'an AWS service acting on the secrets'
          : undefined
        : scope.expected.find((e) => e.arn === p.id)?.why;
    const sorted = times.filter(Boolean).sort();
    return {
      ...p,
      ...(expected ? { expected } : {}),
      flagged: expected === undefined,
      calls: Object.fromEntries([...calls].sort(([a], [b]) => a.localeCompare(b))),
      denied,
      first: sorted[0] ?? '',
      last: sorted[sorted.length - 1] ?? '',
      sessions: [...sessions].sort(),
      sourceIps: [...ips].sort(),
    };
  });
  return result.sort((a, b) => Number(b.flagged) - Number(a.flagged) || a.id.localeCompare(b.id));
}

/** Every event of `AUDITED_EVENT_NAMES` between `since` and `until`, all pages (LookupEvents, one name a query). */
export async function lookupSecretEvents(client: CloudTrailClient, since: Date, until: Date): Promise<Event[]> {
  const events: Event[] = [];
  for (const name of AUDITED_EVENT_NAMES) {
    let token: string | undefined;
    do {
      const page = await client.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: name }],
          StartTime: since,
          EndTime: until,
          MaxResults: 50,
          NextToken: token,
        }),
      );
      events.push(...(page.Events ?? []));
      token = page.NextToken;
    } while (token);
  }
  return events;
}

/** The terminal rendering: flagged principals first, each with its calls. */
export function renderAudit(environment: string, since: Date, until: Date, activity: readonly PrincipalActivity[]): string {
  const flagged = activity.filter((a) => a.flagged).length;
  const out = [
    `Secrets of ${environment}, ${since.toISOString()} to ${until.toISOString()}: ${activity.length} principal(s), ${flagged} unexpected`,
    '',
  ];
  for (const a of activity) {
    out.push(`${a.flagged ? 'UNEXPECTED ' : ''}${a.id} (${a.type}${a.via ? `, via ${a.via}` : ''})${a.expected ? `: ${a.expected}` : ''}`);
    out.push(`  ${a.first} .. ${a.last}${a.denied ? `, ${a.denied} denied` : ''}`);
    for (const [call, n] of Object.entries(a.calls)) out.push(`  ${call}: ${n}`);
    if (a.sessions.length > 0)
      out.push(`  sessions: ${a.sessions.slice(0, 10).join(', ')}${a.sessions.length > 10 ? `, +${a.sessions.length - 10}` : ''}`);
    if (a.sourceIps.length > 0) out.push(`  from: ${a.sourceIps.slice(0, 10).join(', ')}`);
    out.push('');
  }
  return `${out.join('\n')}`;
}
