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
  /**
   * The deployment id for service tasks, what RunTask was given otherwise: set when the task starts and never changed
   * (ECS API reference, Task: "If an Amazon ECS service started the task, the startedBy parameter contains the
   * deployment ID of the service that starts it").
   */
  startedBy: string;
  /**
   * The deployment a service task counts for (its runningCount; the one whose completion keeps it): the one that
   * started it, or a rollback deployment that kept it (RollbackModel 'keeps-tasks'). Not an ECS field.
   */
  deploymentId?: string;
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
 * What a circuit-breaker rollback does with the service's tasks and deployments. Documented (docs/aws-facts.md,
 * "Test doubles' sourced behaviour"): the service is rolled back to the last deployment that completed, and a
 * rollback needs one. Not documented: whether that is a new deployment or the completed one resumed, and whether
 * the tasks it still runs are kept or replaced. The tests whose outcome depends on it run under each model:
 * - 'keeps-tasks': a new deployment of the previous task definition (reason "rolling back to deploymentId X") that
 *   keeps the previous deployment's running tasks (they were never replaced);
 * - 'replaces-tasks': a new deployment of the previous task definition that starts tasks of its own (they read the
 *   secrets when they start) and drains the previous deployment's tasks when it completes;
 * - 'resumes-previous': no new deployment: the last completed deployment becomes PRIMARY and IN_PROGRESS again,
 *   with its tasks.
 */
export type RollbackModel = 'keeps-tasks' | 'replaces-tasks' | 'resumes-previous';
export const ROLLBACK_MODELS: readonly RollbackModel[] = ['keeps-tasks', 'replaces-tasks', 'resumes-previous'];

/**
 * ECS double (AWS JSON 1.1, target prefix AmazonEC2ContainerServiceV20141113) for one service in one cluster, with
 * the behaviour the rollout decisions must survive:
 * - UpdateService(forceNewDeployment, or a new taskDefinition) creates a PRIMARY deployment (createdAt/updatedAt,
 *   rolloutState IN_PROGRESS); the former PRIMARY becomes ACTIVE and keeps its tasks while the new one rolls out.
 *   A deployment superseded before it completed never COMPLETES: when a newer one completes, every older one is
 *   INACTIVE and vanishes from DescribeServices, and its tasks stop.
 * - failDeployment: rolloutState FAILED, its tasks stop; with the circuit breaker's rollback (default), the service
 *   goes back to the last completed deployment as `rollbackModel` says (default 'keeps-tasks': a new PRIMARY
 *   deployment of the previous task definition, IN_PROGRESS, reason "ECS deployment circuit breaker: rolling back to
 *   deploymentId ...", keeping the previous deployment's running tasks). The failed deployment is gone from
 *   DescribeServices after `visibleForPolls` more calls (default 0: at the next poll).
 * - Tasks: service tasks (group `service:NAME`, startedBy the deployment) and standalone RunTask tasks (group
 *   `family:FAMILY`), with createdAt/startedAt/stoppedAt and lastStatus; ListTasks (cluster, family, serviceName,
 *   desiredStatus, pagination) and DescribeTasks. A task reads its secrets once, when it starts (`readSecrets`).
 * - `updateServiceError`: every UpdateService fails with it (permissions, a deleted service).
 * - A service that is not there (docs/aws-facts.md, "Test doubles' sourced behaviour"): DescribeServices of a name or ARN
 *   the cluster never had answers `services: []` with `failures: [{ arn, reason: "MISSING" }]` (no error);
 *   UpdateService of it throws ServiceNotFoundException. deleteService(): DRAINING while service tasks still run,
 *   then INACTIVE, both still described (UpdateService: ServiceNotActiveException); purgeService(): the INACTIVE
 *   record is cleaned up, DescribeServices throws ServiceNotFoundException.
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
  /** What a circuit-breaker rollback does (see RollbackModel). */
  rollbackModel: RollbackModel = 'keeps-tasks';
  private serviceStatus: 'ACTIVE' | 'DRAINING' | 'INACTIVE' | 'PURGED' = 'ACTIVE';
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
    const own = this.liveTasks.filter((t) => t.deploymentId === id);
    for (let i = own.length; i < this.desiredCount; i++) this.launch(`service:${this.serviceName}`, id, d.taskDefinition);
    for (const t of this.liveTasks) if (t.group === `service:${this.serviceName}` && t.deploymentId !== id) this.stopNow(t);
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
  failDeployment(
    id = this.primary.id,
    options: { rollback?: boolean; visibleForPolls?: number; model?: RollbackModel } = {},
  ): FakeDeployment | undefined {
    const d = this.deployment(id);
    d.rolloutState = 'FAILED';
    d.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    d.updatedAt = this.now();
    for (const t of this.liveTasks) if (t.deploymentId === id) this.stopNow(t);
    if (options.rollback === false) return undefined;
    // Back to the newest deployment that completed (still ACTIVE: its tasks were never all replaced).
    const previous = [...this.deployments].reverse().find((x) => x !== d && x.status !== 'INACTIVE' && x.rolloutState === 'COMPLETED');
    if (previous === undefined) return undefined;
    d.status = 'ACTIVE';
    d.visibleFor = options.visibleForPolls ?? 0;
    for (const x of this.deployments) if (x.status === 'PRIMARY') x.status = 'ACTIVE';
    const model = options.model ?? this.rollbackModel;
    if (model === 'resumes-previous') {
      previous.status = 'PRIMARY';
      previous.rolloutState = 'IN_PROGRESS';
      previous.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${previous.id}.`;
      previous.updatedAt = this.now();
      this.taskDefinition = previous.taskDefinition;
      return previous;
    }
    const rollback = this.addDeployment(previous.taskDefinition);
    rollback.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${previous.id}.`;
    if (model === 'keeps-tasks') {
      // Kept, never replaced: they count for the rollback deployment now (their startedBy stays what it was).
      for (const t of this.liveTasks) if (t.deploymentId === previous.id) t.deploymentId = rollback.id;
      previous.status = 'INACTIVE';
    }
    // 'replaces-tasks': the previous deployment keeps its tasks (ACTIVE) until the rollback completes and drains it.
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

  /**
   * DeleteService (with desiredCount 0): DRAINING while its tasks still run (`drain: false` leaves them running),
   * then INACTIVE once they stopped. DescribeServices still describes it; UpdateService fails.
   */
  deleteService(options: { drain?: boolean } = {}): void {
    this.desiredCount = 0;
    this.serviceStatus = 'DRAINING';
    if (options.drain === false) return;
    for (const t of this.liveTasks) if (t.group === `service:${this.serviceName}`) this.stopNow(t);
    this.serviceStatus = 'INACTIVE';
  }

  /** The INACTIVE service's record is cleaned up: DescribeServices throws ServiceNotFoundException. */
  purgeService(): void {
    if (this.serviceStatus !== 'INACTIVE') throw new Error('fake ECS: only an INACTIVE service is purged');
    this.serviceStatus = 'PURGED';
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
      ...(group.startsWith('service:') ? { deploymentId: startedBy } : {}),
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

  private isService(service: unknown): boolean {
    return service === this.serviceArn || service === this.serviceName;
  }

  private checkTarget(cluster: unknown, service: unknown): void {
    this.checkCluster(cluster);
    if (!this.isService(service) || this.serviceStatus === 'PURGED') throw new AwsError('ServiceNotFoundException', 'Service not found.');
  }

  private serviceView() {
    const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
    return {
      serviceArn: this.serviceArn,
      serviceName: this.serviceName,
      clusterArn: this.clusterArn,
      status: this.serviceStatus as 'ACTIVE' | 'DRAINING' | 'INACTIVE',
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
          runningCount: this.liveTasks.filter((t) => t.deploymentId === d.id).length,
          createdAt: seconds(d.createdAt),
          updatedAt: seconds(d.updatedAt),
        })),
    };
  }

  private updateService(input: Record<string, unknown>) {
    this.checkTarget(input.cluster, input.service);
    if (this.updateServiceError) throw this.updateServiceError;
    if (this.serviceStatus !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
    const taskDefinition = typeof input.taskDefinition === 'string' ? input.taskDefinition : undefined;
    if (input.forceNewDeployment === true || (taskDefinition !== undefined && taskDefinition !== this.taskDefinition)) {
      this.startDeployment(taskDefinition ?? this.taskDefinition);
    }
    return { service: this.serviceView() };
  }

  private describeServices(input: Record<string, unknown>) {
    const services = (input.services as string[]) ?? [];
    this.checkCluster(input.cluster);
    if (services.length !== 1) throw new AwsError('InvalidParameterException', 'test double: describe exactly one service');
    if (!this.isService(services[0])) {
      const arn = String(services[0]).startsWith('arn:')
        ? services[0]
        : `arn:aws:ecs:${this.region}:${this.account}:service/${this.clusterName}/${services[0]}`;
      return { services: [], failures: [{ arn, reason: 'MISSING' }] };
    }
    if (this.serviceStatus === 'PURGED') throw new AwsError('ServiceNotFoundException', 'Service not found.');
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
