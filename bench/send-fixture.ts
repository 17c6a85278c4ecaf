// The newsletter bench:send sends: six items, about the size of a real issue.
export function newsletterIssue() {
  return {
    program: { name: 'Flywheel Champions', url: 'https://champions.flywheel.example/' },
    issue: { number: 42, title: 'Edge functions and a new SDK', date: '2026-03-04T09:00:00Z' },
    intro: 'here is what the community shipped this month.',
    items: [1, 2, 3, 4, 5, 6].map((n) => ({ title: `Story ${n}`, url: `https://flywheel.example/blog/${n}`, summary: `What happened in story ${n}, in two lines of text.`, tag: 'News', meta: `${n} min read` })),
    cta: { label: 'Browse the archive', url: 'https://flywheel.example/newsletter' },
  };
}
