// Pages where a member decides something: unsubscribe, preferences, RSVP, a survey comment.
// A GET only shows the choice (link scanners follow GETs); a POST, from a plain form without
// cookies or JavaScript, records it. One-click unsubscribes (RFC 8058) are accepted even while
// the database is down (journalled); the other writes answer 503 + Retry-After then.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { TOPICS, type Topic } from '../store/index.ts';
import type { TokenSigner, TrackingUrls, RecipientRef } from '../tracking/tokens.ts';
import { memberFor, recordRsvp, recordSurveyComment, setTopics, type TrackingDeps } from '../tracking/events.ts';
import type { UnsubscribeJournal } from '../tracking/unsubscribe-journal.ts';
import type { DatabaseHealth } from '../store/health.ts';
import { withDeadline } from '../store/health.ts';
import {
  errorPage, preferencesPage, rsvpChoicePage, rsvpPage, surveyCommentThanksPage, unsubscribeConfirmPage, unsubscribedPage,
} from './pages.ts';
import { unavailable } from './errors.ts';

export interface MemberRouteDeps extends TrackingDeps {
  signer: TokenSigner;
  urls: TrackingUrls;
  journal: UnsubscribeJournal;
  health: DatabaseHealth;
  /** how long a page waits for the database before answering 503 */
  dbDeadlineMs: number;
}

type Body = Record<string, unknown> | undefined;
const field = (body: Body, name: string): string | undefined => {
  const v = body?.[name];
  return typeof v === 'string' ? v : undefined;
};

/** Forms: a few per person per minute; one-click posts come from mail providers' servers, so more. */
const FORM_LIMIT = { rateLimit: { max: 30, timeWindow: '1 minute' } };
const ONE_CLICK_LIMIT = { rateLimit: { max: 600, timeWindow: '1 minute' } };

export function mountMemberRoutes(app: FastifyInstance, deps: MemberRouteDeps): void {
  const db = <T>(p: Promise<T>) => withDeadline(p, deps.dbDeadlineMs);
  const withRef = async (rt: string, reply: FastifyReply, handle: (ref: RecipientRef) => unknown) => {
    let ref: RecipientRef;
    try {
      ref = deps.signer.verifyRecipientToken(rt);
    } catch (err) {
      return reply.code(400).type('text/html').send(errorPage((err as Error).message));
    }
    return handle(ref);
  };
  /** For pages that need the database: 503 at once while it is known to be down. */
  const needsDb = async (reply: FastifyReply, handle: () => Promise<unknown>) => {
    if (!deps.health.isUp) return unavailable(reply);
    return handle();
  };

  app.get<{ Params: { rt: string } }>('/u/:rt', (req, reply) => withRef(req.params.rt, reply, async (ref) => {
    // The address is shown when the database answers quickly; the button works either way.
    const email = deps.health.isUp ? await db(memberFor(deps.store, ref)).then((m) => m.email, () => undefined) : undefined;
    return reply.type('text/html').send(unsubscribeConfirmPage(email, `/u/${req.params.rt}`, deps.urls.preferences(req.params.rt)));
  }));

  // RFC 8058 one-click (body "List-Unsubscribe=One-Click", urlencoded or multipart) and the confirmation form.
  app.post<{ Params: { rt: string }; Body: Body }>('/u/:rt', { config: ONE_CLICK_LIMIT }, (req, reply) => withRef(req.params.rt, reply, async (ref) => {
    const oneClick = field(req.body, 'List-Unsubscribe') === 'One-Click';
    await deps.journal.accept(ref, oneClick ? 'one-click' : 'link', deps.health.isUp ? (p) => db(p) : undefined);
    return oneClick ? reply.code(200).type('text/plain').send('unsubscribed') : reply.type('text/html').send(unsubscribedPage());
  }));

  app.get<{ Params: { rt: string }; Querystring: { saved?: string } }>('/p/:rt', (req, reply) => withRef(req.params.rt, reply, (ref) => needsDb(reply, async () => {
    const member = await db(memberFor(deps.store, ref));
    const topics = Object.fromEntries(TOPICS.map((t) => [t, member.topics[t] !== false])) as Record<Topic, boolean>;
    return reply.type('text/html').send(preferencesPage(member.email, topics, `/p/${req.params.rt}`, req.query.saved === '1'));
  })));

  app.post<{ Params: { rt: string }; Body: Body }>('/p/:rt', { config: FORM_LIMIT }, (req, reply) => withRef(req.params.rt, reply, (ref) => needsDb(reply, async () => {
    const topics = Object.fromEntries(TOPICS.map((t) => [t, field(req.body, t) === 'on'])) as Record<Topic, boolean>;
    await db(setTopics(deps, ref, topics));
    return reply.redirect(`/p/${req.params.rt}?saved=1`, 303);
  })));

  app.get<{ Params: { rt: string; answer: string } }>('/r/:rt/:answer', (req, reply) => withRef(req.params.rt, reply, () => {
    const answer = req.params.answer;
    if (answer !== 'yes' && answer !== 'no') return reply.code(400).type('text/html').send(errorPage('An RSVP answer is yes or no.'));
    return reply.type('text/html').send(rsvpChoicePage(answer, `/r/${req.params.rt}/${answer}`));
  }));

  app.post<{ Params: { rt: string; answer: string } }>('/r/:rt/:answer', { config: FORM_LIMIT }, (req, reply) => withRef(req.params.rt, reply, (ref) => needsDb(reply, async () => {
    const answer = req.params.answer;
    if (answer !== 'yes' && answer !== 'no') return reply.code(400).type('text/html').send(errorPage('An RSVP answer is yes or no.'));
    await db(recordRsvp(deps, ref, answer));
    return reply.type('text/html').send(rsvpPage(answer));
  })));

  app.post<{ Params: { rt: string }; Body: Body }>('/s/:rt', { config: FORM_LIMIT }, (req, reply) => withRef(req.params.rt, reply, (ref) => needsDb(reply, async () => {
    const comment = (field(req.body, 'comment') ?? '').trim();
    if (comment) await db(recordSurveyComment(deps, ref, comment));
    return reply.type('text/html').send(surveyCommentThanksPage());
  })));
}
