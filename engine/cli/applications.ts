// `flywheel applications list|award|decline|ask|import|stats`: the review queue from the
// command line. Decisions are recorded once; a second award or decline exits 1 and says
// who decided first, when and why.
import { userInfo } from 'node:os';
import { basename, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DateTime } from 'luxon';
import { systemClock } from '../clock.ts';
import { FlywheelError } from '../errors.ts';
import type { ApplicationDeps, ListStatus } from '../applications/index.ts';
import { LIST_STATUSES } from '../applications/list-statuses.ts';
import { withExitCodes } from './exit-codes.ts';

type Applications = typeof import('../applications/index.ts');

/** The applications stage and its store, loaded when a command runs (not for `--help` or other commands). */
async function withApplications(fn: (deps: ApplicationDeps, app: Applications) => Promise<void>): Promise<void> {
  const [{ loadConfig }, { withDatabase }, app] = await Promise.all([import('../config.ts'), import('../store/index.ts'), import('../applications/index.ts')]);
  const config = loadConfig();
  const specs = await app.loadApplicationSpecs(config.FLYWHEEL_CAMPAIGNS_DIR);
  await withDatabase(config, (store) => fn({ store, specs }, app));
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Control characters an applicant typed must not reach the reviewer's terminal. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001F\u007F-\u009F]/g, '?');
}

function decisionCommand(name: 'award' | 'decline' | 'ask', description: string): Command {
  return new Command(name)
    .description(description)
    .argument('<id>', 'application id (from `flywheel applications list`)')
    .requiredOption('--reason <text>', name === 'ask' ? 'what the applicant should send (it is emailed to them)' : 'why (recorded with the decision)')
    .option('--by <name>', 'who decides (default: your user name)')
    .action(withExitCodes((id: string, opts: { reason: string; by?: string }) => withApplications(async (deps, { decideApplication }) => {
      const r = await decideApplication(deps, id, { decision: name, by: { kind: 'person', name: opts.by ?? userInfo().username }, reason: opts.reason }, systemClock.now());
      const a = r.application;
      process.stdout.write(`${a._id} (${a.program}, ${a.email}): ${a.status}${r.member ? `; member active until ${r.member.expiresAt.toISOString().slice(0, 10)}` : ''}\n`);
    })));
}

function parseDay(value: string, what: string): Date {
  const d = DateTime.fromISO(value, { zone: 'UTC' });
  if (!d.isValid) throw new FlywheelError('USAGE', `${what} "${value}" is not a date (use YYYY-MM-DD).`);
  return d.toJSDate();
}

export function applicationsCommand(): Command {
  const cmd = new Command('applications').description('Review, decide, import and measure applications to the programs');
  cmd
    .command('list')
    .description('Applications in the review queue, soonest due first')
    .option('--program <program>', 'only this program')
    .addOption(new Option('--status <status>', 'pending, needs-info, overdue (open and past due), awarded or declined').choices([...LIST_STATUSES]))
    .option('--json', 'print JSON')
    .action(withExitCodes((opts: { program?: string; status?: ListStatus; json?: boolean }) => withApplications(async (deps, { specFor, listApplications, businessDaysLeft }) => {
      if (opts.program) specFor(deps, opts.program);
      const now = systemClock.now();
      const apps = await listApplications(deps, { program: opts.program, status: opts.status }, now);
      const rows = apps.map((a) => {
        const spec = specFor(deps, a.program);
        const open = a.status === 'pending' || a.status === 'needs-info';
        return { id: a._id, program: a.program, email: a.email, name: a.name, status: a.status, submittedAt: a.submittedAt.toISOString(), dueAt: a.dueAt.toISOString(), businessDaysLeft: open ? businessDaysLeft(a, spec, now) : null, fields: a.fields };
      });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      if (rows.length === 0) return void process.stdout.write('no applications\n');
      process.stdout.write(table(['ID', 'PROGRAM', 'STATUS', 'DUE (business days left)', 'EMAIL', 'NAME'], rows.map((r) => [
        r.id, r.program, r.status, r.businessDaysLeft === null ? '-' : `${r.dueAt.slice(0, 10)} (${r.businessDaysLeft < 0 ? `OVERDUE by ${-r.businessDaysLeft}` : r.businessDaysLeft})`,
        printable(r.email), printable(r.name),
      ])));
    })));
  cmd.addCommand(decisionCommand('award', 'Award an application: the applicant becomes a member and starts onboarding'));
  cmd.addCommand(decisionCommand('decline', 'Decline an application (final; the applicant is told)'));
  cmd.addCommand(decisionCommand('ask', 'Ask the applicant for more information (the application waits as needs-info)'));
  cmd
    .command('import <file>')
    .description('Add applications from a CSV or JSON file; any bad row rejects the whole file')
    .addHelpText('after', '\nColumns: program, name, email, the program\'s own fields (see campaigns/_applications.ts), and optionally\nsubmittedAt (ISO date-time, in the program\'s time zone unless it has an offset). Rules decide as for the form.')
    .action(withExitCodes((file: string) => withApplications(async (deps, { importApplications }) => {
      const r = await importApplications(deps, resolve(file), systemClock.now(), { displayName: basename(file) });
      process.stdout.write(`${r.rows} row(s): ${r.created} new, ${r.updated} updated; ${r.awarded} awarded and ${r.declined} declined by rules\n`);
    })));
  cmd
    .command('stats')
    .description('KPIs per program: received, decided, auto vs manual share, median business days to award, share within the promise, overdue')
    .option('--program <program>', 'only this program')
    .option('--from <date>', 'start of the period (YYYY-MM-DD, UTC); default 30 days ago')
    .option('--to <date>', 'end of the period, exclusive (YYYY-MM-DD, UTC); default now')
    .option('--json', 'print JSON')
    .action(withExitCodes((opts: { program?: string; from?: string; to?: string; json?: boolean }) => withApplications(async (deps, { specFor, applicationStats }) => {
      if (opts.program) specFor(deps, opts.program);
      const now = systemClock.now();
      const to = opts.to ? parseDay(opts.to, '--to') : now;
      const from = opts.from ? parseDay(opts.from, '--from') : new Date(to.getTime() - 30 * 86_400_000);
      if (from >= to) throw new FlywheelError('USAGE', '--from must be before --to.');
      const rows = await applicationStats(deps, { from, to, program: opts.program }, now);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      const pct = (x: number | null) => (x === null ? '-' : `${Math.round(x * 100)}%`);
      process.stdout.write(`${from.toISOString().slice(0, 10)} to ${to.toISOString().slice(0, 10)}\n`);
      process.stdout.write(table(['PROGRAM', 'RECEIVED', 'DECIDED', 'AWARDED', 'DECLINED', 'AUTO', 'MEDIAN DAYS TO AWARD', 'IN WINDOW', 'OVERDUE'], rows.map((r) => [
        r.program === '*' ? 'all' : r.program, String(r.received), String(r.decided), String(r.awarded), String(r.declined), pct(r.autoShare),
        r.medianBusinessDaysToAward === null ? '-' : String(r.medianBusinessDaysToAward), pct(r.withinWindowShare), String(r.overdue),
      ])));
    })));
  return cmd;
}
