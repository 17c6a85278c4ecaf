// `flywheel plan CAMPAIGN --days 90`: dry run on a virtual clock. Reads the campaign file,
// the current audience and content from the database, and prints who would receive which
// step when, with the subject as each member will read it, without writing anything.
// --rsvp and --renew play members' answers and renewals into the simulation.
import { Command, Option } from 'commander';
import { DateTime } from 'luxon';
import type { LoadedCampaign } from '../campaigns/index.ts';
import { systemClock } from '../clock.ts';
import { InvalidInputError, type InputIssue } from '../errors.ts';
import type { MemberChange, PlannerMember } from '../planner/index.ts';
import { printTable } from './campaigns.ts';
import { withExitCodes } from './exit-codes.ts';

interface PlanOptions {
  days: number;
  from?: string;
  json?: boolean;
  opens: 'none' | 'all';
  member?: string;
  rsvp: string[];
  renew: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function planCommand(): Command {
  return new Command('plan')
    .description('Simulate a campaign on a virtual clock: who receives which step when, and the subject they read (nothing is sent or written)')
    .argument('<campaign>', 'campaign name')
    .option('--days <n>', 'how many days to simulate', (v) => Number.parseInt(v, 10), 90)
    .option('--from <iso>', 'start of the simulation (default: now)')
    .option('--member <email>', 'only this member')
    .addOption(new Option('--opens <who>', 'assume members open every email (engagement branches)').choices(['none', 'all']).default('none'))
    .option('--rsvp <email=answer>', 'the member answers the event invitation yes or no as soon as it arrives (repeatable)', collect, [])
    .option('--renew <email@date>', "the member renews on that date: their expiry moves on by their program's renewal period (repeatable)", collect, [])
    .option('--json', 'print JSON for machines')
    .addHelpText('after', `
Examples:
  flywheel plan renewal-yearly --days 60 --renew ada@example.org@2026-12-15
  flywheel plan hackathon-contributors-2026 --days 120 --rsvp ada@example.org=yes --rsvp bob@example.org=no`)
    .action(
      withExitCodes(async (name: string, opts: PlanOptions) => {
        if (!Number.isInteger(opts.days) || opts.days <= 0) throw new InvalidInputError('USAGE', 'Bad option:', [{ path: '--days', message: 'must be a positive whole number' }]);
        const from = opts.from ? new Date(opts.from) : systemClock.now();
        if (Number.isNaN(from.getTime())) throw new InvalidInputError('USAGE', 'Bad option:', [{ path: '--from', message: 'must be an ISO date-time' }]);
        const issues: InputIssue[] = [];
        const answers = parseRsvps(opts.rsvp, issues);
        const renewals = parseRenewals(opts.renew, issues);
        if (issues.length) throw new InvalidInputError('USAGE', 'Bad option:', issues);
        // the engine modules are loaded when the command runs, not for `--help` or other commands
        const [{ loadConfig }, { audienceFilter }, { simulate }, { memberViewOf }, { createRendering, loadProjectCampaigns, openStoreOnly }, { kindOf }, { recentItems }] = await Promise.all([
          import('../config.ts'), import('../audience/index.ts'), import('../planner/index.ts'), import('../render/preview-data.ts'), import('../main.ts'), import('../campaigns/index.ts'), import('../content/index.ts'),
        ]);
        const config = loadConfig();
        const campaigns = await loadProjectCampaigns(config);
        const campaign = campaigns.find((c) => c.name === name);
        if (!campaign) throw new InvalidInputError('CAMPAIGN_UNKNOWN', `No campaign named "${name}":`, [{ subject: name, message: `known: ${campaigns.map((c) => c.name).join(', ')}` }]);
        const { renderer } = createRendering(config);
        const db = await openStoreOnly(config);
        try {
          const filter = await audienceFilter(db.store, campaign, from);
          const members = (await db.store.models.Member.find(opts.member ? { $and: [filter, { email: opts.member.toLowerCase() }] } : filter).lean()) as unknown as PlannerMember[];
          const needs = kindOf(campaign.definition).content?.(campaign.definition);
          const content = needs ? await recentItems(db.store, new Date(from.getTime() - needs.lookbackDays * 86_400_000)) : [];
          const byEmail = new Map(members.map((m) => [m.email, m]));
          const rsvp = idsFor(answers, byEmail, '--rsvp');
          const changes = renewalChanges(campaign, renewals, byEmail);
          const plan = simulate({ campaign, members, content, from, days: opts.days, opens: () => opts.opens === 'all', rsvp: (id) => rsvp.get(id), changes });
          // the subject as each member reads it: both template passes, with the member's own data
          const byId = new Map(members.map((m) => [String(m._id), m]));
          const rows = plan.map((s) => ({ ...s, subjectTemplate: s.subject, subject: renderer.subject({ subject: s.subject, data: s.data, member: memberViewOf(byId.get(s.memberId)!) }) }));
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(rows.map(({ attachments, ...s }) => ({ ...s, attachments: attachments?.map((a) => a.filename) })), null, 2)}\n`);
            return;
          }
          printTable(
            ['WHEN (UTC)', 'MEMBER LOCAL TIME', 'EMAIL', 'STEP', 'OCCURRENCE', 'SUBJECT'],
            rows.map((s) => {
              const zone = byId.get(s.memberId)?.timezone ?? 'UTC';
              return [s.dueAt.toISOString().slice(0, 16).replace('T', ' '), `${DateTime.fromJSDate(s.dueAt, { zone }).toFormat('yyyy-MM-dd HH:mm')} ${zone}`, s.email, s.step, s.occurrence || '-', s.subject];
            }),
          );
          process.stdout.write(`${plan.length} send(s) to ${new Set(plan.map((s) => s.memberId)).size} of ${members.length} member(s) in the audience, ${opts.days} days from ${from.toISOString()}\n`);
        } finally {
          await db.close();
        }
      }),
    );
}

/** `ada@example.org=yes` -> email -> answer. */
function parseRsvps(values: string[], issues: InputIssue[]): Map<string, 'yes' | 'no'> {
  const out = new Map<string, 'yes' | 'no'>();
  for (const v of values) {
    const m = /^(.+@[^=]+)=(yes|no)$/i.exec(v.trim());
    if (!m) issues.push({ path: '--rsvp', subject: v, message: 'must be EMAIL=yes or EMAIL=no, e.g. --rsvp ada@example.org=yes' });
    else out.set(m[1]!.toLowerCase(), m[2]!.toLowerCase() as 'yes' | 'no');
  }
  return out;
}

/** `ada@example.org@2026-12-01` -> email -> renewal instant (the last `@` separates the date). */
function parseRenewals(values: string[], issues: InputIssue[]): Map<string, Date> {
  const out = new Map<string, Date>();
  for (const v of values) {
    const at = v.lastIndexOf('@');
    const email = v.slice(0, at).trim().toLowerCase();
    const when = DateTime.fromISO(v.slice(at + 1).trim(), { zone: 'UTC' });
    if (at <= 0 || !email.includes('@') || !when.isValid) issues.push({ path: '--renew', subject: v, message: 'must be EMAIL@DATE with an ISO date, e.g. --renew ada@example.org@2026-12-01' });
    else out.set(email, when.toJSDate());
  }
  return out;
}

/** Member ids for the emails an option names; an address outside the audience is a mistake worth naming. */
function idsFor<T>(byEmail: Map<string, T>, members: Map<string, PlannerMember>, option: string): Map<string, T> {
  const out = new Map<string, T>();
  const issues: InputIssue[] = [];
  for (const [email, value] of byEmail) {
    const member = members.get(email);
    if (!member) issues.push({ path: option, subject: email, message: 'no member with this address in the campaign\'s audience' });
    else out.set(String(member._id), value);
  }
  if (issues.length) throw new InvalidInputError('USAGE', 'Bad option:', issues);
  return out;
}

/** A renewal moves the expiry on by the member's program's renewal period (campaigns/programs.ts), from the renewal date on. */
function renewalChanges(campaign: LoadedCampaign, renewals: Map<string, Date>, members: Map<string, PlannerMember>): MemberChange[] {
  const issues: InputIssue[] = [];
  const changes: MemberChange[] = [];
  for (const [memberId, at] of idsFor(renewals, members, '--renew')) {
    const member = [...members.values()].find((m) => String(m._id) === memberId)!;
    const period = campaign.programs?.[member.program]?.renewalPeriod;
    if (!period) { issues.push({ path: '--renew', subject: member.email, message: `program "${member.program}" has no renewalPeriod in campaigns/programs.ts, so a renewal has no new expiry` }); continue; }
    const current = member.expiresAt instanceof Date && member.expiresAt > at ? member.expiresAt : at;
    changes.push({ at, memberId, set: { expiresAt: DateTime.fromJSDate(current, { zone: 'UTC' }).plus(period).toJSDate() } });
  }
  if (issues.length) throw new InvalidInputError('USAGE', 'Bad option:', issues);
  return changes;
}
