import path from 'node:path';
import { createHubServer } from '@cliphub/hub-server';
import { parseCommandArgs, UsageError, type Command } from '../command.js';

const usage = `Usage: cliphub serve [--port P] [--host H] [--data DIR] [--tokens FILE]

Runs a Hugging Face Hub-compatible server (for @huggingface/hub and Python huggingface_hub with
HF_ENDPOINT=http://HOST:P and HF_HUB_DISABLE_XET=1).

  --port P        port (default 8080; 0 picks a free one)
  --host H        interface (default 127.0.0.1)
  --data DIR      where repositories are stored (default ./cliphub-hub-data)
  --tokens FILE   one "TOKEN USER ROLE [ORG,...]" per line, ROLE read|write
`;

const command: Command = {
  name: 'serve',
  summary: 'run a Hub-compatible model server',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, tokens: { type: 'string' } }, { allowPositionals: false });
    const port = Number(values.port ?? 8080);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got '${values.port}'`);
    const server = await createHubServer({
      dataDir: path.resolve(io.cwd, values.data ?? 'cliphub-hub-data'),
      tokensFile: values.tokens ? path.resolve(io.cwd, values.tokens) : undefined,
      port,
      host: values.host ?? '127.0.0.1',
      log: (line) => io.stderr.write(`${line}\n`),
    });
    io.stdout.write(`cliphub hub listening on ${server.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
export default command;
