import { TorchReaderError } from './errors.js';
import { isDict, isObject, isTensor, isTuple, type PyObject, type PyTensor, type PyValue } from './pyvalue.js';

export type Attribute = number | string | boolean | number[];

export interface ModuleLists {
  parameters: string[];
  buffers: string[];
  /** `Final` attributes, which TorchScript compiles into the class source instead of pickling. */
  constants: Record<string, Attribute>;
}

/** Longest `Final` literal worth reading; longer ones are not attributes open_clip has. */
const MAX_LITERAL = 1024;

const NUMBER = /^[-+]?(\d+(\.\d*)?(e[-+]?\d+)?|inf)$/i;

function numberLiteral(s: string): number | undefined {
  return NUMBER.test(s) ? Number(s.replace(/inf/i, 'Infinity')) : undefined;
}

/** A Python literal from a `name : Final[T] = literal` line: bools, numbers, strings, tuples of numbers. */
function literal(src: string): Attribute | undefined {
  const s = src.trim();
  if (s.length > MAX_LITERAL) return undefined;
  if (s === 'True' || s === 'False') return s === 'True';
  const n = numberLiteral(s);
  if (n !== undefined) return n;
  const q = /^(["'])(.*)\1$/.exec(s);
  if (q) return q[2] ?? '';
  const seq = /^[([](.*)[)\]]$/.exec(s);
  if (seq) {
    const parts = (seq[1] ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    const nums = parts.map(numberLiteral);
    if (nums.every((x) => typeof x === 'number')) return nums as number[];
  }
  return undefined;
}

export interface TorchScriptState {
  /** Parameters and buffers in `torch.jit.load(f).state_dict()` order. */
  entries: Array<{ name: string; tensor: PyTensor; buffer: boolean }>;
  attributes: Record<string, Attribute>;
}

const MAX_DEPTH = 1000;

const CLASS_LINE = /^class (\w+)\([^)]*\):$/;
/** A class's `__parameters__ = [...]` or `__buffers__ = [...]` line. */
const LIST_LINE = /^[ \t]+__(parameters|buffers)__ = \[(.*)\]/;
const FINAL_LINE = /^[ \t]+(\w+) : Final\[.*?\] = (.*)$/;

/**
 * The `__parameters__` / `__buffers__` lists of every TorchScript class, keyed by qualified name
 * (`__torch__.open_clip.model.CLIP`), read from the archive's `code/__torch__/**.py` sources.
 * Scanned line by line with anchored, single-line patterns, so the time is linear in the source
 * whatever it holds (a regex over whole class bodies went quadratic on millions of blank lines).
 */
export function parseModuleLists(code: Map<string, string>): Map<string, ModuleLists> {
  const out = new Map<string, ModuleLists>();
  const list = (s: string | undefined): string[] => [...(s ?? '').matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
  for (const [file, src] of code) {
    const module = file
      .replace(/^code\//, '')
      .replace(/\.py$/, '')
      .split('/')
      .join('.');
    let current: ModuleLists | null = null;
    // only a class's first __parameters__ and first __buffers__ line count
    let seen = { parameters: false, buffers: false };
    for (let start = 0; start <= src.length;) {
      let end = src.indexOf('\n', start);
      if (end < 0) end = src.length;
      const line = src.slice(start, end);
      start = end + 1;
      if (line === '' || line[0] === ' ' || line[0] === '\t') {
        // a class body goes on while lines are blank or indented
        if (!current || line === '') continue;
        const lists = LIST_LINE.exec(line);
        const which = lists?.[1] as 'parameters' | 'buffers' | undefined;
        if (which && !seen[which]) {
          current[which] = list(lists?.[2]);
          seen[which] = true;
          continue;
        }
        const c = FINAL_LINE.exec(line);
        if (c) {
          const v = literal(c[2] ?? '');
          if (v !== undefined) current.constants[c[1] as string] = v;
        }
        continue;
      }
      current = null;
      const header = CLASS_LINE.exec(line);
      if (header) {
        current = { parameters: [], buffers: [], constants: {} };
        seen = { parameters: false, buffers: false };
        out.set(`${module}.${header[1]}`, current);
      }
    }
  }
  return out;
}

function attribute(v: PyValue): Attribute | undefined {
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  const list = Array.isArray(v) ? v : isTuple(v) ? v.items : null;
  if (list && list.every((x) => typeof x === 'number')) return list as number[];
  return undefined;
}

/**
 * Walks a TorchScript module tree (inert `__torch__.*` records whose BUILD state holds attributes,
 * tensors and submodules) and names its parameters and buffers as `torch.jit.load(f).state_dict()`
 * does: each module's parameters, then its buffers, then its submodules, depth first.
 */
export function torchscriptState(root: PyValue, lists: Map<string, ModuleLists>, path: string): TorchScriptState {
  if (!isObject(root) || !root.module.startsWith('__torch__')) {
    throw new TorchReaderError(
      'BAD_FORMAT',
      `${path}: the TorchScript data.pkl does not hold a module; it is not a TorchScript model`,
    );
  }
  const entries: TorchScriptState['entries'] = [];
  const attributes: TorchScriptState['attributes'] = {};
  const seen = new Set<PyObject>();
  const visit = (mod: PyObject, prefix: string, depth: number): void => {
    if (depth > MAX_DEPTH)
      throw new TorchReaderError(
        'LIMIT_EXCEEDED',
        `${path}: TorchScript modules nested deeper than ${MAX_DEPTH}; the file is corrupt or hostile`,
      );
    if (seen.has(mod)) return; // shared submodules appear once, as in named_modules()
    seen.add(mod);
    const state = mod.state;
    if (!isDict(state)) return;
    const info = lists.get(`${mod.module}.${mod.name}`);
    const params =
      info?.parameters ?? [...state].filter(([k, v]) => typeof k === 'string' && isTensor(v)).map(([k]) => k as string);
    for (const [names, buffer] of [
      [params, false],
      [info?.buffers ?? [], true],
    ] as const) {
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
    for (const [k, v] of Object.entries(info?.constants ?? {}))
      if (!(prefix + k in attributes)) attributes[prefix + k] = v;
  };
  visit(root, '', 0);
  return { entries, attributes };
}

/** Top-level tensors of OpenAI TorchScript archives that open_clip pops before loading the state dict. */
const OPENAI_METADATA = new Set(['input_resolution', 'context_length', 'vocab_size']);

/**
 * Splits TorchScript state entries into what open_clip's state_dict holds and what it lacks: buffers
 * registered with persistent=False (matched by leaf name, e.g. attn_mask) and OpenAI's top-level
 * metadata tensors.
 */
export function splitExtraBuffers<T extends { name: string; buffer: boolean }>(
  entries: T[],
  nonPersistent: Iterable<string>,
): { kept: T[]; extra: string[] } {
  const leafNames = new Set(nonPersistent);
  const kept: T[] = [];
  const extra: string[] = [];
  for (const e of entries) {
    const leaf = e.name.slice(e.name.lastIndexOf('.') + 1);
    if ((e.buffer && leafNames.has(leaf)) || OPENAI_METADATA.has(e.name)) extra.push(e.name);
    else kept.push(e);
  }
  return { kept, extra };
}
