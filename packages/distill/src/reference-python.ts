import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DistillError } from './errors.js';

/** The Python that makes the reference: what finalize found in it. */
export interface ReferencePython {
  python: string;
  pythonVersion: string;
  openClipVersion: string;
  torchVersion: string;
}

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the executable could not be started at all (e.g. ENOENT). */
  spawnError: NodeJS.ErrnoException | null;
}

/**
 * Runs a process without blocking the event loop (a caller may serve HTTP in the same process, as
 * the tests' Hub server does) and collects its output.
 */
export function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    let spawnError: NodeJS.ErrnoException | null = null;
    const p = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', (e: NodeJS.ErrnoException) => (spawnError = e));
    p.on('close', (status) => done({ status, stdout, stderr, spawnError }));
  });
}

/**
 * The interpreter finalize uses: --python, else $PYTHON (the variable the emitted launch.sh runs
 * open_clip_train with), else python3 on PATH.
 */
export function defaultPython(env: NodeJS.ProcessEnv): string {
  return env.PYTHON || 'python3';
}

// find_spec does not import torch (seconds); the versions come from package metadata.
const PROBE = `
import importlib.metadata as md, importlib.util as u, json, sys
def v(d):
    try: return md.version(d)
    except Exception: return None
print(json.dumps({"python": sys.version.split()[0],
  "missing": [m for m in ("open_clip", "torch", "safetensors") if u.find_spec(m) is None],
  "open_clip": v("open_clip_torch"), "torch": v("torch")}))
`;

interface ProbeFacts {
  python?: string;
  missing?: string[];
  open_clip?: string | null;
  torch?: string | null;
}

function parseProbe(line: string): ProbeFacts | null {
  try {
    const x: unknown = JSON.parse(line);
    return x && typeof x === 'object' && !Array.isArray(x) ? (x as ProbeFacts) : null;
  } catch {
    return null;
  }
}

/** Checks that `python` runs and can import open_clip, torch and safetensors; exit 2 with the fix otherwise. */
export async function probeReferencePython(python: string, env: NodeJS.ProcessEnv): Promise<ReferencePython> {
  const fix = `pass --python PATH to the interpreter that ran open_clip_train (or set PYTHON), or --no-validate to skip validation`;
  const r = await runProcess(python, ['-c', PROBE], env);
  if (r.spawnError) {
    throw new DistillError(
      'NO_PYTHON',
      `cannot run ${python} (${r.spawnError.code ?? r.spawnError.message}) to make the validation reference with open_clip; ${fix}`,
    );
  }
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const facts = r.status === 0 ? parseProbe(last) : null;
  if (!facts) {
    const why = r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`;
    throw new DistillError('NO_PYTHON', `${python} failed to start (${why}); ${fix}`);
  }
  if (facts.missing?.length) {
    throw new DistillError(
      'NO_PYTHON',
      `${python} cannot import ${facts.missing.join(', ')}, needed to make the validation reference; install open_clip_torch there or ${fix}`,
    );
  }
  return {
    python,
    pythonVersion: facts.python ?? 'unknown',
    openClipVersion: facts.open_clip ?? 'unknown',
    torchVersion: facts.torch ?? 'unknown',
  };
}

const SCRIPT = path.join('tools', 'reference', 'make_reference.py');

/**
 * tools/reference/make_reference.py: `explicit`, else $CLIPHUB_MAKE_REFERENCE, else the copy in the
 * cliphub checkout this module runs from (src/ and dist/ both lie three levels below the root).
 */
export function findReferenceScript(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  const given = explicit ?? env.CLIPHUB_MAKE_REFERENCE;
  if (given) {
    if (!existsSync(given))
      throw new DistillError(
        'NO_REFERENCE_SCRIPT',
        `reference generator ${given} does not exist; point it at cliphub's tools/reference/make_reference.py`,
      );
    return path.resolve(given);
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidate = path.resolve(here, '../../..', SCRIPT);
  if (existsSync(candidate)) return candidate;
  throw new DistillError(
    'NO_REFERENCE_SCRIPT',
    `cannot find ${SCRIPT} beside this cliphub install; set CLIPHUB_MAKE_REFERENCE to its path (it is in the cliphub repository), or pass --no-validate`,
  );
}

export interface MakeReferenceOptions {
  python: string;
  script: string;
  /** A folder open_clip's local-dir: loader reads (open_clip_config.json + weights). */
  modelDir: string;
  out: string;
  /** Seeded samples per tower (make_reference's --n). */
  samples: number;
  seed: number;
  env: NodeJS.ProcessEnv;
}

/**
 * Runs make_reference.py on the converted folder: real open_clip computes CPU fp32 embeddings of
 * seeded inputs, the truth the ONNX export is compared with. Only cpu_fp32 is made: that is what
 * finalize validates against, and CUDA modes would only add time.
 */
export async function makeReference(o: MakeReferenceOptions): Promise<void> {
  const args = [
    o.script,
    `local-dir:${o.modelDir}`,
    '--out',
    o.out,
    '--n',
    String(o.samples),
    '--seed',
    String(o.seed),
    '--modes',
    'cpu_fp32',
    '--cpu-only',
  ];
  const r = await runProcess(o.python, args, o.env);
  if (r.status !== 0 || !existsSync(o.out)) {
    const tail = (r.stderr.trim() || r.spawnError?.message || `exit ${r.status}`).split('\n').slice(-3).join(' | ');
    throw new DistillError(
      'REFERENCE_FAILED',
      `make_reference.py failed on ${o.modelDir} (${tail}); run it by hand: ${o.python} ${args.join(' ')}`,
      1,
    );
  }
}
