// The real `flywheel` CLI in its own process (bin/flywheel.js), as a user or a script runs it:
// what it prints and the exit code it returns. Configured only through the environment.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT_DIR } from '../../engine/store/index.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const FLYWHEEL_BIN = join(ROOT_DIR, 'bin', 'flywheel.js');

export function runFlywheel(args: string[], env: Record<string, string | undefined>, timeoutMs = 110_000): Promise<CliRun> {
  // a variable given as undefined is removed (e.g. MONGODB_URI, to use the embedded database)
  const merged: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'warn', ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLYWHEEL_BIN, ...args], { cwd: ROOT_DIR, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`flywheel ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr}`)); }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
