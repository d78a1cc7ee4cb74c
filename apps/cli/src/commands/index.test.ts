import { describe, expect, it } from 'vitest';
import { commands } from './index.js';

describe('the command table', () => {
  it('loads, for every name, the command of that name', async () => {
    expect(commands.map((c) => c.name)).toEqual([
      'convert',
      'serve',
      'push',
      'pull',
      'models',
      'distill',
      'validate',
      'embed',
      'zeroshot',
    ]);
    for (const entry of commands) {
      const command = await entry.load();
      expect(command.name, entry.name).toBe(entry.name);
      expect(typeof command.run, entry.name).toBe('function');
    }
  }, 60_000);
});
