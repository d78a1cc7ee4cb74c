import { SERVE_OPTIONS, SERVE_OPTIONS_USAGE, serveFromArgs } from '@cliphub/hub-server';
import { parseCommandArgs, type Command } from '../command.js';

const usage = `Usage: cliphub serve [--port P] [--host H] [--data DIR] [--tokens FILE] [options]

Runs a Hugging Face Hub-compatible server (for @huggingface/hub and Python huggingface_hub with
HF_ENDPOINT=http://HOST:P and HF_HUB_DISABLE_XET=1). A bad tokens file, or a data dir another
server holds, stops it at start with exit 2. Deploying it: apps/hub-server/README.md.

${SERVE_OPTIONS_USAGE}`;

const command: Command = {
  name: 'serve',
  summary: 'run a Hub-compatible model server',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, SERVE_OPTIONS, { allowPositionals: false });
    await serveFromArgs(values, io);
    return 0;
  },
};
export default command;
