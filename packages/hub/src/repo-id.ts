import { HubClientError } from './errors.js';

/** Accepts `ORG/NAME` or `hf-hub:ORG/NAME`; returns `ORG/NAME`. */
export function parseRepoId(spec: string): string {
  const id = spec.startsWith('hf-hub:') ? spec.slice('hf-hub:'.length) : spec;
  const ok = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\/[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(id) && !id.includes('..');
  if (!ok) throw new HubClientError('BAD_REPO_ID', `Invalid repo '${spec}'; use ORG/NAME (or hf-hub:ORG/NAME)`);
  return id;
}
