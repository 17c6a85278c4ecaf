// `flywheel start` (or another long-running command) as an operator runs it: the real CLI in its
// own process (bin/flywheel.js), configured through the environment, with a campaigns folder of
// its own written for the test. Its structured log lines (stderr) are kept for the assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '../../engine/store/index.ts';
import { FLYWHEEL_BIN } from '../support/cli-process.ts';

export interface ServiceProcess {
  pid: number;
  /** resolves with the exit code (or signal name) and when it exited (performance clock) */
  exited: Promise<{ code: number | string; at: number }>;
  /** log lines so far, parsed (non-JSON lines are kept as { msg }) */
  lines(): Array<{ msg: string; [k: string]: unknown }>;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

export function startService(command: string, env: Record<string, string | undefined>): ServiceProcess {
  const merged: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'info', FLYWHEEL_HTTP_PORT: '0', ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const child = spawn(process.execPath, [FLYWHEEL_BIN, command], { cwd: ROOT_DIR, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => { stderr += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<{ code: number | string; at: number }>((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve({ code: code ?? signal ?? -1, at: performance.now() });
  }));
  return {
    pid: child.pid!,
    exited,
    stderr: () => stderr,
    lines: () => stderr.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as { msg: string }; } catch { return { msg: l }; } }),
    kill: (signal) => child.kill(signal),
  };
}

/** SIGKILL whatever a test left running, and wait for it. */
export async function stopServices(): Promise<void> {
  await Promise.all([...running].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
}

/**
 * A campaigns folder holding one program ('open-source', the reliability harness's members) and
 * the given campaign definitions (plain data, as defineCampaign takes them).
 */
export function writeCampaignsDir(dir: string, campaigns: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const engine = join(ROOT_DIR, 'engine', 'campaigns', 'index.ts');
  writeFileSync(join(dir, 'programs.ts'), `import { definePrograms } from ${JSON.stringify(engine)};\n` +
    `export const programs = definePrograms({ 'open-source': { displayName: 'Open Source', url: 'https://oss.example/', timezone: 'UTC', topics: ['newsletter', 'events', 'caseStudies'] } });\n` +
    'export default programs;\n');
  for (const [name, definition] of Object.entries(campaigns)) {
    writeFileSync(join(dir, `${name}.ts`), `import { defineCampaign } from ${JSON.stringify(engine)};\nexport default defineCampaign(${JSON.stringify(definition)} as never);\n`);
  }
  return dir;
}
