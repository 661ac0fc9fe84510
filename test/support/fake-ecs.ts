import { AwsError, AwsJsonServer, AwsServiceDouble } from './aws-json-server';

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface FakeDeployment {
  id: string;
  status: DeploymentStatus;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  taskDefinition: string;
  createdAt: number;
  updatedAt: number;
  /** DescribeServices calls left before a FAILED deployment is INACTIVE (gone from the answer). */
  visibleFor?: number;
}

/** What a task read from its `secrets` when it started (a test-supplied reader: version ids and values). */
export type TaskSecrets = Record<string, { versionId?: string; value?: string }>;

export interface FakeTask {
  taskArn: string;
  /** `service:<name>` for service tasks, `family:<family>` for RunTask. */
  group: string;
  /** The deployment id for service tasks, what RunTask was given otherwise. */
  startedBy: string;
  taskDefinitionArn: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  /** Read once at start, like ECS resolving `secrets`: never refreshed. */
  secrets: TaskSecrets;
}

/**
 * ECS double (AWS JSON 1.1, target prefix AmazonEC2ContainerServiceV20141113) for one service in one cluster, with
 * the behaviour the rollout decisions must survive:
 * - UpdateService(forceNewDeployment, or a new taskDefinition) creates a PRIMARY deployment (createdAt/updatedAt,
 *   rolloutState IN_PROGRESS); the former PRIMARY becomes ACTIVE and keeps its tasks while the new one rolls out.
 *   A deployment superseded before it completed never COMPLETES: when a newer one completes, every older one is
 *   INACTIVE and vanishes from DescribeServices, and its tasks stop.
 * - failDeployment: rolloutState FAILED; with the circuit breaker's rollback (default), a new PRIMARY deployment of the
 *   previous task definition is created IN_PROGRESS with reason "ECS deployment circuit breaker: rolling back to
 *   deploymentId ...", it keeps the previous deployment's running tasks (they were never replaced), and the failed
 *   deployment's tasks stop. The failed deployment is gone from DescribeServices after `visibleForPolls` more calls
 *   (default 0: at the next poll).
 * - Tasks: service tasks (group `service:NAME`, startedBy the deployment) and standalone RunTask tasks (group
 *   `family:FAMILY`), with createdAt/startedAt/stoppedAt and lastStatus; ListTasks (cluster, family, serviceName,
 *   desiredStatus, pagination) and DescribeTasks. A task reads its secrets once, when it starts (`readSecrets`).
 * - `updateServiceError`: every UpdateService fails with it (permissions, a deleted service); deleteService makes
 *   the service INACTIVE (UpdateService: ServiceNotActiveException).
 * Times are a strictly increasing clock (ms), so "created before/after" is never a tie.
 */
export class FakeEcs extends AwsServiceDouble {
  readonly region = 'us-east-1';
  readonly account = '111111111111';
  readonly clusterName = 'fleapo';
  readonly clusterArn = `arn:aws:ecs:${this.region}:${this.account}:cluster/${this.clusterName}`;
  readonly serviceName = 'fleapo-api';
  readonly serviceArn = `arn:aws:ecs:${this.region}:${this.account}:service/${this.clusterName}/${this.serviceName}`;
  readonly family = 'fleapo-web';
  taskDefinition = this.taskDefinitionArn(1);
  desiredCount = 2;
  deployments: FakeDeployment[] = [];
  tasks: FakeTask[] = [];
  /** What a starting task reads from its secrets. Default: nothing. */
  readSecrets: () => TaskSecrets = () => ({});
  /** Called after a task started (e.g. to open its database pool) or stopped (to close it). */
  onTaskStarted: (task: FakeTask) => void = () => undefined;
  onTaskStopped: (task: FakeTask) => void = () => undefined;
  /** When set, every UpdateService fails with it. */
  updateServiceError: AwsError | undefined;
  /** ListTasks page size (small values exercise pagination). */
  pageSize = 100;
  private serviceStatus: 'ACTIVE' | 'INACTIVE' = 'ACTIVE';
  private rolls = 0;
  private counter = 1000;
  private lastTime = 0;
  readonly server = new AwsJsonServer('AmazonEC2ContainerServiceV20141113', {
    UpdateService: (i) => this.updateService(i),
    DescribeServices: (i) => this.describeServices(i),
    ListTasks: (i) => this.listTasks(i),
    DescribeTasks: (i) => this.describeTasks(i),
  });

  constructor() {
    super();
    const first = this.addDeployment(this.taskDefinition);
    this.completeDeployment(first.id);
  }

  taskDefinitionArn(revision: number, family = this.family): string {
    return `arn:aws:ecs:${this.region}:${this.account}:task-definition/${family}:${revision}`;
  }

  /** A strictly increasing millisecond clock. */
  now(): number {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    return this.lastTime;
  }

  /** Number of deployments requested with UpdateService so far (rollbacks not counted). */
  get rollCount(): number {
    return this.rolls;
  }

  get primary(): FakeDeployment {
    return this.deployments.find((d) => d.status === 'PRIMARY')!;
  }

  deployment(id: string): FakeDeployment {
    const d = this.deployments.find((x) => x.id === id);
    if (!d) throw new Error(`fake ECS: no deployment ${id}`);
    return d;
  }

  /** Tasks whose containers may still run (not STOPPED). */
  get liveTasks(): FakeTask[] {
    return this.tasks.filter((t) => t.lastStatus !== 'STOPPED');
  }

  /** A code deploy: UpdateService with a new task definition revision (as a deploy pipeline would call it). */
  deployNewRevision(family = this.family): FakeDeployment {
    const revision = Number(/:(\d+)$/.exec(this.taskDefinition)![1]) + 1;
    return this.startDeployment(this.taskDefinitionArn(revision, family));
  }

  /** Starts `count` tasks of a deployment (what the scheduler does while it rolls out). */
  startTasks(deploymentId = this.primary.id, count = 1): FakeTask[] {
    const d = this.deployment(deploymentId);
    return Array.from({ length: count }, () => this.launch(`service:${this.serviceName}`, d.id, d.taskDefinition));
  }

  /**
   * The PRIMARY deployment reaches steady state: it runs desiredCount tasks (starting the missing ones), every
   * older deployment's tasks stop and those deployments become INACTIVE (gone from DescribeServices).
   */
  completeDeployment(id = this.primary.id): void {
    const d = this.deployment(id);
    if (d.status !== 'PRIMARY') throw new Error(`fake ECS: only the PRIMARY deployment completes (${id} is ${d.status})`);
    const own = this.liveTasks.filter((t) => t.startedBy === id);
    for (let i = own.length; i < this.desiredCount; i++) this.launch(`service:${this.serviceName}`, id, d.taskDefinition);
    for (const t of this.liveTasks) if (t.group === `service:${this.serviceName}` && t.startedBy !== id) this.stopNow(t);
    d.rolloutState = 'COMPLETED';
    d.rolloutStateReason = `ECS deployment ${id} completed.`;
    d.updatedAt = this.now();
    for (const other of this.deployments) if (other !== d && other.status !== 'INACTIVE') other.status = 'INACTIVE';
  }

  /**
   * The deployment fails (its tasks never became healthy). With rollback (the circuit breaker's), ECS creates a
   * rollback deployment of the previous deployment's task definition that keeps that deployment's tasks, and the
   * failed deployment is reported for `visibleForPolls` more DescribeServices calls, then vanishes.
   */
  failDeployment(id = this.primary.id, options: { rollback?: boolean; visibleForPolls?: number } = {}): FakeDeployment | undefined {
    const d = this.deployment(id);
    d.rolloutState = 'FAILED';
    d.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    d.updatedAt = this.now();
    for (const t of this.liveTasks) if (t.startedBy === id) this.stopNow(t);
    if (options.rollback === false) return undefined;
    // Back to the newest deployment that completed (still ACTIVE: its tasks were never all replaced).
    const previous = [...this.deployments].reverse().find((x) => x !== d && x.status !== 'INACTIVE' && x.rolloutState === 'COMPLETED');
    if (previous === undefined) return undefined;
    d.status = 'ACTIVE';
    d.visibleFor = options.visibleForPolls ?? 0;
    for (const x of this.deployments) if (x.status === 'PRIMARY') x.status = 'ACTIVE';
    const rollback = this.addDeployment(previous.taskDefinition);
    rollback.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${previous.id}.`;
    for (const t of this.liveTasks) if (t.startedBy === previous.id) t.startedBy = rollback.id; // kept, never replaced
    previous.status = 'INACTIVE';
    return rollback;
  }

  /** A standalone task (RunTask: a migration, a one-off job) of the service's task family. */
  runTask(startedBy = 'migration', taskDefinition = this.taskDefinition): FakeTask {
    return this.launch(`family:${/task-definition\/([^:]+)/.exec(taskDefinition)![1]}`, startedBy, taskDefinition);
  }

  /** A task told to stop that is still draining (desired STOPPED, last status DEACTIVATING): its containers still run. */
  drainTask(taskArn: string): void {
    const t = this.tasks.find((x) => x.taskArn === taskArn);
    if (!t) throw new Error(`fake ECS: no task ${taskArn}`);
    t.desiredStatus = 'STOPPED';
    t.lastStatus = 'DEACTIVATING';
  }

  stopTask(taskArn: string): void {
    const t = this.tasks.find((x) => x.taskArn === taskArn);
    if (!t) throw new Error(`fake ECS: no task ${taskArn}`);
    this.stopNow(t);
  }

  /** The service is deleted: DescribeServices reports it INACTIVE, UpdateService fails. */
  deleteService(): void {
    this.serviceStatus = 'INACTIVE';
  }

  // ---- internals ----

  private nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter}${Math.floor(Math.random() * 1e6)}`;
  }

  private addDeployment(taskDefinition: string): FakeDeployment {
    const at = this.now();
    const d: FakeDeployment = {
      id: this.nextId('ecs-svc/'),
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment detected.',
      taskDefinition,
      createdAt: at,
      updatedAt: at,
    };
    this.deployments.push(d);
    this.taskDefinition = taskDefinition;
    return d;
  }

  private startDeployment(taskDefinition: string): FakeDeployment {
    for (const d of this.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
    this.rolls += 1;
    return this.addDeployment(taskDefinition);
  }

  private launch(group: string, startedBy: string, taskDefinitionArn: string): FakeTask {
    const createdAt = this.now();
    const task: FakeTask = {
      taskArn: `arn:aws:ecs:${this.region}:${this.account}:task/${this.clusterName}/${this.nextId('t')}`,
      group,
      startedBy,
      taskDefinitionArn,
      lastStatus: 'PENDING',
      desiredStatus: 'RUNNING',
      createdAt,
      secrets: {},
    };
    this.tasks.push(task);
    task.secrets = this.readSecrets(); // ECS resolves `secrets` before the containers start
    task.startedAt = this.now();
    task.lastStatus = 'RUNNING';
    this.onTaskStarted(task);
    return task;
  }

  private stopNow(task: FakeTask): void {
    if (task.lastStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    task.lastStatus = 'STOPPED';
    task.stoppedAt = this.now();
    this.onTaskStopped(task);
  }

  private checkCluster(cluster: unknown): void {
    if (cluster !== this.clusterArn && cluster !== this.clusterName) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
  }

  private checkTarget(cluster: unknown, service: unknown): void {
    this.checkCluster(cluster);
    if (service !== this.serviceArn && service !== this.serviceName) throw new AwsError('ServiceNotFoundException', 'Service not found.');
  }

  private serviceView() {
    const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
    return {
      serviceArn: this.serviceArn,
      serviceName: this.serviceName,
      clusterArn: this.clusterArn,
      status: this.serviceStatus,
      taskDefinition: this.taskDefinition,
      desiredCount: this.desiredCount,
      runningCount: this.liveTasks.filter((t) => t.group === `service:${this.serviceName}`).length,
      deployments: this.deployments
        .filter((d) => d.status !== 'INACTIVE')
        .map((d) => ({
          id: d.id,
          status: d.status,
          taskDefinition: d.taskDefinition,
          rolloutState: d.rolloutState,
          rolloutStateReason: d.rolloutStateReason,
          runningCount: this.liveTasks.filter((t) => t.startedBy === d.id).length,
          createdAt: seconds(d.createdAt),
          updatedAt: seconds(d.updatedAt),
        })),
    };
  }

  private updateService(input: Record<string, unknown>) {
    this.checkTarget(input.cluster, input.service);
    if (this.updateServiceError) throw this.updateServiceError;
    if (this.serviceStatus === 'INACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    const taskDefinition = typeof input.taskDefinition === 'string' ? input.taskDefinition : undefined;
    if (input.forceNewDeployment === true || (taskDefinition !== undefined && taskDefinition !== this.taskDefinition)) {
      this.startDeployment(taskDefinition ?? this.taskDefinition);
    }
    return { service: this.serviceView() };
  }

  private describeServices(input: Record<string, unknown>) {
    const services = (input.services as string[]) ?? [];
    this.checkTarget(input.cluster, services[0]);
    const view = this.serviceView();
    // A failed deployment is reported a limited number of times after its rollback started, then it is gone.
    for (const d of this.deployments) {
      if (d.visibleFor === undefined || d.status === 'INACTIVE') continue;
      if (d.visibleFor <= 0) {
        d.status = 'INACTIVE';
        view.deployments = view.deployments.filter((x) => x.id !== d.id);
      } else d.visibleFor -= 1;
    }
    return { services: [view], failures: [] };
  }

  private listTasks(input: Record<string, unknown>) {
    this.checkCluster(input.cluster);
    const desired = (input.desiredStatus as string | undefined) ?? 'RUNNING';
    const family = input.family as string | undefined;
    const serviceName = input.serviceName as string | undefined;
    const matching = this.tasks.filter(
      (t) =>
        t.desiredStatus === desired &&
        (family === undefined || t.taskDefinitionArn.includes(`task-definition/${family}:`)) &&
        (serviceName === undefined || t.group === `service:${serviceName}`),
    );
    const start = input.nextToken === undefined ? 0 : Number(input.nextToken);
    const size = Math.min(Number(input.maxResults ?? this.pageSize), this.pageSize);
    const page = matching.slice(start, start + size);
    return { taskArns: page.map((t) => t.taskArn), ...(start + size < matching.length ? { nextToken: String(start + size) } : {}) };
  }

  private describeTasks(input: Record<string, unknown>) {
    this.checkCluster(input.cluster);
    const arns = (input.tasks as string[]) ?? [];
    if (arns.length > 100) throw new AwsError('InvalidParameterException', 'Tasks cannot be longer than 100.');
    const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
    const tasks = this.tasks
      .filter((t) => arns.includes(t.taskArn))
      .map((t) => ({
        taskArn: t.taskArn,
        clusterArn: this.clusterArn,
        group: t.group,
        startedBy: t.startedBy,
        taskDefinitionArn: t.taskDefinitionArn,
        lastStatus: t.lastStatus,
        desiredStatus: t.desiredStatus,
        launchType: 'FARGATE',
        createdAt: seconds(t.createdAt),
        startedAt: seconds(t.startedAt),
        stoppedAt: seconds(t.stoppedAt),
      }));
    const failures = arns.filter((a) => !this.tasks.some((t) => t.taskArn === a)).map((arn) => ({ arn, reason: 'MISSING' }));
    return { tasks, failures };
  }
}
