import { MAP, MAP_ENTRY, OBJECT, SLOT } from './alloc-costs.js';
import { storageItemSize } from './dtypes.js';
import { TorchReaderError } from './errors.js';
import {
  hasKind,
  isDict,
  isObject,
  isTensor,
  isTuple,
  type PyDict,
  type PyGlobal,
  type PyStorage,
  type PyTensor,
  type PyValue,
} from './pyvalue.js';

/** Python 2 names that protocol 0-2 pickles use for builtins (the subset torch files meet). */
const MODULE_ALIASES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

// Callables the VM may "call"; each is implemented here as pure data construction.
const CALLABLES = new Set([
  'collections.OrderedDict',
  'collections.Counter',
  'builtins.dict',
  'builtins.list',
  'builtins.tuple',
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytearray',
  'builtins.bytes',
  'builtins.complex',
  'builtins.slice',
  'builtins.range',
  '_codecs.encode',
  'copyreg._reconstructor',
  'torch.Size',
  'torch.device',
  'torch.serialization._get_layout',
  'torch.nn.parameter.Parameter',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
  'torch.jit._pickle.build_intlist',
  'torch.jit._pickle.build_doublelist',
  'torch.jit._pickle.build_boollist',
  'torch.jit._pickle.build_tensorlist',
  'torch.jit._pickle.restore_type_tag',
  'numpy.dtype',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
]);

// Tensor kinds weights_only accepts but cliphub cannot convert: kept as inert records, refused if used.
const INERT_REBUILDS = new Set([
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_nested_tensor',
  'torch._utils._rebuild_wrapper_subclass',
  'torch._utils._rebuild_device_tensor_from_numpy',
  'torch._utils._rebuild_device_tensor_from_cpu_tensor',
]);

// Classes whose instances become inert records (constructed with NEWOBJ/REDUCE, filled by BUILD).
const RECORD_CLASSES = new Set(['argparse.Namespace', 'types.SimpleNamespace', 'torch.Tensor']);

const TORCH_VALUES = new Set([
  'strided',
  'sparse_coo',
  'per_tensor_affine',
  'per_tensor_symmetric',
  'per_channel_affine',
  'per_channel_symmetric',
  'per_channel_affine_float_qparams',
  'Tensor',
]);

export interface GlobalPolicy {
  /** TorchScript archives name their module classes `__torch__.*`; allow them as inert records. */
  torchscript: boolean;
}

function isTorchValue(name: string): boolean {
  // torch.float32 ..., torch.FloatStorage ..., torch.storage.UntypedStorage
  return TORCH_VALUES.has(name) || storageItemSize(name) !== null || /^[A-Z][A-Za-z0-9]*Storage$/.test(name);
}

/** Whether `module.name` is on the allow-list (the weights_only set plus inert records). */
export function isAllowedGlobal(module: string, name: string, policy: GlobalPolicy): boolean {
  const full = `${module}.${name}`;
  if (CALLABLES.has(full) || INERT_REBUILDS.has(full) || RECORD_CLASSES.has(full)) return true;
  if (module === 'torch' && isTorchValue(name)) return true;
  if (module === 'torch.storage' && (name === 'UntypedStorage' || name === 'TypedStorage')) return true;
  if (policy.torchscript && (module === '__torch__' || module.startsWith('__torch__.'))) return true;
  return false;
}

/** Resolves a GLOBAL/STACK_GLOBAL/INST reference, refusing anything off the allow-list by name. */
export function resolveGlobal(rawModule: string, name: string, opcode: string, policy: GlobalPolicy): PyGlobal {
  const module = MODULE_ALIASES[rawModule] ?? rawModule;
  if (!isAllowedGlobal(module, name, policy)) {
    throw new TorchReaderError(
      'UNSAFE_GLOBAL',
      `refused global ${module}.${name} (pickle opcode ${opcode}): it is not on the weights-only allow-list and cliphub never runs code from checkpoints; re-save the file with torch.save(model.state_dict())`,
    );
  }
  return { kind: 'global', module, name };
}

export interface CallContext {
  /** Charges bytes against the unpickler's allocation budget; throws when it is exceeded. */
  charge(bytes: number): void;
}

function fail(message: string): never {
  throw new TorchReaderError('BAD_PICKLE', message);
}

function items(v: PyValue | undefined, what: string): PyValue[] {
  if (Array.isArray(v)) return v;
  if (v !== undefined && isTuple(v)) return v.items;
  return fail(`${what} must be a list or tuple`);
}

function int(v: PyValue | undefined, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER))
    return Number(v);
  return fail(`${what} must be an integer`);
}

function intList(v: PyValue | undefined, what: string, ctx: CallContext): number[] {
  const list = items(v, what);
  ctx.charge(OBJECT + SLOT * list.length);
  return list.map((x, i) => int(x, `${what}[${i}]`));
}

/** A fresh copy of a list or tuple's items (list(), tuple(), set(), torch.Size()), charged as allocated. */
function copyItems(v: PyValue | undefined, what: string, ctx: CallContext): PyValue[] {
  const list = items(v, what);
  ctx.charge(OBJECT + SLOT * list.length);
  return list.slice();
}

function storageArg(v: PyValue | undefined): PyStorage {
  if (hasKind(v, 'storage')) return v;
  return fail('a tensor rebuild expects a storage (persistent id) as its first argument');
}

function tensor(args: PyValue[], dtypeName: string | null, ctx: CallContext): PyTensor {
  const storage = storageArg(args[0]);
  const shape = intList(args[2], 'tensor size', ctx);
  const strides = intList(args[3], 'tensor stride', ctx);
  if (shape.length !== strides.length) fail(`tensor size has ${shape.length} dims but stride has ${strides.length}`);
  return {
    kind: 'tensor',
    storage,
    dtypeName,
    storageOffset: int(args[1], 'tensor storage offset'),
    shape,
    strides,
    requiresGrad: args[4] === true,
  };
}

function toDict(v: PyValue | undefined, ctx: CallContext): PyDict {
  ctx.charge(MAP);
  const out: PyDict = new Map();
  if (v === undefined || v === null) return out;
  if (isDict(v)) {
    ctx.charge(MAP_ENTRY * v.size);
    return new Map(v);
  }
  const pairs = items(v, 'dict items');
  ctx.charge(MAP_ENTRY * pairs.length);
  for (const pair of pairs) {
    const kv = items(pair, 'a dict item');
    if (kv.length !== 2) fail('a dict item must be a (key, value) pair');
    out.set(kv[0] as PyValue, kv[1] as PyValue);
  }
  return out;
}

const latin1 = (s: string, ctx: CallContext): Uint8Array => {
  ctx.charge(s.length);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) fail('_codecs.encode(..., "latin1") got a character above U+00FF');
    b[i] = c;
  }
  return b;
};

const NUMPY_KINDS: Record<string, { size: number; read: (d: DataView, le: boolean) => PyValue }> = {
  f8: { size: 8, read: (d, le) => d.getFloat64(0, le) },
  f4: { size: 4, read: (d, le) => d.getFloat32(0, le) },
  i8: { size: 8, read: (d, le) => small(d.getBigInt64(0, le)) },
  u8: { size: 8, read: (d, le) => small(d.getBigUint64(0, le)) },
  i4: { size: 4, read: (d, le) => d.getInt32(0, le) },
  u4: { size: 4, read: (d, le) => d.getUint32(0, le) },
  i2: { size: 2, read: (d, le) => d.getInt16(0, le) },
  u2: { size: 2, read: (d, le) => d.getUint16(0, le) },
  i1: { size: 1, read: (d) => d.getInt8(0) },
  u1: { size: 1, read: (d) => d.getUint8(0) },
  b1: { size: 1, read: (d) => d.getUint8(0) !== 0 },
};

function small(b: bigint): number | bigint {
  return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** numpy scalars (np.float64(0.5) in training metadata) become plain numbers when the dtype is simple. */
function numpyScalar(g: PyGlobal, args: PyValue[]): PyValue {
  const dt = args[0];
  const raw = args[1];
  if (dt !== undefined && isObject(dt) && typeof dt.args[0] === 'string' && raw instanceof Uint8Array) {
    const kind = NUMPY_KINDS[dt.args[0]];
    const st = dt.state !== null && dt.state !== undefined && isTuple(dt.state) ? dt.state.items[1] : '<';
    if (kind && raw.length === kind.size) {
      return kind.read(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), st !== '>');
    }
  }
  return { kind: 'object', module: g.module, name: g.name, args, state: null };
}

/** torch nests `_rebuild_from_type_v2` once (a subclass around a tensor rebuild); deeper is hostile. */
const MAX_REBUILD_NESTING = 8;

/** Applies an allowed callable (REDUCE, NEWOBJ, INST, OBJ) by building data; nothing is executed. */
export function callGlobal(fn: PyValue, args: PyValue[], opcode: string, ctx: CallContext): PyValue {
  // _rebuild_from_type_v2(func, type, args, state) calls func(*args): unwrapped in a loop, never recursed.
  for (let depth = 0; isGlobal(fn, 'torch._tensor', '_rebuild_from_type_v2'); depth++) {
    if (depth >= MAX_REBUILD_NESTING)
      throw new TorchReaderError(
        'LIMIT_EXCEEDED',
        `_rebuild_from_type_v2 nested more than ${MAX_REBUILD_NESTING} deep; the file is hostile`,
      );
    ctx.charge(OBJECT);
    const inner = args[0];
    args = items(args[2], '_rebuild_from_type_v2 args');
    fn = inner ?? null;
  }
  return applyGlobal(fn, args, opcode, ctx);
}

function isGlobal(v: PyValue, module: string, name: string): boolean {
  return hasKind(v, 'global') && v.module === module && v.name === name;
}

function applyGlobal(fn: PyValue, args: PyValue[], opcode: string, ctx: CallContext): PyValue {
  if (!hasKind(fn, 'global')) {
    return fail(`pickle opcode ${opcode} calls something that is not an allowed global`);
  }
  const full = `${fn.module}.${fn.name}`;
  ctx.charge(OBJECT + SLOT * args.length);
  if (RECORD_CLASSES.has(full) || fn.module.startsWith('__torch__')) {
    return { kind: 'object', module: fn.module, name: fn.name, args, state: null };
  }
  if (INERT_REBUILDS.has(full)) return { kind: 'object', module: fn.module, name: fn.name, args, state: null };
  switch (full) {
    case 'collections.OrderedDict':
    case 'collections.Counter':
    case 'builtins.dict':
      return toDict(args[0], ctx);
    case 'builtins.list':
      return args.length ? copyItems(args[0], 'list()', ctx) : [];
    case 'builtins.tuple':
      return { kind: 'tuple', items: args.length ? copyItems(args[0], 'tuple()', ctx) : [] };
    case 'builtins.set':
    case 'builtins.frozenset':
      return {
        kind: 'set',
        frozen: fn.name === 'frozenset',
        items: args.length ? copyItems(args[0], 'set()', ctx) : [],
      };
    case 'builtins.bytes':
    case 'builtins.bytearray': {
      const a = args[0];
      if (a === undefined) return new Uint8Array(0);
      if (a instanceof Uint8Array) return (ctx.charge(a.length), a.slice());
      if (typeof a === 'number') {
        if (!Number.isSafeInteger(a) || a < 0) fail('bytearray(n) needs a non-negative size');
        ctx.charge(a);
        return new Uint8Array(a);
      }
      if (typeof a === 'string') return latin1(a, ctx);
      const list = intList(a, 'bytearray() items', ctx);
      ctx.charge(list.length);
      return Uint8Array.from(list, (x) => x & 0xff);
    }
    case '_codecs.encode': {
      const [s, enc] = args;
      if (typeof s !== 'string') return fail('_codecs.encode expects a string');
      if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') return latin1(s, ctx);
      if (enc === 'utf-8' || enc === 'utf8' || enc === undefined) {
        const b = new TextEncoder().encode(s);
        ctx.charge(b.length);
        return b;
      }
      return fail(`_codecs.encode with encoding ${String(enc)} is not supported`);
    }
    case 'copyreg._reconstructor': {
      const cls = args[0];
      if (!hasKind(cls, 'global')) {
        return fail('copyreg._reconstructor expects a class');
      }
      return { kind: 'object', module: cls.module, name: cls.name, args: [], state: null };
    }
    case 'torch.Size':
      return { kind: 'tuple', items: args.length ? copyItems(args[0], 'torch.Size()', ctx) : [] };
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
      return tensor(args, null, ctx);
    case 'torch._utils._rebuild_tensor_v3': {
      const dt = args[6];
      if (!hasKind(dt, 'global')) {
        return fail('_rebuild_tensor_v3 expects a torch dtype');
      }
      return tensor(args, dt.name, ctx);
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
    case 'torch.nn.parameter.Parameter': {
      const data = args[0];
      if (data === undefined || !isTensor(data)) return fail(`${full} expects a tensor`);
      return { ...data, requiresGrad: args[1] === true };
    }
    case 'torch.jit._pickle.build_intlist':
    case 'torch.jit._pickle.build_doublelist':
    case 'torch.jit._pickle.build_boollist':
    case 'torch.jit._pickle.build_tensorlist':
      return copyItems(args[0], full, ctx);
    case 'torch.jit._pickle.restore_type_tag':
      return args[0] ?? null;
    case 'numpy.core.multiarray.scalar':
    case 'numpy._core.multiarray.scalar':
      return numpyScalar(fn, args);
    default:
      // torch.device, complex, slice, range, layouts, numpy.dtype: inert records
      if (CALLABLES.has(full)) return { kind: 'object', module: fn.module, name: fn.name, args, state: null };
      return fail(`pickle opcode ${opcode} calls ${full}, which is a value, not a constructor`);
  }
}

/** BUILD: sets an object's state. Only inert records, dicts (OrderedDict attributes) and tensors accept it. */
export function buildValue(target: PyValue, state: PyValue): PyValue {
  if (isObject(target)) {
    target.state = state;
    return target;
  }
  // OrderedDict.__reduce__ carries instance attributes (a state_dict's _metadata); they are not weights.
  if (isDict(target)) return target;
  // Parameters rebuilt with state, and tensors with python attributes: the data is what matters.
  if (isTensor(target)) return target;
  return fail('pickle opcode BUILD targets a value that cannot take state');
}
