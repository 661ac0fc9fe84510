import type { World } from './world';

/**
 * The services the stacks use: every service prefix of an action any policy of the world names (identity policies,
 * boundaries, resource policies; `*` adds nothing), and the service of every resource ARN. The search takes every
 * action of these services from the catalog.
 */
export function servicesOf(world: World): string[] {
  const out = new Set<string>();
  const visit = (doc: any) => {
    for (const s of [doc?.Statement].flat().filter(Boolean)) {
      for (const a of [s.Action ?? [], s.NotAction ?? []].flat() as string[]) {
        const service = a.split(':')[0];
        if (service && service !== '*') out.add(service.toLowerCase());
      }
    }
  };
  for (const p of world.principals.values()) [...p.identity, ...(p.boundary ?? [])].forEach(visit);
  for (const p of world.start) [...p.identity, ...(p.boundary ?? [])].forEach(visit);
  for (const r of world.resources) {
    visit(r.policy);
    out.add(r.arn.split(':')[2]);
  }
  return [...out].sort();
}
