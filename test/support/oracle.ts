import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';

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
 * runPython without blocking the event loop: for slow jobs (full-size models) inside a test, where a
 * blocked worker misses vitest's RPC deadlines. Resolves with stdout; rejects with stderr on failure.
 */
export function runPythonAsync(code: string, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(oraclePython, ['-W', 'ignore', '-c', code, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (status) =>
      status === 0 ? resolve(out) : reject(new Error(`oracle python failed (exit ${status}):\n${err}`)),
    );
  });
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
