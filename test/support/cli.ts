// Run a CLI command in-process as a user would, capturing what it prints to stderr and the
// exit code it sets (commands never throw: they report and set process.exitCode).
import type { Command } from 'commander';

export async function runCli(cmd: Command, args: string[]): Promise<{ exitCode: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await cmd.parseAsync(args, { from: 'user' });
    return { exitCode: Number(process.exitCode ?? 0), stderr };
  } finally {
    process.stderr.write = write;
    process.exitCode = before;
  }
}
