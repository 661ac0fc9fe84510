import { loadCatalog, type ActionCatalog } from '../support/isolation/catalog';
import { chainOf, search } from '../support/isolation/search';
import type { Principal, World, WorldResource } from '../support/isolation/world';

/**
 * The isolation search's engine on a small world of its own: it follows a chain of three steps (assume a role, re-tag
 * a prod key, decrypt with it), stops at its fixed depth, and finds nothing when the one statement that opens the
 * chain is gone.
 */

const ACCOUNT = '111111111111';
const doc = (...Statement: any[]) => ({ Version: '2012-10-17', Statement });
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/prod-key`;
const HOP = `arn:aws:iam::${ACCOUNT}:role/fleapo-staging-hop`;

function world(hopTrust: any): World {
  const start: Principal = {
    label: 'the attacker',
    arn: `arn:aws:iam::${ACCOUNT}:role/attacker`,
    account: ACCOUNT,
    identity: [doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: HOP })],
  };
  const hop: Principal = {
    label: 'the hop role',
    arn: HOP,
    account: ACCOUNT,
    identity: [
      doc(
        {
          Effect: 'Allow',
          Action: 'kms:TagResource',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestTag/fleapo:environment': 'staging' } },
        },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { StringEquals: { 'aws:ResourceTag/fleapo:environment': 'staging' } },
        },
      ),
    ],
  };
  const resources: WorldResource[] = [
    { arn: HOP, account: ACCOUNT, label: 'role fleapo-staging-hop', side: 'staging', policy: hopTrust, runsAs: [HOP] },
    {
      arn: KEY,
      account: ACCOUNT,
      label: 'prod key (untagged)',
      side: 'prod',
      policy: doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }),
    },
  ];
  return {
    layout: {
      name: 'test',
      region: 'us-east-1',
      accounts: { staging: ACCOUNT, prod: ACCOUNT },
      qualifiers: { staging: 'stg', prod: 'prd' },
      repository: 'o/r',
    },
    start: [start],
    principals: new Map([[HOP, hop]]),
    resources,
    webIdentityRoles: [],
    stagingOwned: resources.filter((r) => r.side === 'staging'),
    prodPlacement: { cluster: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/none`, subnets: [], securityGroups: [] },
    stagingSubnets: [],
    vpcs: { staging: 'vpc-staging', prod: 'vpc-prod' },
    stagingImage: 'none',
  };
}

const trusting = (principal: string) => doc({ Effect: 'Allow', Principal: { AWS: principal }, Action: 'sts:AssumeRole' });

describe('the isolation search engine', () => {
  let catalog: ActionCatalog;
  beforeAll(async () => {
    catalog = await loadCatalog(['iam', 'kms', 'sts']);
  });

  test('follows assume → re-tag → decrypt to the prod key, with the chain', async () => {
    const result = await search(world(trusting(`arn:aws:iam::${ACCOUNT}:root`)), catalog, { depth: 3 });
    const decrypt = result.reaches.find((f) => f.action === 'kms:Decrypt');
    expect(decrypt && chainOf(decrypt.fact)).toEqual([
      'staging holds: the attacker',
      '[the attacker] sts:AssumeRole on role fleapo-staging-hop: now holds the hop role',
      '[the hop role] kms:TagResource on prod key (untagged): fleapo:environment=staging',
      '[the hop role] kms:Decrypt on prod key (untagged) (now tagged fleapo:environment=staging): PROD RESOURCE REACHED',
    ]);
    expect(decrypt!.fact.depth).toBe(3);
  });

  test('stops at its fixed depth', async () => {
    const result = await search(world(trusting(`arn:aws:iam::${ACCOUNT}:root`)), catalog, { depth: 2 });
    expect(result.reaches.map((f) => f.action)).toEqual(['kms:TagResource']);
  });

  test('finds nothing when the trust that opens the chain admits someone else', async () => {
    const result = await search(world(trusting(`arn:aws:iam::${ACCOUNT}:role/someone-else`)), catalog, { depth: 3 });
    expect(result.reaches).toEqual([]);
  });
});
