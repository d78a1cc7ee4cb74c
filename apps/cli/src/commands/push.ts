import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildModelCard, discoverToken, parseRepoId, pushFolder, type PushResult } from '@cliphub/hub';
import { parseCommandArgs, UsageError, writeJson, type Command } from '../command.js';
import { createProgress, formatBytes } from '../progress.js';

const usage = `Usage: cliphub push <dir> --repo ORG/NAME [--private] [--pr] [--revision BRANCH] [--message M]
                    [--dry-run] [--hub-url URL] [--with-onnx DIR] [--overwrite-card] [--json]

Pushes a prepared model folder (open_clip_model.safetensors + open_clip_config.json) in one commit.
Files already on the target revision are skipped; a second identical push makes no commit.
The token comes from HF_TOKEN or ~/.cache/huggingface/token and is never printed.

  --hub-url URL      the Hub (default HF_ENDPOINT or https://huggingface.co)
  --with-onnx DIR    also upload an ONNX export under onnx/
  --overwrite-card   replace an existing README.md model card
  --dry-run          print the planned commit, upload nothing
`;

const command: Command = {
  name: 'push',
  summary: 'publish a model folder to a Hub repo in one commit',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      repo: { type: 'string' },
      private: { type: 'boolean' },
      pr: { type: 'boolean' },
      revision: { type: 'string' },
      message: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'hub-url': { type: 'string' },
      'with-onnx': { type: 'string' },
      'overwrite-card': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const dir = positionals[0];
    if (!dir || positionals.length > 1) throw new UsageError('push takes exactly one folder (see --help)');
    if (!values.repo) throw new UsageError('--repo ORG/NAME is required');
    const repo = parseRepoId(values.repo);
    const folder = path.resolve(io.cwd, dir);
    // The seam for checkpoint conversion: push takes a folder already in open_clip's Hub layout.
    for (const f of ['open_clip_model.safetensors', 'open_clip_config.json'])
      if (!existsSync(path.join(folder, f))) throw new UsageError(`${path.join(dir, f)} is missing; push expects a folder prepared by 'cliphub convert'`);
    const onnx = values['with-onnx'] ? path.resolve(io.cwd, values['with-onnx']) : undefined;
    const hubUrl = values['hub-url'] ?? io.env.HF_ENDPOINT ?? 'https://huggingface.co';
    const token = discoverToken(io.env);
    const card = buildModelCard({ repo, hasOnnx: !!onnx });
    const bar = createProgress(io.stderr, 1, 'push', !values.json);
    let total = 0;
    const bars = { current: bar };
    const result: PushResult = await pushFolder({
      repo,
      folder,
      hubUrl,
      token,
      revision: values.revision,
      createPr: values.pr,
      private: values.private,
      message: values.message,
      dryRun: values['dry-run'],
      extraFolders: onnx ? [{ dir: onnx, prefix: 'onnx' }] : [],
      card,
      overwriteCard: values['overwrite-card'],
      onProgress: (p) => {
        if (p.phase !== 'uploading') return;
        if (p.bytesTotal !== total) {
          total = p.bytesTotal;
          bars.current = createProgress(io.stderr, total, 'upload', !values.json);
        }
        bars.current.update(p.bytesDone, p.path);
      },
    });
    if (total > 0) bars.current.finish();
    if (values.json) {
      writeJson(io, { ...result, dryRun: !!values['dry-run'] });
      return 0;
    }
    for (const f of result.files) io.stdout.write(`${f.action === 'upload' ? 'upload' : 'skip  '} ${f.lfs ? 'lfs    ' : 'regular'} ${formatBytes(f.size).padStart(9)}  ${f.path}${f.reason ? ` (${f.reason})` : ''}\n`);
    if (values['dry-run']) io.stdout.write(`dry run: would upload ${formatBytes(result.uploadBytes)} to ${repo}@${result.revision}; nothing was sent\n`);
    else if (!result.commit) io.stdout.write(`${repo}@${result.revision} already up to date; no commit made\n`);
    else io.stdout.write(`committed ${result.commit} to ${repo}@${result.revision}${result.pullRequestUrl ? ` (pull request ${result.pullRequestUrl})` : ''}\n`);
    return 0;
  },
};
export default command;
