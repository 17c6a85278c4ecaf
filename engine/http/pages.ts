// The few pages people see in a browser: unsubscribe confirmation, preference centre, RSVP,
// survey thanks. Plain, accessible HTML that works without JavaScript or cookies; every dynamic
// value is escaped, and the style sheet is a separate file so the CSP can forbid inline code.
import type { Topic } from '../store/index.ts';

const TOPIC_LABELS: Record<Topic, string> = {
  newsletter: 'Monthly newsletter',
  events: 'Event invitations',
  caseStudies: 'Case studies from other members',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Served at /assets/pages.css (the pages' CSP allows styles from this origin only). */
export const PAGES_CSS = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2933}
h1{font-size:1.5rem}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#3d5afe;color:#fff;cursor:pointer}
button.secondary{background:#616e7c}textarea{font:inherit;width:100%;min-height:6rem}
label{display:block;margin:.5rem 0}.muted{color:#616e7c}@media(prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}.muted{color:#9ca3af}}
`;

/** `extraCss` is inlined: only for pages served without the member pages' CSP (the application form). */
export function page(title: string, body: string, extraCss = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/assets/pages.css">${extraCss ? `<style>${extraCss}</style>` : ''}
</head><body>${body}</body></html>`;
}

/** `email` is left out when the database cannot be asked right now: the button works regardless. */
export function unsubscribeConfirmPage(email: string | undefined, action: string, preferencesUrl: string): string {
  return page('Unsubscribe', `<h1>${email ? `Unsubscribe ${escapeHtml(email)}?` : 'Unsubscribe from our emails?'}</h1>
<p>You will get no more program emails from us. You can instead <a href="${escapeHtml(preferencesUrl)}">choose which emails you get</a>.</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="confirm" value="yes"><button type="submit">Unsubscribe</button></form>`);
}

export function unsubscribedPage(): string {
  return page('Unsubscribed', '<h1>You are unsubscribed</h1><p>You will get no more program emails from us.</p>');
}

export function preferencesPage(email: string, topics: Record<Topic, boolean>, action: string, saved: boolean): string {
  const boxes = (Object.keys(TOPIC_LABELS) as Topic[])
    .map((t) => `<label><input type="checkbox" name="${t}" value="on"${topics[t] ? ' checked' : ''}> ${TOPIC_LABELS[t]}</label>`)
    .join('');
  return page('Email preferences', `<h1>Email preferences</h1><p class="muted">for ${escapeHtml(email)}</p>
${saved ? '<p role="status"><strong>Saved.</strong></p>' : ''}
<form method="post" action="${escapeHtml(action)}">${boxes}<p><button type="submit">Save preferences</button></p></form>`);
}

/** What an RSVP link opens: the choice, recorded only when the button is pressed (link scanners do not press). */
export function rsvpChoicePage(answer: 'yes' | 'no', action: string): string {
  const question = answer === 'yes' ? 'Count you in?' : 'Can\'t make it?';
  const button = answer === 'yes' ? 'Yes, I will attend' : 'No, I will not attend';
  return page('Your RSVP', `<h1>${question}</h1><p>Press the button to send your answer.</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">${button}</button></form>`);
}

export function surveyThanksPage(score: number, action: string): string {
  return page('Thank you', `<h1>Thank you!</h1><p>You rated us <strong>${score}</strong> out of 5. You can change it by choosing another score in the email.</p>
<form method="post" action="${escapeHtml(action)}"><label for="comment">Anything you would like to add? (optional)</label>
<textarea id="comment" name="comment" maxlength="2000"></textarea><p><button type="submit">Send comment</button></p></form>`);
}

export function surveyCommentThanksPage(): string {
  return page('Thank you', '<h1>Thank you for your comment</h1><p>We read every one.</p>');
}

export function unavailablePage(): string {
  return page('Try again shortly', '<h1>Please try again in a minute</h1><p>We could not complete this just now. Nothing you did was lost; please try again shortly.</p>');
}

export function rsvpPage(answer: 'yes' | 'no'): string {
  return answer === 'yes'
    ? page('See you there', '<h1>See you there!</h1><p>Your place is saved. We will send a reminder the day before.</p>')
    : page('Thanks for letting us know', '<h1>Thanks for letting us know</h1><p>We hope to see you at the next one.</p>');
}

export function errorPage(message: string): string {
  return page('Link problem', `<h1>This link does not work</h1><p>${escapeHtml(message)}</p>`);
}
