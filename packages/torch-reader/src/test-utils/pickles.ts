// Hand-assembled pickle byte strings for tests (no Python needed), and a canonical JSON view of PyValue.
import { isTuple, type PyStorage, type PyValue } from '../pyvalue.js';

export function bytes(...parts: Array<string | number[] | Uint8Array>): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Uint8Array.from(p)));
  return Buffer.concat(chunks);
}

export const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
export const u64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
export const shortUnicode = (s: string): number[] => {
  const b = Buffer.from(s, 'utf8');
  return [0x8c, b.length, ...b];
};

/** Storage '0' of float32 elements on the CPU, as a persistent_load would describe it. */
export function floatStorage(numel = 1): PyStorage {
  return { kind: 'storage', key: '0', storageType: 'FloatStorage', location: 'cpu', numel, elementOffset: 0 };
}

/** A canonical JSON form shared with the Python side of the tests (integral floats read as ints). */
export function canon(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return { i: v.toString() };
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? { i: String(v) } : { f: v };
  if (v instanceof Uint8Array) return { b: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return { list: v.map(canon) };
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [canon(k), canon(x)]) };
  if (isTuple(v)) return { tuple: v.items.map(canon) };
  if (v.kind === 'set') return { [v.frozen ? 'frozenset' : 'set']: v.items.map(canon) };
  if (v.kind === 'object') return { object: `${v.module}.${v.name}`, args: v.args.map(canon), state: canon(v.state) };
  if (v.kind === 'global') return { global: `${v.module}.${v.name}` };
  return { [v.kind]: true };
}

export const PY_CANON = String.raw`
import collections
def canon(v):
    if v is None or isinstance(v, (bool, str)): return v
    if isinstance(v, int): return {'i': str(v)}
    if isinstance(v, float): return {'f': v}
    if isinstance(v, (bytes, bytearray)): return {'b': bytes(v).hex()}
    if isinstance(v, list): return {'list': [canon(x) for x in v]}
    if isinstance(v, tuple): return {'tuple': [canon(x) for x in v]}
    if isinstance(v, dict): return {'dict': [[canon(k), canon(x)] for k, x in v.items()]}
    if isinstance(v, frozenset): return {'frozenset': [canon(x) for x in v]}
    if isinstance(v, set): return {'set': [canon(x) for x in v]}
    raise TypeError(type(v))
`;
