// The managers' daily review digest: once per program per business day (from 08:00 in the
// program's zone), the applications overdue and those due within two business days. An
// internal operations email, not a campaign (managers are not members). Sent at most once a
// day: the day's key is inserted before sending and removed again if the send fails, so a
// job that runs twice (Agenda locks are not atomic on every backend) cannot send it twice.
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import { isBusinessDay, localDate } from '../calendar/business-days.ts';
import type { Address, Transport } from '../delivery/transport.ts';
import { escapeUTF8 as escapeHtml } from 'entities';
import type { ApplicationDeps } from './intake.ts';
import { insertOnce } from './models.ts';
import { businessDaysLeft, digestFor, openApplications, type Digest, type QueueApplication } from './queue.ts';
import type { ResolvedApplicationSpec } from './spec.ts';
import mongoose, { Schema } from 'mongoose';

export const DIGEST_HOUR = 8;

/** Is a digest for this program due at `now`: a business day in its zone, at or after 08:00? */
export function digestDueAt(spec: ResolvedApplicationSpec, now: Date): boolean {
  return isBusinessDay(now, spec.calendar) && DateTime.fromJSDate(now, { zone: spec.calendar.zone }).hour >= DIGEST_HOUR;
}

export interface DigestMessage {
  subject: string;
  text: string;
  html: string;
}

function line(a: QueueApplication, spec: ResolvedApplicationSpec, now: Date): { text: string; html: string } {
  const left = businessDaysLeft(a, spec, now);
  const when = left < 0 ? `OVERDUE by ${-left} business day${left === -1 ? '' : 's'}` : left === 0 ? 'due today' : `due in ${left} business day${left === 1 ? '' : 's'}`;
  const status = a.status === 'needs-info' ? ' (waiting for the applicant)' : '';
  return {
    text: `- ${a._id}  ${a.name} <${a.email}>  ${when}${status}`,
    html: `<li><code>${escapeHtml(a._id)}</code> ${escapeHtml(a.name)} &lt;${escapeHtml(a.email)}&gt;: <strong>${escapeHtml(when)}</strong>${escapeHtml(status)}</li>`,
  };
}

/** The digest email for one program; undefined when there is nothing to remind anyone of. Pure. */
export function digestMessage(spec: ResolvedApplicationSpec, digest: Digest, now: Date): DigestMessage | undefined {
  if (digest.overdue.length === 0 && digest.dueSoon.length === 0) return undefined;
  const sections = [
    { title: `Overdue (${digest.overdue.length})`, apps: digest.overdue },
    { title: `Due within 2 business days (${digest.dueSoon.length})`, apps: digest.dueSoon },
  ].filter((s) => s.apps.length > 0);
  const subject = `[${spec.program}] Applications: ${digest.overdue.length} overdue, ${digest.dueSoon.length} due within 2 business days`;
  const decide = 'Decide with: flywheel applications award|decline|ask ID --reason "..."';
  const text = [subject, '', ...sections.flatMap((s) => [s.title, ...s.apps.map((a) => line(a, spec, now).text), '']), decide].join('\n');
  const html = `<!doctype html><html><body style="font:15px/1.5 system-ui,sans-serif"><h1 style="font-size:18px">${escapeHtml(subject)}</h1>${sections
    .map((s) => `<h2 style="font-size:16px">${escapeHtml(s.title)}</h2><ul>${s.apps.map((a) => line(a, spec, now).html).join('')}</ul>`).join('')}<p><code>${escapeHtml(decide)}</code></p></body></html>`;
  return { subject, text, html };
}

export interface DigestDeps extends ApplicationDeps {
  transport: Transport;
  from: Address;
  log: Logger;
}

const digestSentSchema = new Schema({ _id: String, program: String, day: String, at: Date }, { versionKey: false });
function digestSent(conn: mongoose.Connection) {
  return (conn.models.ApplicationDigest as mongoose.Model<{ _id: string }> | undefined) ?? conn.model<{ _id: string }>('ApplicationDigest', digestSentSchema, 'application_digests');
}

/** Send every program's digest that is due at `now` and not yet sent today. Returns the programs sent. */
export async function sendReviewDigests(deps: DigestDeps, now: Date): Promise<string[]> {
  const sent: string[] = [];
  const due = [...deps.specs.values()].filter((s) => s.managers.length > 0 && digestDueAt(s, now));
  if (due.length === 0) return sent;
  const open = await openApplications(deps);
  const Sent = digestSent(deps.store.conn);
  for (const spec of due) {
    const message = digestMessage(spec, digestFor(spec, open, now), now);
    if (!message) continue;
    const day = localDate(now, spec.calendar.zone);
    const key = `${spec.program}:${day}`;
    if (!(await insertOnce(Sent as never, { _id: key, program: spec.program, day, at: now }))) continue;
    try {
      for (const manager of spec.managers) {
        await deps.transport.send({
          messageId: `digest.${spec.program}.${day}.${manager.replace(/[^A-Za-z0-9]/g, '_')}@${deps.from.email.split('@')[1] ?? 'flywheel.local'}`,
          from: deps.from, to: { email: manager }, subject: message.subject, html: message.html, text: message.text,
          headers: { 'X-Flywheel-Campaign': 'application-digest' },
          tags: { sendLogId: key, campaign: 'application-digest', step: spec.program },
        });
      }
      sent.push(spec.program);
    } catch (err) {
      // let the next run try again today: the failure is logged, the key released
      await Sent.deleteOne({ _id: key });
      deps.log.error({ err, program: spec.program }, 'application digest not sent; will retry on the next run');
    }
  }
  return sent;
}
