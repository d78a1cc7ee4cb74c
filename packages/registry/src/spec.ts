import { RegistryError } from './errors.js';

export type ParsedSpec =
  | { kind: 'name'; name: string; tag: string | null }
  | { kind: 'hf-hub'; repo: string; revision: string | null }
  | { kind: 'local-dir'; path: string };

// Hugging Face repo ids: 'org/name', letters, digits, '-', '_', '.', no '--' or '..', not starting/ending with '-' or '.'.
const REPO_PART = /^(?![-.])(?!.*(--|\.\.))[A-Za-z0-9_.-]{1,96}(?<![-.])$/;

/**
 * Splits a spec: `hf-hub:org/repo[@rev]`, `local-dir:PATH`, `NAME:TAG`, or a bare `NAME` (which may be
 * `ARCH/TAG`; resolve() decides, since open_clip also accepts 'ViT-B/32' for 'ViT-B-32').
 */
export function parseSpec(spec: string): ParsedSpec {
  const s = spec.trim();
  if (s.startsWith('hf-hub:')) {
    const id = s.slice('hf-hub:'.length);
    const at = id.indexOf('@');
    const repo = at >= 0 ? id.slice(0, at) : id;
    const revision = at >= 0 ? id.slice(at + 1) : null;
    const parts = repo.split('/');
    if (
      parts.length !== 2 ||
      !parts.every((p) => REPO_PART.test(p)) ||
      (revision !== null && !/^[\w./-]+$/.test(revision))
    ) {
      throw new RegistryError(
        'BAD_SPEC',
        `'${spec}' is not a valid Hub spec; write hf-hub:ORG/REPO or hf-hub:ORG/REPO@REVISION (e.g. hf-hub:timm/vit_base_patch32_clip_224.openai).`,
      );
    }
    return { kind: 'hf-hub', repo, revision };
  }
  if (s.startsWith('local-dir:')) {
    const p = s.slice('local-dir:'.length);
    if (!p) throw new RegistryError('BAD_SPEC', `'${spec}' names no folder; write local-dir:PATH.`);
    return { kind: 'local-dir', path: p };
  }
  if (!s)
    throw new RegistryError(
      'BAD_SPEC',
      'the model spec is empty; give ARCH, ARCH:TAG, hf-hub:ORG/REPO or local-dir:PATH.',
    );
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const name = s.slice(0, colon);
    const tag = s.slice(colon + 1);
    if (!name || !tag || tag.includes(':'))
      throw new RegistryError('BAD_SPEC', `'${spec}' is not ARCH:TAG; write e.g. ViT-B-32:laion2b_s34b_b79k.`);
    return { kind: 'name', name, tag };
  }
  return { kind: 'name', name: s, tag: null };
}

/** open_clip's _clean_tag: tags match case-insensitively, with '-' read as '_'. */
export function cleanTag(tag: string): string {
  return tag.toLowerCase().replace(/-/g, '_');
}
