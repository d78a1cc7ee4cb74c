import path from 'node:path';
import { discoverToken, hubUrlFrom, pullRepo } from '@cliphub/hub';
import { parseCommandArgs, UsageError, writeJson, type Command } from '../command.js';
import { formatBytes, lazyProgress } from '../progress.js';

const usage = `Usage: cliphub pull hf-hub:ORG/NAME [--revision R] [--hub-url URL] [--cache-dir D] [--json]

Downloads a repo revision into huggingface_hub's cache layout (shared with Python).

  --revision R    branch, HEAD or commit (default main)
  --hub-url URL   the Hub (default HF_ENDPOINT or https://huggingface.co)
  --cache-dir D   cache root (default HF_HUB_CACHE or ~/.cache/huggingface/hub)
`;

const command: Command = {
  name: 'pull',
  summary: 'download a Hub repo into the huggingface_hub cache',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      revision: { type: 'string' },
      'hub-url': { type: 'string' },
      'cache-dir': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1)
      throw new UsageError('pull takes exactly one repo, e.g. hf-hub:ORG/NAME (see --help)');
    const bar = lazyProgress(io.stderr, 'pull', !values.json);
    const r = await pullRepo({
      repo: positionals[0] as string,
      revision: values.revision,
      hubUrl: hubUrlFrom(io.env, values['hub-url']),
      token: discoverToken(io.env),
      cacheDir: values['cache-dir'] ? path.resolve(io.cwd, values['cache-dir']) : undefined,
      onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, p.path),
    });
    bar.finish();
    if (values.json) writeJson(io, r);
    else
      io.stdout.write(
        `${r.repo}@${r.commit}: ${r.files.length} files, ${formatBytes(r.downloadedBytes)} downloaded\n${r.snapshotDir}\n`,
      );
    return 0;
  },
};
export default command;
