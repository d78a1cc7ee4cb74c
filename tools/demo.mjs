#!/usr/bin/env node
// `npm run demo`: every cliphub capability, end to end, on the bundled tiny model. No Python needed.
import { spawnSync } from 'node:child_process';
import { rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'apps/cli/dist/bin.js');
const model = path.join(root, 'examples/tiny-clip');
const out = path.join(root, 'demo-out');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const steps = [
  {
    title: 'Convert a torch.save checkpoint to safetensors (streamed, verified, no code executed)',
    args: ['convert', model, '--to', 'safetensors', '--out', path.join(out, 'safetensors'), '--verify'],
  },
  {
    title: 'The same, cast to fp16',
    args: ['convert', model, '--to', 'safetensors', '--dtype', 'fp16', '--out', path.join(out, 'safetensors-fp16'), '--verify'],
  },
];

let failed = 0;
for (const [i, step] of steps.entries()) {
  console.log(`\n== ${i + 1}/${steps.length} ${step.title}\n$ cliphub ${step.args.map((a) => (a.startsWith(root) ? path.relative(root, a) : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...step.args], { stdio: 'inherit', cwd: root });
  if (r.status !== (step.expect ?? 0)) {
    console.error(`demo step ${i + 1} exited ${r.status}`);
    failed++;
  }
}
console.log(failed ? `\ndemo: ${failed} step(s) failed` : `\ndemo: all ${steps.length} steps ok; outputs in ${path.relative(root, out)}/`);
process.exit(failed ? 1 : 0);
