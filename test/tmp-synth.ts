import { synthesizeApp } from './infra/synthesized-app';
const all = synthesizeApp();
const t = all['FleapoGithubOidc-111111111111'];
for (const [id, r] of Object.entries(t.Resources)) {
  if (r.Type === 'AWS::IAM::ManagedPolicy') console.log(id, r.Properties.ManagedPolicyName, JSON.stringify(r.Properties.PolicyDocument).replace(/\s/g,'').length);
}
const s = all['Fleapo-staging'];
for (const [id, r] of Object.entries(s.Resources)) if (r.Type === 'AWS::IAM::Role') console.log(id, r.Properties.RoleName, JSON.stringify(r.Properties.PermissionsBoundary));
