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

export function isTuple(v: PyValue): v is PyTuple {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array) && v.kind === 'tuple';
}

export function isTensor(v: PyValue): v is PyTensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array) && v.kind === 'tensor';
}

export function isObject(v: PyValue): v is PyObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array) && v.kind === 'object';
}

export function isDict(v: PyValue): v is PyDict {
  return v instanceof Map;
}
