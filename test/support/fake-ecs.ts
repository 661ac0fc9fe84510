import { AwsError, AwsJsonServer, AwsServiceDouble } from './aws-json-server';

export interface FakeDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  createdAt: number;
}

export interface FakeTask {
  taskArn: string;
  /** The deployment that started it (ECS's `startedBy`). */
  startedBy: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  /** When it started and read its `secrets` (ms); undefined while PENDING. */
  startedAt?: number;
}

/**
 * Minimal ECS double (AWS JSON 1.1, target prefix AmazonEC2ContainerServiceV20141113) for one
 * service: UpdateService(forceNewDeployment) starts a PRIMARY deployment `ecs-svc/N`, the former
 * PRIMARY becomes ACTIVE; DescribeServices lists deployments (an INACTIVE one vanishes from it). Tests complete or fail
 * deployments. Tasks: `desiredCount` RUNNING tasks of the first deployment; completing a deployment stops every task
 * of the others and starts its own (ListTasks by desiredStatus, DescribeTasks with `startedAt`); `startTask` /
 * `stopTask` model stragglers and overlaps.
 */
export class FakeEcs extends AwsServiceDouble {
  readonly clusterArn = 'arn:aws:ecs:us-east-1:111111111111:cluster/fleapo';
  readonly serviceName = 'fleapo-api';
  readonly serviceArn = `arn:aws:ecs:us-east-1:111111111111:service/fleapo/${this.serviceName}`;
  deployments: FakeDeployment[] = [];
  tasks: FakeTask[] = [];
  desiredCount = 2;
  private counter = 1000;
  private taskCounter = 0;
  readonly server = new AwsJsonServer('AmazonEC2ContainerServiceV20141113', {
    UpdateService: (i) => this.updateService(i),
    DescribeServices: (i) => this.describeServices(i),
    ListTasks: (i) => this.listTasks(i),
    DescribeTasks: (i) => this.describeTasks(i),
  });

  constructor() {
    super();
    this.deployments.push({ id: this.nextId(), status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: Date.now() });
    for (let i = 0; i < this.desiredCount; i++) this.startTask(this.deployments[0].id);
  }

  /** Starts a RUNNING task of `deploymentId` now (it reads its secrets now). */
  startTask(deploymentId = this.primary.id, startedAt = Date.now()): FakeTask {
    this.taskCounter += 1;
    const task: FakeTask = {
      taskArn: `arn:aws:ecs:us-east-1:111111111111:task/fleapo/${this.taskCounter.toString(16).padStart(32, '0')}`,
      startedBy: deploymentId,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      startedAt,
    };
    this.tasks.push(task);
    return task;
  }

  /** Stops a task: `draining` leaves it RUNNING with desired STOPPED (deregistering), else STOPPED. */
  stopTask(task: FakeTask, draining = false): void {
    task.desiredStatus = 'STOPPED';
    if (!draining) task.lastStatus = 'STOPPED';
  }

  /** Tasks that are not STOPPED. */
  get liveTasks(): FakeTask[] {
    return this.tasks.filter((t) => t.lastStatus !== 'STOPPED');
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
    for (const t of this.liveTasks) if (t.startedBy !== id) this.stopTask(t);
    while (this.liveTasks.length < this.desiredCount) this.startTask(id, Math.max(Date.now(), d.createdAt));
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

  private listTasks(input: Record<string, unknown>) {
    this.checkTarget(input.cluster, input.serviceName);
    const desired = (input.desiredStatus as string | undefined) ?? 'RUNNING';
    return { taskArns: this.tasks.filter((t) => t.desiredStatus === desired).map((t) => t.taskArn) };
  }

  private describeTasks(input: Record<string, unknown>) {
    if (input.cluster !== this.clusterArn && input.cluster !== 'fleapo') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    const arns = (input.tasks as string[]) ?? [];
    if (arns.length > 100) throw new AwsError('InvalidParameterException', 'At most 100 tasks per DescribeTasks call.');
    const found = this.tasks.filter((t) => arns.includes(t.taskArn));
    return {
      tasks: found.map((t) => ({
        taskArn: t.taskArn,
        clusterArn: this.clusterArn,
        startedBy: t.startedBy,
        lastStatus: t.lastStatus,
        desiredStatus: t.desiredStatus,
        ...(t.startedAt !== undefined ? { startedAt: t.startedAt / 1000 } : {}),
      })),
      failures: arns.filter((a) => !found.some((t) => t.taskArn === a)).map((arn) => ({ arn, reason: 'MISSING' })),
    };
  }

  private describeServices(input: Record<string, unknown>) {
    const services = (input.services as string[]) ?? [];
    this.checkTarget(input.cluster, services[0]);
    return { services: [this.serviceView()], failures: [] };
  }
}
