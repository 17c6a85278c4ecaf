// The few pages people see in a browser: unsubscribe confirmation, preference centre, RSVP.
// Plain, accessible HTML; every dynamic value is escaped.
import type { Topic } from '../store/index.ts';

const TOPIC_LABELS: Record<Topic, string> = {
  newsletter: 'Monthly newsletter',
  events: 'Event invitations',
  caseStudies: 'Case studies from other members',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function page(title: string, body: string, extraCss = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2933}
h1{font-size:1.5rem}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#3d5afe;color:#fff;cursor:pointer}
label{display:block;margin:.5rem 0}.muted{color:#616e7c}@media(prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}.muted{color:#9ca3af}}${extraCss}</style>
</head><body>${body}</body></html>`;
}

export function unsubscribeConfirmPage(email: string, action: string, preferencesUrl: string): string {
  return page('Unsubscribe', `<h1>Unsubscribe ${escapeHtml(email)}?</h1>
<p>You will get no more program emails from us. You can instead <a href="${escapeHtml(preferencesUrl)}">choose which emails you get</a>.</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="confirm" value="yes"><button type="submit">Unsubscribe</button></form>`);
}

export function unsubscribedPage(email: string): string {
  return page('Unsubscribed', `<h1>You are unsubscribed</h1><p>${escapeHtml(email)} will get no more program emails from us.</p>`);
}

export function preferencesPage(email: string, topics: Record<Topic, boolean>, action: string, saved: boolean): string {
  const boxes = (Object.keys(TOPIC_LABELS) as Topic[])
    .map((t) => `<label><input type="checkbox" name="${t}" value="on"${topics[t] ? ' checked' : ''}> ${TOPIC_LABELS[t]}</label>`)
    .join('');
  return page('Email preferences', `<h1>Email preferences</h1><p class="muted">for ${escapeHtml(email)}</p>
${saved ? '<p role="status"><strong>Saved.</strong></p>' : ''}
<form method="post" action="${escapeHtml(action)}">${boxes}<p><button type="submit">Save preferences</button></p></form>`);
}

export function rsvpPage(answer: 'yes' | 'no'): string {
  return answer === 'yes'
    ? page('See you there', '<h1>See you there!</h1><p>Your place is saved. We will send a reminder the day before.</p>')
    : page('Thanks for letting us know', '<h1>Thanks for letting us know</h1><p>We hope to see you at the next one.</p>');
}

export function errorPage(message: string): string {
  return page('Link problem', `<h1>This link does not work</h1><p>${escapeHtml(message)}</p>`);
}
