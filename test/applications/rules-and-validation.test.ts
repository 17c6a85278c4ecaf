// Pure parts of applications: the program's rules deciding (or not), field validation with a
// message per field, and load-time checks of a program's application settings.
import { describe, expect, it } from 'vitest';
import {
  awardIfEmailDomain, awardIfFieldIn, decideByRules, defineApplication, resolveApplicationSpecs, validateApplication,
} from '../../engine/applications/index.ts';
import { resolveSpec } from '../../engine/applications/spec.ts';
import type { ProgramTable } from '../../engine/audience/programs.ts';

const spec = resolveSpec('oss', defineApplication({
  fields: {
    licence: { kind: 'text', label: 'Licence' },
    repository: { kind: 'url', label: 'Repository' },
    notes: { kind: 'textarea', label: 'Notes', required: false, maxLength: 50 },
    stage: { kind: 'select', label: 'Stage', options: ['idea', 'stable'], required: false },
  },
  rules: [
    { name: 'broken', decide: () => { throw new Error('oops'); } },
    awardIfFieldIn('osi', 'licence', ['MIT', 'Apache-2.0']),
    { name: 'no-ideas', decide: (a) => (a.fields.stage === 'idea' ? { decision: 'decline', reason: 'come back with code' } : undefined) },
  ],
}), { zone: 'Europe/Berlin' });

const app = (fields: Record<string, string>, email = 'dev@example.org') => ({ program: 'oss', email, name: 'Dev', fields, submittedAt: new Date(0) });

describe('rules', () => {
  it('the first verdict decides and names its rule; a rule that throws is skipped and reported', () => {
    expect(decideByRules(spec, app({ licence: 'mit' }))).toEqual({ decision: 'award', rule: 'osi', reason: 'licence MIT is on the list' });
    expect(decideByRules(spec, app({ licence: 'GPL-1.0', stage: 'idea' }))).toEqual({ decision: 'decline', rule: 'no-ideas', reason: 'come back with code' });
    expect(decideByRules(spec, app({ licence: 'GPL-1.0', stage: 'stable' }))).toEqual({ decision: 'review', failures: [{ rule: 'broken', error: 'oops' }] });
  });

  it('academic domains match whole labels, not look-alikes', () => {
    const rule = awardIfEmailDomain('academic', ['edu', '.ac.uk']);
    expect(rule.decide(app({}, 'prof@cs.stanford.edu'))?.decision).toBe('award');
    expect(rule.decide(app({}, 'x@ox.ac.uk'))?.reason).toBe('email domain ox.ac.uk is on the list (ac.uk)');
    expect(rule.decide(app({}, 'spam@notedu'))).toBeUndefined();
    expect(rule.decide(app({}, 'spam@edu.evil.com'))).toBeUndefined();
  });
});

describe('validation', () => {
  it('returns the clean application: email lower-cased, values trimmed, optional fields left out', () => {
    const r = validateApplication(spec, { name: ' Dev ', email: 'Dev@Example.ORG', licence: ' MIT ', repository: 'https://git.example/x', notes: 'line one\nline two' });
    expect(r).toEqual({ ok: true, value: { name: 'Dev', email: 'dev@example.org', fields: { licence: 'MIT', repository: 'https://git.example/x', notes: 'line one\nline two' } } });
  });

  it('names every bad field with what to do', () => {
    const r = validateApplication(spec, { email: 'dev@example.org', name: 'Dev\u0007', licence: 'MIT\nMore', repository: 'javascript:alert(1)', notes: 'x'.repeat(51), stage: 'beta', timezone: 'Mars/Base', extra: { a: 1 } });
    expect(r.ok).toBe(false);
    expect(r.ok ? {} : r.errors).toEqual({
      name: 'contains characters that are not allowed',
      licence: 'contains characters that are not allowed',
      repository: 'must be a web address starting with https://',
      notes: 'must be at most 50 characters (it has 51)',
      stage: 'choose one of: idea, stable',
      timezone: 'unknown time zone "Mars/Base" (use an IANA name such as Europe/Berlin)',
      extra: 'is not a field of this application (fields: name, email, licence, repository, notes, stage)',
    });
  });
});

describe('program settings', () => {
  const table = (applications: unknown): ProgramTable => ({ oss: { displayName: 'OSS', url: 'https://x.example', timezone: 'Asia/Tokyo', renewalPeriod: { months: 6 }, topics: [], applications: applications as object } });

  it('defaults the calendar zone and award validity to the program', () => {
    const specs = resolveApplicationSpecs(table({ fields: { repo: { kind: 'url', label: 'Repo' } } }), 'campaigns/programs.ts');
    expect(specs.get('oss')).toMatchObject({ decideWithin: 10, calendar: { zone: 'Asia/Tokyo', holidays: [] }, awardValidity: { months: 6 } });
  });

  it('rejects mistakes with the file, program and field', () => {
    expect(() => resolveApplicationSpecs(table({
      fields: { email: { kind: 'text', label: 'Email again' }, stage: { kind: 'select', label: 'Stage' }, size: { kind: 'number', label: 'Size' } },
      calendar: { holidays: ['25/12/2026'] },
    }), 'campaigns/programs.ts')).toThrow(/campaigns\/programs\.ts › program oss › applications\.fields\.stage\.options: a select field needs options[^]*applications\.fields\.size\.kind[^]*applications\.calendar\.holidays\.0: holidays are local dates "YYYY-MM-DD"/);
    expect(() => resolveApplicationSpecs(table({ fields: { website: { kind: 'url', label: 'Site' } } }), 'campaigns/programs.ts'))
      .toThrow(/applications\.fields\.website: "website" is the form's robot trap; use another name/);
  });
});
