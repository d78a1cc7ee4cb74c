#!/usr/bin/env node
// `npm run build` / `typecheck`: the repo's turbo, quiet and offline-friendly. Turbo otherwise sends anonymous
// telemetry (announcing it on stderr the first time) and checks for updates over the network. A value already in the
// environment wins, so anyone can opt back in.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const turbo = createRequire(import.meta.url).resolve('turbo/bin/turbo');
const r = spawnSync(process.execPath, [turbo, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', ...process.env },
});
process.exit(r.status ?? 1);
