// Which recipients of a batch go out now, and why the others do not: cancelled beats
// everything, then "no longer due", then suppressions (global or for the batch's topic),
// and the daily quota holds back the rest in order.
import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { SKIP_REASON, splitAtCap, triageRecipients, type TriageFacts } from '../../engine/delivery/triage.ts';
import type { BatchRecipient } from '../../engine/ledger/index.ts';

function recipient(email: string): BatchRecipient {
  return {
    sendLogId: new Types.ObjectId(), occurrence: '', messageId: `${email}@test`, memberId: new Types.ObjectId(),
    email, name: email.split('@')[0]!, program: 'education', locale: 'en', timezone: 'UTC', attributes: {},
  };
}

const ada = recipient('ada@example.org');
const bob = recipient('Bob@Example.org');
const cy = recipient('cy@example.org');
const all = [ada, bob, cy];
const none: TriageFacts = { cancelled: false, superseded: new Set(), suppressed: new Set(), topic: 'newsletter' };
const reasons = (t: ReturnType<typeof triageRecipients>) => t.skipped.map((s) => [s.recipient.email, s.reason]);

describe('triage of a batch run', () => {
  it('sends to everyone when nothing stands in the way, in batch order', () => {
    expect(triageRecipients(all, none)).toEqual({ skipped: [], sendable: all });
  });

  it('skips everyone when the step or campaign was removed, whatever else is true', () => {
    const t = triageRecipients(all, { ...none, cancelled: true, suppressed: new Set(['ada@example.org']), superseded: new Set([String(bob.sendLogId)]) });
    expect(t.sendable).toEqual([]);
    expect(reasons(t)).toEqual(all.map((r) => [r.email, SKIP_REASON.cancelled]));
  });

  it('skips a member the campaign no longer wants (renewed, left the drip), even if also suppressed', () => {
    const t = triageRecipients(all, { ...none, superseded: new Set([String(bob.sendLogId)]), suppressed: new Set(['bob@example.org']) });
    expect(reasons(t)).toEqual([['Bob@Example.org', SKIP_REASON.superseded]]);
    expect(t.sendable).toEqual([ada, cy]);
  });

  it('skips a globally suppressed address whatever its case, and a topic opt-out only for that topic', () => {
    const suppressed = new Set(['bob@example.org', 'cy@example.org#newsletter']);
    expect(reasons(triageRecipients(all, { ...none, suppressed }))).toEqual([
      ['Bob@Example.org', SKIP_REASON.suppressed], ['cy@example.org', SKIP_REASON.suppressed],
    ]);
    expect(triageRecipients(all, { ...none, suppressed, topic: 'events' }).sendable).toEqual([ada, cy]);
    expect(triageRecipients(all, { ...none, suppressed, topic: null }).sendable).toEqual([ada, cy]);
  });

  it('the daily quota sends the first ones granted and holds back the rest', () => {
    expect(splitAtCap(all, 2)).toEqual({ now: [ada, bob], overCap: [cy] });
    expect(splitAtCap(all, 0)).toEqual({ now: [], overCap: all });
    expect(splitAtCap(all, 10)).toEqual({ now: all, overCap: [] });
  });
});
