// `flywheel bounces ingest FILE...` and `flywheel bounces serve`: bounces (RFC 3464 delivery
// status notifications) and complaints (RFC 5965 ARF reports) that came back by mail.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { FlywheelError, InvalidInputError, type InputIssue } from '../errors.ts';
import type { IntakeResult } from '../tracking/bounce-intake.ts';
import { EXPECTED } from '../tracking/bounce-expected.ts';
import { withExitCodes } from './exit-codes.ts';

const progressLine = (line: string) => process.stderr.write(`${line}\n`);

/** What both subcommands need, loaded when one runs (not for `--help` or other commands). */
async function intakeModules() {
  const [{ loadConfig }, { createBounceIntake, openStoreOnly }, { ingestBounceReport }, { startBounceListener }, { SingleBar, Presets }] = await Promise.all([
    import('../config.ts'), import('../main.ts'), import('../tracking/bounce-intake.ts'), import('../tracking/bounce-listener.ts'), import('cli-progress'),
  ]);
  return { loadConfig, createBounceIntake, openStoreOnly, ingestBounceReport, startBounceListener, SingleBar, Presets };
}

export function bouncesCommand(): Command {
  const bounces = new Command('bounces').description('Bounces and complaints that come back by mail to the VERP bounce address (FLYWHEEL_BOUNCE_ADDRESS)');
  bounces.addCommand(new Command('ingest')
    .description(`Record bounce and complaint reports saved as files (.eml): each must be ${EXPECTED}. Hard bounces (5.x.x) and complaints suppress the address, soft bounces (4.x.x) are counted; each once per send`)
    .argument('<files...>', 'message files, one report each')
    .addHelpText('after', '\nExit codes: 0 every file recorded (or already recorded); 1 some file could not be read or is about no message we sent (each is named, the others are recorded); 2 the database failed.\n\nExample:\n  flywheel bounces ingest ~/Maildir/bounces/new/*')
    .action(withExitCodes(async (files: string[]) => {
      const { loadConfig, createBounceIntake, openStoreOnly, ingestBounceReport, SingleBar, Presets } = await intakeModules();
      const config = loadConfig();
      const db = await openStoreOnly(config, { onProgress: progressLine });
      const intake = createBounceIntake(config, db.store);
      const bar = process.stderr.isTTY && files.length >= 20 ? new SingleBar({ format: 'reading reports |{bar}| {value}/{total} files', stream: process.stderr }, Presets.shades_classic) : undefined;
      bar?.start(files.length, 0);
      const issues: InputIssue[] = [];
      try {
        for (const file of files) {
          let raw: Buffer;
          try {
            raw = await readFile(file);
          } catch (e) {
            issues.push({ file, message: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
            continue;
          }
          try {
            const result = await ingestBounceReport(intake.deps, raw);
            if (!bar) process.stdout.write(`${file}: ${describe(result)}\n`);
          } catch (e) {
            if (e instanceof FlywheelError && (e.code === 'BOUNCE_REPORT_UNREADABLE' || e.code === 'BOUNCE_REPORT_UNMATCHED')) issues.push({ file, message: e.message });
            else throw e;
          } finally {
            bar?.increment();
          }
        }
      } finally {
        bar?.stop();
        await intake.close();
        await db.close();
      }
      if (issues.length) throw new InvalidInputError('BOUNCE_FILES_NOT_RECORDED', `${issues.length} of ${files.length} file(s) not recorded (the others were):`, issues, 'Pass only bounce or complaint reports about mail Flywheel sent; the files named above were left as they are.');
    })));

  bounces.addCommand(new Command('serve')
    .description('Listen for bounces and complaints by SMTP: route mail for the VERP bounce address here. Logs as JSON (pino); stop with Ctrl-C or SIGTERM')
    .option('--host <host>', 'address to listen on (default FLYWHEEL_BOUNCE_SMTP_HOST, 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default FLYWHEEL_BOUNCE_SMTP_PORT, 2526)')
    .addHelpText('after', '\nOnly recipients whose bounce token verifies are accepted (others get 550). Reports that cannot be read or are about no message of ours are accepted and kept in <FLYWHEEL_DATA_DIR>/bounces/quarantine/; when the database is down the listener answers 451 so the sending server retries.')
    .action(withExitCodes(async (opts: { host?: string; port?: string }) => {
      const { loadConfig, createBounceIntake, openStoreOnly, startBounceListener } = await intakeModules();
      const config = loadConfig();
      const port = opts.port === undefined ? config.FLYWHEEL_BOUNCE_SMTP_PORT : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidInputError('USAGE', 'Invalid option:', [{ path: '--port', message: `"${opts.port}" is not a port number (0-65535)` }]);
      const db = await openStoreOnly(config, { onProgress: progressLine });
      const intake = createBounceIntake(config, db.store);
      try {
        const quarantineDir = join(config.FLYWHEEL_DATA_DIR, 'bounces', 'quarantine');
        const listener = await startBounceListener(intake.deps, { host: opts.host ?? config.FLYWHEEL_BOUNCE_SMTP_HOST, port, quarantineDir });
        const address = intake.deps.bounceAddress;
        intake.deps.log.info({ host: opts.host ?? config.FLYWHEEL_BOUNCE_SMTP_HOST, port: listener.port, bounceAddress: address ? `${address.local}+<token>@${address.domain}` : 'off', quarantineDir }, 'bounce listener started');
        const signal = await new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        intake.deps.log.info({ signal, ...listener.stats }, 'bounce listener stopping');
        await listener.close();
      } finally {
        await intake.close();
        await db.close();
      }
    })));
  return bounces;
}

function describe(r: IntakeResult): string {
  const where = `${r.send.campaign}/${r.send.step} (found by ${r.via})`;
  const report = r.facts.report;
  if (!report) return `${r.facts.format === 'dsn' ? 'delivery notice' : 'feedback report'} that needs no action, about ${where}`;
  const what = report.kind === 'hard-bounce' ? `hard bounce${report.status ? ` ${report.status}` : ''}` : report.kind === 'soft-bounce' ? `soft bounce${report.status ? ` ${report.status}` : ''}` : 'complaint';
  const counted = r.outcome?.counted ? 'counted' : 'already recorded';
  const suppressed = report.kind === 'soft-bounce' ? '' : r.outcome?.suppressed ? `; ${r.send.email} suppressed` : `; ${r.send.email} was already suppressed`;
  return `${what} of ${where}: ${counted}${suppressed}`;
}
