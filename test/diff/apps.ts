import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sm from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';

export interface Variant {
  /** Changing it replaces the secret (SecretName is a replacement property). */
  secretName: string;
  /** Head: `s3:*` on `*` instead of s3:GetObject on one bucket. */
  broadIam: boolean;
  /** Head: an extra ingress rule from anywhere. */
  openIngress: boolean;
  /** Head: the KMS key removed. */
  dropKey: boolean;
  /** Head: an empty stack added, the legacy stack (a secret and a queue) removed. */
  stacksMoved: boolean;
}

export const BASE: Variant = {
  secretName: 'fleapo/test/auth-secret',
  broadIam: false,
  openIngress: false,
  dropKey: false,
  stacksMoved: false,
};

/** Synthesizes a small two-stack app into a fresh directory and returns the directory. */
export function synthVariant(v: Variant): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-app-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:bundling-stacks': [] } });
  const env = { account: '123456789012', region: 'us-east-1' };
  const stack = new Stack(app, 'Main', { env });
  new sm.Secret(stack, 'AuthSecret', { secretName: v.secretName, removalPolicy: RemovalPolicy.DESTROY });
  if (!v.dropKey) new kms.Key(stack, 'Key', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  role.addToPolicy(
    v.broadIam
      ? new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] })
      : new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::fleapo-assets/*'] }),
  );
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['us-east-1a'],
    privateSubnetIds: ['subnet-0123456789abcdef0'],
  });
  const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: false });
  if (v.openIngress) {
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(5432));
    // The diff must show this change; the validation's warning about it would only be noise in the test output.
    Validations.of(sg).acknowledge({
      id: 'CloudFormation-Validate::W2508',
      reason: 'Test fixture: the open ingress is the change the diff must report.',
    });
  }
  if (v.stacksMoved) new ssm.StringParameter(new Stack(app, 'Added', { env }), 'Param', { stringValue: 'https://api.example.com' });
  else {
    const legacy = new Stack(app, 'Legacy', { env });
    new sm.Secret(legacy, 'OldSecret', { removalPolicy: RemovalPolicy.DESTROY });
    new sqs.Queue(legacy, 'Queue', { removalPolicy: RemovalPolicy.DESTROY, enforceSSL: true });
  }
  app.synth();
  return outdir;
}
