import { TorchReaderError } from './errors.js';
import { isDict, isObject, isTensor, type PyObject, type PyTensor, type PyValue } from './pyvalue.js';

export interface ModuleLists {
  parameters: string[];
  buffers: string[];
}

export interface TorchScriptState {
  /** Parameters and buffers in `torch.jit.load(f).state_dict()` order. */
  entries: Array<{ name: string; tensor: PyTensor; buffer: boolean }>;
  attributes: Record<string, number | string | boolean | number[]>;
}

const MAX_DEPTH = 1000;

/**
 * The `__parameters__` / `__buffers__` lists of every TorchScript class, keyed by qualified name
 * (`__torch__.open_clip.model.CLIP`), read from the archive's `code/__torch__/**.py` sources.
 */
export function parseModuleLists(code: Map<string, string>): Map<string, ModuleLists> {
  const out = new Map<string, ModuleLists>();
  const list = (s: string | undefined): string[] => [...(s ?? '').matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
  for (const [file, src] of code) {
    const module = file.replace(/^code\//, '').replace(/\.py$/, '').split('/').join('.');
    for (const m of src.matchAll(/^class (\w+)\([^)]*\):\n((?:[ \t]+.*\n?|\n)*)/gm)) {
      const body = m[2] ?? '';
      out.set(`${module}.${m[1]}`, {
        parameters: list(/^\s+__parameters__ = \[(.*)\]/m.exec(body)?.[1]),
        buffers: list(/^\s+__buffers__ = \[(.*)\]/m.exec(body)?.[1]),
      });
    }
  }
  return out;
}

function attribute(v: PyValue): number | string | boolean | number[] | undefined {
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

/**
 * Walks a TorchScript module tree (inert `__torch__.*` records whose BUILD state holds attributes,
 * tensors and submodules) and names its parameters and buffers as `torch.jit.load(f).state_dict()`
 * does: each module's parameters, then its buffers, then its submodules, depth first.
 */
export function torchscriptState(root: PyValue, lists: Map<string, ModuleLists>, path: string): TorchScriptState {
  if (!isObject(root) || !root.module.startsWith('__torch__')) {
    throw new TorchReaderError('E_FORMAT', `${path}: the TorchScript data.pkl does not hold a module; it is not a TorchScript model`);
  }
  const entries: TorchScriptState['entries'] = [];
  const attributes: TorchScriptState['attributes'] = {};
  const seen = new Set<PyObject>();
  const visit = (mod: PyObject, prefix: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new TorchReaderError('E_LIMIT', `${path}: TorchScript modules nested deeper than ${MAX_DEPTH}; the file is corrupt or hostile`);
    if (seen.has(mod)) return; // shared submodules appear once, as in named_modules()
    seen.add(mod);
    const state = mod.state;
    if (!isDict(state)) return;
    const info = lists.get(`${mod.module}.${mod.name}`);
    const params = info?.parameters ?? [...state].filter(([, v]) => isTensor(v)).map(([k]) => String(k));
    for (const [names, buffer] of [[params, false], [info?.buffers ?? [], true]] as const) {
      for (const n of names) {
        const t = state.get(n);
        if (t !== undefined && isTensor(t)) entries.push({ name: prefix + n, tensor: t, buffer });
      }
    }
    for (const [k, v] of state) {
      if (typeof k !== 'string') continue;
      if (isObject(v) && v.module.startsWith('__torch__')) visit(v, `${prefix}${k}.`, depth + 1);
      else {
        const a = attribute(v);
        if (a !== undefined) attributes[prefix + k] = a;
      }
    }
  };
  visit(root, '', 0);
  return { entries, attributes };
}
