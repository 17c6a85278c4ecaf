// SendGrid's Event Webhook, the writing half: each verified event is tied to our send through the
// `sendLogId` custom arg our transport sets, then does what it says (bounces, spam reports,
// unsubscribes, opens, clicks), and is kept as the provider's record under `sendgrid:<sg_event_id>`.
// Every write is keyed (per send, per member, per event id), so a replayed batch changes nothing.
import type { Topic } from '../store/index.ts';
import { insertKeyed } from '../store/keyed-insert.ts';
import { createHash } from 'node:crypto';
import { setTopics, unsubscribeMember, type TrackingDeps } from './events.ts';
import { recordDeliveryReport, reportedSend, suppressReportedAddress, type ReportedSend } from './delivery-reports.ts';
import { effectOf, type ParsedBatch, type SendGridEvent } from './sendgrid-events.ts';
import { classifyHit } from './machine-rules.ts';
import { persistHits } from './persist-hits.ts';
import type { HitPage } from './hit-pages.ts';

export interface IngestOutcome {
  received: number;
  /** events tied to one of our sends */
  correlated: number;
  /** events seen before (same sg_event_id) */
  replayed: number;
  invalid: number;
}

export async function ingestSendGridEvents(deps: TrackingDeps, batch: ParsedBatch): Promise<IngestOutcome> {
  const sends = new Map<string, ReportedSend | undefined>();
  for (const id of new Set(batch.events.flatMap((e) => (e.sendLogId ? [e.sendLogId] : [])))) sends.set(id, await reportedSend(deps, id));

  const hits: HitPage[] = [];
  let correlated = 0;
  for (const e of batch.events) {
    const send = e.sendLogId ? sends.get(e.sendLogId) : undefined;
    if (send) correlated++;
    await applyEffect(deps, e, send, hits);
  }
  // opens and clicks take the pixel's path (one page per provider event, keyed by its id: a replayed
  // event never counts twice), with the same first-open/first-click keys as the pixel
  if (hits.length) await persistHits(deps.store, deps.counters, hits);

  // the provider's own record, last: an event recorded here has had its effect
  const now = deps.clock.now();
  const docs = [
    ...batch.events.map((e) => {
      const send = e.sendLogId ? sends.get(e.sendLogId) : undefined;
      const key = `sendgrid:${e.sg_event_id}`;
      return {
        _id: key, key, type: `provider-${e.event}`, at: new Date(e.timestamp * 1000), receivedAt: now,
        sendLogId: send?.sendLogId ?? null, memberId: send?.memberId ?? null, campaign: send?.campaign ?? null, step: send?.step ?? null, program: send?.program ?? null,
        data: send ? withoutAddress(e) : e,
      };
    }),
    // unusable events are kept too (keyed by their content, so a retried request adds nothing), for the operator to read
    ...batch.invalid.map((i) => {
      const key = `sendgrid-invalid:${createHash('sha256').update(JSON.stringify(i.raw) ?? 'undefined').digest('base64url')}`;
      return { _id: key, key, type: 'provider-invalid', at: now, data: { problem: i.problem, raw: i.raw } };
    }),
  ];
  const dup = await insertKeyed(deps.store.models.Event.collection, docs);
  const replayed = [...dup].filter((i) => i < batch.events.length).length;
  return { received: batch.events.length + batch.invalid.length, correlated, replayed, invalid: batch.invalid.length };
}

async function applyEffect(deps: TrackingDeps, e: SendGridEvent, send: ReportedSend | undefined, hits: HitPage[]): Promise<void> {
  const at = new Date(e.timestamp * 1000);
  const effect = effectOf(e);
  switch (effect.effect) {
    case 'hard-bounce': case 'soft-bounce': case 'complaint': {
      const report = effect.effect === 'complaint' ? { kind: effect.effect, detail: effect.detail } : { kind: effect.effect, detail: effect.detail, status: effect.status };
      // a signed report about an address is enough to stop mailing it, even for mail we cannot place
      if (send) await recordDeliveryReport(deps, send, report, at, 'sendgrid');
      else await suppressReportedAddress(deps, e.email, report, at, 'sendgrid');
      return;
    }
    case 'unsubscribe':
      if (send) await unsubscribeMember(deps, { ...send, sentAt: at }, 'provider', at);
      return;
    case 'group-unsubscribe':
      // SendGrid's unsubscribe groups stand for our topics: the topic of the campaign the member left
      if (send?.topic) await setTopics(deps, { ...send, sentAt: at }, { [send.topic]: false } as Record<Topic, boolean>);
      else if (send) await unsubscribeMember(deps, { ...send, sentAt: at }, 'provider', at);
      return;
    case 'open': case 'click': {
      if (!send) return;
      const userAgent = e.useragent ?? '';
      // SendGrid flags the opens it knows are machines; our agent rules apply too (no delivery-time rule: the token's send time is not here)
      const byAgent = classifyHit(effect.effect, { method: 'GET', userAgent, at, sentAt: new Date(0), earlierProxyFetches: 1 });
      const rule = effect.effect === 'open' && effect.machine ? 'provider-machine-open' : byAgent.machine ? byAgent.rule : undefined;
      hits.push({ id: `sendgrid:${e.sg_event_id}`, hits: [{
        kind: effect.effect, ref: { ...send, sentAt: at }, at, userAgent,
        ...(rule ? { rule } : {}), ...(effect.effect === 'click' && effect.url ? { target: effect.url } : {}),
      }] });
      return;
    }
    case 'record':
      return;
  }
}


/** A correlated event's address is the send's (the ledger has it, and erasure finds it there). */
function withoutAddress(e: SendGridEvent): Omit<SendGridEvent, 'email'> {
  const { email: _email, ...rest } = e;
  return rest;
}
