// The public application form and its confirmation, in the preference centre's style.
// Works without JavaScript: a plain POST, errors next to their fields, entered values kept.
// Everything shown is escaped, including the program's own labels.
import { escapeHtml, page } from './pages.ts';
import type { FieldErrors, FieldSpec, ResolvedApplicationSpec } from '../applications/index.ts';
import { HONEYPOT_FIELD } from '../applications/validate.ts';

const FORM_CSS = `
form .field{margin:1rem 0}form label{margin:0 0 .25rem;font-weight:600}
input[type=text],input[type=email],input[type=url],select,textarea{box-sizing:border-box;width:100%;font:inherit;padding:.5rem .6rem;border:1px solid #9aa5b1;border-radius:6px;background:inherit;color:inherit}
textarea{min-height:6rem}.help{margin:.2rem 0 0;font-size:.9rem}
.invalid input,.invalid select,.invalid textarea{border:2px solid #c62828}
.error{margin:.3rem 0 0;color:#c62828;font-weight:600}.summary{border-left:4px solid #c62828;padding:.5rem 1rem;background:#fdecea;color:#1f2933}
.optional{font-weight:400;color:#616e7c}.trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
@media(prefers-color-scheme:dark){.error{color:#ff8a80}.summary{background:#3b1d1d;color:#e5e7eb}}`;

interface FormField {
  name: string;
  spec: FieldSpec;
}

function control(f: FormField, value: string, invalid: boolean): string {
  const id = `f-${f.name}`;
  const aria = `${invalid ? ` aria-invalid="true" aria-describedby="err-${f.name}"` : ''}${f.spec.required === false ? '' : ' required'}`;
  const v = escapeHtml(value);
  switch (f.spec.kind) {
    case 'textarea':
      return `<textarea id="${id}" name="${f.name}" maxlength="${f.spec.maxLength ?? 4000}"${aria}>${v}</textarea>`;
    case 'select': {
      const options = (f.spec.options ?? []).map((o) => (typeof o === 'string' ? { value: o, label: o } : o))
        .map((o) => `<option value="${escapeHtml(o.value)}"${o.value === value ? ' selected' : ''}>${escapeHtml(o.label)}</option>`).join('');
      return `<select id="${id}" name="${f.name}"${aria}><option value="">Choose…</option>${options}</select>`;
    }
    default: {
      const type = f.spec.kind === 'email' ? 'email' : f.spec.kind === 'url' ? 'url' : 'text';
      return `<input type="${type}" id="${id}" name="${f.name}" value="${v}" maxlength="${f.spec.maxLength ?? 200}"${aria}>`;
    }
  }
}

function fieldBlock(f: FormField, value: string, error: string | undefined): string {
  const optional = f.spec.required === false ? ' <span class="optional">(optional)</span>' : '';
  return `<div class="field${error ? ' invalid' : ''}"><label for="f-${f.name}">${escapeHtml(f.spec.label)}${optional}</label>
${control(f, value, Boolean(error))}
${f.spec.help ? `<p class="help muted">${escapeHtml(f.spec.help)}</p>` : ''}${error ? `<p class="error" id="err-${f.name}">${escapeHtml(f.spec.label)} ${escapeHtml(error)}</p>` : ''}</div>`;
}

export function applicationFormPage(spec: ResolvedApplicationSpec, action: string, values: Record<string, string> = {}, errors: FieldErrors = {}): string {
  const fields: FormField[] = [
    { name: 'name', spec: { kind: 'text', label: 'Full name' } },
    { name: 'email', spec: { kind: 'email', label: 'Email', maxLength: 254, help: 'We write to this address about your application.' } },
    ...Object.entries(spec.fields).map(([name, s]) => ({ name, spec: s })),
  ];
  const shown = new Set(fields.map((f) => f.name));
  // problems with fields the form does not show (a hand-made request) still get said
  const stray = Object.entries(errors).filter(([k]) => !shown.has(k));
  const count = Object.keys(errors).length;
  const summary = count
    ? `<div class="summary" role="alert"><p><strong>Please correct ${count === 1 ? 'the field' : `the ${count} fields`} marked below.</strong></p>${stray.map(([k, m]) => `<p>${escapeHtml(k)} ${escapeHtml(m)}</p>`).join('')}</div>`
    : '';
  const title = spec.title ?? `Apply to ${spec.program}`;
  return page(title, `<h1>${escapeHtml(title)}</h1>${spec.intro ? `<p class="muted">${escapeHtml(spec.intro)}</p>` : ''}
${summary}
<form method="post" action="${escapeHtml(action)}" novalidate>
${fields.map((f) => fieldBlock(f, values[f.name] ?? '', errors[f.name])).join('\n')}
<div class="trap" aria-hidden="true"><label for="f-${HONEYPOT_FIELD}">Leave this empty</label><input type="text" id="f-${HONEYPOT_FIELD}" name="${HONEYPOT_FIELD}" tabindex="-1" autocomplete="off"></div>
<p class="muted">We decide within ${spec.decideWithin} business days.</p>
<p><button type="submit">Send application</button></p></form>`, FORM_CSS);
}

export function applicationReceivedPage(spec: ResolvedApplicationSpec, outcome: { status: string; dueDate?: string }): string {
  const title = spec.title ?? `Apply to ${spec.program}`;
  const body = outcome.status === 'awarded'
    ? '<p role="status"><strong>You are in.</strong> Your application was approved at once; a welcome email is on its way.</p>'
    : outcome.status === 'declined'
      ? '<p role="status"><strong>Thank you for applying.</strong> We have sent you an email about your application.</p>'
      : `<p role="status"><strong>Thank you, we have your application.</strong> A confirmation email is on its way, and we will decide by ${escapeHtml(outcome.dueDate ?? '')}.</p>`;
  return page('Application received', `<h1>Application received</h1><p class="muted">${escapeHtml(title)}</p>${body}`);
}
