/**
 * Plain data produced by the pickle VM. Nothing here can run code: class instances become inert
 * records, tensors become references into storages that are read later.
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyDict
  | PyTuple
  | PySet
  | PyObject
  | PyGlobal
  | PyStorage
  | PyTensor;

/** Dicts keep insertion order and allow non-string keys, like Python's. */
export type PyDict = Map<PyValue, PyValue>;

export interface PyTuple {
  kind: 'tuple';
  items: PyValue[];
}

export interface PySet {
  kind: 'set';
  frozen: boolean;
  items: PyValue[];
}

/** An instance of an allowed class, kept as data: how it was constructed and the state BUILD gave it. */
export interface PyObject {
  kind: 'object';
  module: string;
  name: string;
  args: PyValue[];
  state: PyValue;
}

/** A reference to an allowed global that was not called (dtypes, storage types, classes). */
export interface PyGlobal {
  kind: 'global';
  module: string;
  name: string;
}

/** A storage named by a persistent id; `key` locates its bytes in the file. */
export interface PyStorage {
  kind: 'storage';
  key: string;
  /** 'FloatStorage', 'HalfStorage', ... or a torch dtype name such as 'float32'. */
  storageType: string;
  location: string;
  /** Elements in the storage, as declared by the persistent id. */
  numel: number;
  /** Legacy storage views: element offset into the root storage. */
  elementOffset: number;
}

export interface PyTensor {
  kind: 'tensor';
  storage: PyStorage;
  /** Overrides the storage's dtype (`_rebuild_tensor_v3`); null when the storage type says it. */
  dtypeName: string | null;
  storageOffset: number;
  shape: number[];
  strides: number[];
  requiresGrad: boolean;
}

/** The PyValue cases that are tagged objects (tuple, set, object, global, storage, tensor). */
export type PyTagged = Extract<PyValue, { kind: string }>;

/** Whether `v` is the tagged PyValue case `kind` (undefined, e.g. a missing argument, is none). */
export function hasKind<Kind extends PyTagged['kind']>(
  v: PyValue | undefined,
  kind: Kind,
): v is Extract<PyTagged, { kind: Kind }> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Map) &&
    !(v instanceof Uint8Array) &&
    v.kind === kind
  );
}

export function isTuple(v: PyValue): v is PyTuple {
  return hasKind(v, 'tuple');
}

export function isTensor(v: PyValue): v is PyTensor {
  return hasKind(v, 'tensor');
}

export function isObject(v: PyValue): v is PyObject {
  return hasKind(v, 'object');
}

export function isDict(v: PyValue): v is PyDict {
  return v instanceof Map;
}

const MAX_DESCRIPTION = 200;

/**
 * A short, one-level description of a value for messages and reports (dict keys of dropped entries).
 * Never recurses and never converts a large integer or container in full: hostile keys can be a
 * 100,000-deep list or a 64 KiB integer.
 */
export function describeValue(v: PyValue): string {
  const cut = (s: string): string => (s.length > MAX_DESCRIPTION ? `${s.slice(0, MAX_DESCRIPTION)}…` : s);
  if (v === null) return 'None';
  if (typeof v === 'string') return cut(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'bigint') {
    const bits = v < 0n ? (-v).toString(2).length : v.toString(2).length;
    return bits > 256 ? `<an integer of ${bits} bits>` : v.toString();
  }
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (Array.isArray(v)) return `<a list of ${v.length} items>`;
  if (v instanceof Map) return `<a dict of ${v.size} items>`;
  switch (v.kind) {
    case 'tuple':
      return `<a tuple of ${v.items.length} items>`;
    case 'set':
      return `<a ${v.frozen ? 'frozenset' : 'set'} of ${v.items.length} items>`;
    case 'object':
    case 'global':
      return cut(`<${v.module}.${v.name}>`);
    case 'storage':
      return `<storage ${cut(v.key)}>`;
    case 'tensor':
      return '<a tensor>';
  }
}
