// Content feeds: every export is a feed whose items newsletters and promotions can use.
// `flywheel feeds check URL` tries a feed before you add it; `flywheel feeds list` shows health.
// Items get the feed's kind as a tag, so `case-studies.ts` (tags: ['case-study']) promotes
// every new item of a case-study feed. Local items live as Markdown files under content/.
import { defineFeed } from '../engine/content/index.ts';

/** The program blog: posts, tutorials and community news for every newsletter. */
export const blog = defineFeed({
  name: 'flywheel-blog',
  url: 'https://blog.flywheel.example/feed.xml',
  kind: 'blog',
  tags: ['news'],
  pollEvery: { hours: 1 },
});

/** Customer stories, promoted once to members of the programs they name. */
export const customerStories = defineFeed({
  name: 'customer-stories',
  url: 'https://flywheel.example/customers/feed.atom',
  kind: 'case-study',
  pollEvery: { hours: 6 },
});

/** Release notes, for the contributor and open-source programs only. */
export const releases = defineFeed({
  name: 'releases',
  url: 'https://flywheel.example/releases.rss',
  kind: 'release',
  programs: ['contributor', 'open-source'],
  pollEvery: { hours: 3 },
});
