import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, tempDir } from './paths.js';

/** The oracle venv's Python: real torch, open_clip, onnx, onnxruntime, safetensors, huggingface_hub. */
export const oraclePython = path.join(repoRoot, '.oracle/venv/bin/python');
export const hasOracle = process.env.CLIPHUB_ORACLE !== 'off' && existsSync(oraclePython);

export interface PyResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

/** Runs Python code in the oracle venv; throws with its stderr when it fails. */
export function runPython(code: string, args: string[] = [], env: Record<string, string> = {}): string {
  const r = runPythonRaw(code, args, env);
  if (r.status !== 0) throw new Error(`oracle python failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export function runPythonRaw(code: string, args: string[] = [], env: Record<string, string> = {}): PyResult {
  const r: SpawnSyncReturns<string> = spawnSync(oraclePython, ['-W', 'ignore', '-c', code, ...args], {
    encoding: 'utf8',
    cwd: repoRoot,
    env: { ...process.env, ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Runs a Python code snippet that prints one JSON value, and parses it. */
export function pythonJson<T>(code: string, args: string[] = [], env: Record<string, string> = {}): T {
  const out = runPython(code, args, env).trim().split('\n');
  return JSON.parse(out[out.length - 1] ?? 'null') as T;
}

/**
 * Runs Python code on a JSON input too large for argv: the code reads the JSON file sys.argv[1] and writes its
 * answer as JSON to sys.argv[2], both in a temp folder that is removed after.
 */
export function pythonJsonFiles<T>(code: string, input: unknown): T {
  const { dir, cleanup } = tempDir('cliphub-py-');
  try {
    const inFile = path.join(dir, 'in.json');
    const outFile = path.join(dir, 'out.json');
    writeFileSync(inFile, JSON.stringify(input));
    runPython(code, [inFile, outFile]);
    return JSON.parse(readFileSync(outFile, 'utf8')) as T;
  } finally {
    cleanup();
  }
}

/**
 * The oracle Python without blocking the event loop: for slow jobs (full-size models), where a blocked worker
 * misses vitest's RPC deadlines, and for clients of a server under test that lives in this process. `argv`
 * follows `python -W ignore` (a script and its arguments, or `-c CODE ...`). Resolves even when Python fails;
 * kills it after `timeoutMs`, so a hung client does not outlive its test.
 */
export function runPythonRawAsync(
  argv: string[],
  env: Record<string, string> = {},
  timeoutMs = 600_000,
): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(oraclePython, ['-W', 'ignore', ...argv], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
  });
}

/** A finished Python run's stdout; throws with the end of its stderr when it failed. */
function stdoutOf(r: PyResult): string {
  if (r.status !== 0) throw new Error(`oracle python failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

/** The last line of a Python run's stdout, parsed as JSON. */
function lastJsonLine<T>(out: string): T {
  const lines = out.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
  } catch {
    throw new Error(`oracle python printed no JSON:\n${out.slice(-2000)}`);
  }
}

/** runPython without blocking the event loop (see runPythonRawAsync): resolves with stdout; rejects with stderr. */
export async function runPythonAsync(
  code: string,
  args: string[] = [],
  env: Record<string, string> = {},
  timeoutMs?: number,
): Promise<string> {
  return stdoutOf(await runPythonRawAsync(['-c', code, ...args], env, timeoutMs));
}

/** pythonJson without blocking the event loop (see runPythonRawAsync): its last stdout line, parsed. */
export async function pythonJsonAsync<T>(...call: Parameters<typeof runPythonAsync>): Promise<T> {
  return lastJsonLine<T>(await runPythonAsync(...call));
}

/** pythonJsonAsync for a script file: `python -W ignore SCRIPT ARGS...`, its last stdout line parsed. */
export async function pythonScriptJsonAsync<T>(script: string, args: string[] = []): Promise<T> {
  return lastJsonLine<T>(stdoutOf(await runPythonRawAsync([script, ...args])));
}

/** The CLIP BPE vocab shipped inside the oracle's open_clip package (data the tokenizer loads at run time). */
export const oracleVocabPath: string | null = (() => {
  const lib = path.join(repoRoot, '.oracle/venv/lib');
  if (!existsSync(lib)) return null;
  for (const py of readdirSync(lib)) {
    const p = path.join(lib, py, 'site-packages/open_clip/bpe_simple_vocab_16e6.txt.gz');
    if (existsSync(p)) return p;
  }
  return null;
})();
