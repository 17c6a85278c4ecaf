// `flywheel members import FILE | export EMAIL | erase EMAIL | compact`.
// Only commander and the exit-code wrapper load up front; each action loads the engine modules it
// needs when it runs, so `flywheel --help` and `members import` do not pay for the renderer, the
// HTTP server or the scheduler.
import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import type { SingleBar } from 'cli-progress';
import type { Config } from '../config.ts';
import { FlywheelError, formatIssue, InvalidInputError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { withExitCodes } from './exit-codes.ts';

async function withStore(fn: (store: Store, config: Config) => Promise<void>): Promise<void> {
  const [{ loadConfig }, { withDatabase }] = await Promise.all([import('../config.ts'), import('../store/index.ts')]);
  const config = loadConfig();
  return withDatabase(config, (store) => fn(store, config));
}

/** Progress only for large files: a bar on a terminal, otherwise a line every few seconds (logs, CI). */
const PROGRESS_FROM_ROWS = 2_000;
const PROGRESS_LINE_EVERY_MS = 5_000;

async function importProgress(): Promise<{ update: (done: number, total: number) => void; stop: () => void }> {
  const { SingleBar, Presets } = await import('cli-progress');
  let bar: SingleBar | undefined;
  let lastLine = performance.now();
  return {
    update(done, total) {
      if (total < PROGRESS_FROM_ROWS) return;
      if (process.stderr.isTTY) {
        if (!bar) {
          bar = new SingleBar({ stream: process.stderr, format: 'importing [{bar}] {value}/{total} rows, {eta}s left' }, Presets.shades_classic);
          bar.start(total, 0);
        }
        bar.update(done);
      } else if (performance.now() - lastLine >= PROGRESS_LINE_EVERY_MS || done === total) {
        lastLine = performance.now();
        process.stderr.write(`imported ${done}/${total} rows (${Math.floor((done / total) * 100)}%)\n`);
      }
    },
    stop: () => bar?.stop(),
  };
}

export function membersCommand(): Command {
  const cmd = new Command('members').description('Import, export and erase members');
  cmd
    .command('import <file>')
    .description('Upsert members from a CSV or JSON file by email (case-insensitive); any bad row rejects the whole file')
    .option('--skip-invalid', 'import the valid rows and list the invalid ones instead of rejecting the file')
    .addHelpText('after', '\nCSV columns: email, name, program, status, locale, timezone, country, appliedAt, awardedAt, expiresAt,\n  unsubscribedAt, tags (separated by ; or |), newsletter, events, caseStudies (true/false), attr.<name> (custom attributes).\nJSON: an array of objects with the same fields; `attributes` an object, `renewals` [{ renewedAt, expiresAt }].')
    .action(
      withExitCodes(async (file: string, opts: { skipInvalid?: boolean }) => {
        const { importMembers, openMemberFile } = await import('../audience/members/import.ts');
        // an empty, binary or misnamed file is reported before the database starts
        openMemberFile(resolve(file), basename(file));
        return withStore(async (store, config) => {
          const { loadPrograms } = await import('../campaigns/index.ts');
          // rows must name a declared program (campaigns/programs.ts)
          const programs = await loadPrograms(config.FLYWHEEL_CAMPAIGNS_DIR);
          const progress = await importProgress();
          const result = await importMembers(store, resolve(file), {
            programs,
            secret: config.FLYWHEEL_SECRET,
            skipInvalid: opts.skipInvalid,
            displayName: basename(file),
            onProgress: progress.update,
          }).finally(progress.stop);
          for (const issue of result.skipped) process.stderr.write(`skipped ${formatIssue(issue)}\n`);
          process.stdout.write(`${result.rows} row(s): ${result.created} created, ${result.updated} updated${result.unchanged ? ` (${result.unchanged} already up to date)` : ''}, ${result.skippedRows} skipped\n`);
          if (result.keptSuppressed) process.stdout.write(`${result.keptSuppressed} address(es) were erased before and stay unsubscribed\n`);
        });
      }),
    );
  cmd
    .command('export <email>')
    .description('Print (or write with --out) everything stored about one member, as JSON')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(
      withExitCodes((email: string, opts: { out?: string }) =>
        withStore(async (store) => {
          const { exportMember } = await import('../audience/members/privacy.ts');
          const json = `${JSON.stringify(await exportMember(store, email), null, 2)}\n`;
          if (opts.out) writeFileSync(opts.out, json);
          else process.stdout.write(json);
        }),
      ),
    );
  cmd
    .command('erase <email>')
    .description('Erase a member\'s personal data (keeps anonymous counts); cannot be undone')
    .option('--yes', 'confirm the erasure')
    .action(
      withExitCodes(async (email: string, opts: { yes?: boolean }) => {
        if (!opts.yes) throw new InvalidInputError('CONFIRMATION_REQUIRED', 'Erasure cannot be undone:', [{ subject: email, message: 'pass --yes to confirm' }]);
        return withStore(async (store, config) => {
          const [{ eraseMember }, { systemClock }, { compactDatabase }] = await Promise.all([import('../audience/members/privacy.ts'), import('../clock.ts'), import('../store/index.ts')]);
          const r = await eraseMember(store, email, systemClock.now(), config.FLYWHEEL_SECRET);
          process.stdout.write(`erased member ${r.memberId}; ${r.sendsScrubbed} send record(s) scrubbed; the address stays suppressed as a keyed hash\n`);
          // the deleted documents are still in the database files until they are rewritten
          const compacted = await compactDatabase(store).catch((cause: unknown) => {
            throw new FlywheelError('COMPACT_FAILED', `The member is erased, but the database files could not be compacted: ${(cause as Error).message}`, {
              hint: 'Old copies of the address stay in the database files until then. Run `flywheel members compact` when no other flywheel command is running.',
              cause,
            });
          });
          process.stdout.write(`database files compacted (${compacted.engine}, ${compacted.ms} ms)\n`);
          process.stdout.write(`note: messages already sent are not erased: copies stay in ${config.FLYWHEEL_OUTBOX_DIR} (outbox transport) and at your mail provider\n`);
        });
      }),
    );
  cmd
    .command('compact')
    .description('Rewrite the database files without deleted documents (done after every erasure; run it again if that step failed)')
    .action(
      withExitCodes(() =>
        withStore(async (store) => {
          const { compactDatabase } = await import('../store/index.ts');
          const compacted = await compactDatabase(store);
          process.stdout.write(`database files compacted (${compacted.engine}, ${compacted.collections} collection(s), ${compacted.ms} ms)\n`);
        }),
      ),
    );
  return cmd;
}
