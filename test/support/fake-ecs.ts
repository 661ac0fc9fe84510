import { AwsError, AwsJsonServer, AwsServiceDouble } from './aws-json-server';

export interface FakeDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  createdAt: number;
}

/**
 * Minimal ECS double (AWS JSON 1.1, target prefix AmazonEC2ContainerServiceV20141113) for one
 * service: UpdateService(forceNewDeployment) starts a PRIMARY deployment `ecs-svc/N`, the former
 * PRIMARY becomes ACTIVE; DescribeServices lists deployments. Tests complete or fail deployments.
 */
export class FakeEcs extends AwsServiceDouble {
  readonly clusterArn = 'arn:aws:ecs:us-east-1:111111111111:cluster/fleapo';
  readonly serviceName = 'fleapo-api';
  readonly serviceArn = `arn:aws:ecs:us-east-1:111111111111:service/fleapo/${this.serviceName}`;
  deployments: FakeDeployment[] = [];
  private counter = 1000;
  readonly server = new AwsJsonServer('AmazonEC2ContainerServiceV20141113', {
    UpdateService: (i) => this.updateService(i),
    DescribeServices: (i) => this.describeServices(i),
  });

  constructor() {
    super();
    this.deployments.push({ id: this.nextId(), status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: Date.now() });
  }

  /** Number of forced new deployments requested so far (successful UpdateService calls). */
  get rollCount(): number {
    return this.deployments.length - 1;
  }

  get primary(): FakeDeployment {
    return this.deployments.find((d) => d.status === 'PRIMARY')!;
  }

  completeDeployment(id = this.primary.id): void {
    const d = this.deployments.find((x) => x.id === id)!;
    d.rolloutState = 'COMPLETED';
    for (const other of this.deployments) if (other.status === 'ACTIVE') other.status = 'INACTIVE';
  }

  failDeployment(id = this.primary.id): void {
    this.deployments.find((x) => x.id === id)!.rolloutState = 'FAILED';
  }

  private nextId(): string {
    this.counter += 1;
    return `ecs-svc/${this.counter}${Math.floor(Math.random() * 1e6)}`;
  }

  private checkTarget(cluster: unknown, service: unknown): void {
    if (cluster !== this.clusterArn && cluster !== 'fleapo') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    if (service !== this.serviceArn && service !== this.serviceName) throw new AwsError('ServiceNotFoundException', 'Service not found.');
  }

  private serviceView() {
    return {
      serviceArn: this.serviceArn,
      serviceName: this.serviceName,
      clusterArn: this.clusterArn,
      status: 'ACTIVE',
      deployments: this.deployments
        .filter((d) => d.status !== 'INACTIVE')
        .map((d) => ({ id: d.id, status: d.status, rolloutState: d.rolloutState, createdAt: d.createdAt / 1000 })),
    };
  }

  private updateService(input: Record<string, unknown>) {
    this.checkTarget(input.cluster, input.service);
    if (input.forceNewDeployment === true) {
      for (const d of this.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
      this.deployments.push({ id: this.nextId(), status: 'PRIMARY', rolloutState: 'IN_PROGRESS', createdAt: Date.now() });
    }
    return { service: this.serviceView() };
  }

  private describeServices(input: Record<string, unknown>) {
    const services = (input.services as string[]) ?? [];
    this.checkTarget(input.cluster, services[0]);
    return { services: [this.serviceView()], failures: [] };
  }
}
