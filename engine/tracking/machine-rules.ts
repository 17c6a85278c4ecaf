// Which opens and clicks a person made, and which a machine made for them: privacy proxies
// that prefetch images at delivery (Apple Mail Privacy Protection, Gmail's image proxy),
// security scanners that fetch and follow everything, HEAD probes. The rules are data
// (below) and the decisions pure, so each rule has its own test and reports can rebuild
// the classification from the raw events.

export interface HitFacts {
  method: string;
  userAgent: string;
  /** when the hit arrived, and when the message was rendered for sending (from the token) */
  at: Date;
  sentAt: Date;
  /** earlier fetches of this message's pixel through the same proxy (Gmail: the first one is the proxy's own) */
  earlierProxyFetches: number;
}

export interface MachineRule {
  id: string;
  why: string;
  applies: 'open' | 'click' | 'both';
  matches(hit: HitFacts): boolean;
}

/** Scanners and link checkers that fetch mail on the recipient's behalf. */
export const SCANNER_AGENTS: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'Barracuda', pattern: /barracuda/i },
  { name: 'Proofpoint', pattern: /proofpoint|ppops-/i },
  { name: 'Mimecast', pattern: /mimecast/i },
  { name: 'Microsoft Defender / Safe Links', pattern: /safelinks|microsoft.*(defender|atp|preview)|bingpreview/i },
  { name: 'Cisco / IronPort', pattern: /ironport|cisco.*secure/i },
  { name: 'Forcepoint / Symantec / Trend Micro', pattern: /forcepoint|symantec|messagelabs|trendmicro|trend micro/i },
  { name: 'generic bot', pattern: /(bot|crawler|spider|scanner|preview)\b|headlesschrome|phantomjs/i },
  { name: 'HTTP library', pattern: /^(python-requests|python-urllib|curl|wget|go-http-client|java\/|okhttp|axios|node-fetch|undici|libwww-perl)/i },
];

/** Gmail's image proxy: the first fetch is Google's, later ones follow a person opening the message. */
export const GOOGLE_IMAGE_PROXY = /GoogleImageProxy|ggpht\.com/i;
/**
 * Apple Mail Privacy Protection fetches every image at delivery from Apple's proxy, with a bare
 * WebKit user agent (no browser or version token) and nothing else to tell a reader from the proxy.
 */
export const APPLE_MPP = /^Mozilla\/5\.0(?: \(Macintosh; Intel Mac OS X [\d_]+\) AppleWebKit\/[\d.]+ \(KHTML, like Gecko\))?$/;

/** Opens this soon after sending were fetched by a machine at delivery: no person reads that fast. */
export const PREFETCH_WINDOW_MS = 10_000;
/** A person clicks one link of a message at a time; two distinct links within this window are a scanner. */
export const SCANNER_BURST_MS = 1_000;

export const MACHINE_RULES: readonly MachineRule[] = [
  { id: 'head-request', why: 'HEAD requests are link checkers, never a person', applies: 'both', matches: (h) => h.method === 'HEAD' },
  { id: 'no-user-agent', why: 'every mail client and browser sends a User-Agent', applies: 'both', matches: (h) => h.userAgent.trim() === '' },
  {
    id: 'scanner-agent', why: 'a known security scanner, bot or HTTP library', applies: 'both',
    matches: (h) => SCANNER_AGENTS.some((s) => s.pattern.test(h.userAgent)),
  },
  { id: 'apple-mpp', why: 'Apple Mail Privacy Protection prefetches at delivery', applies: 'open', matches: (h) => APPLE_MPP.test(h.userAgent.trim()) },
  {
    id: 'google-proxy-first-fetch', why: "Gmail's image proxy fetches once for itself before a person opens", applies: 'open',
    matches: (h) => GOOGLE_IMAGE_PROXY.test(h.userAgent) && h.earlierProxyFetches === 0,
  },
  {
    id: 'prefetch-at-delivery', why: `fetched within ${PREFETCH_WINDOW_MS / 1000} s of sending`, applies: 'open',
    matches: (h) => h.at.getTime() - h.sentAt.getTime() < PREFETCH_WINDOW_MS,
  },
];

export type Classification = { machine: false } | { machine: true; rule: string };

/** The first rule a hit matches decides; none = a person. */
export function classifyHit(kind: 'open' | 'click', hit: HitFacts): Classification {
  for (const rule of MACHINE_RULES) {
    if ((rule.applies === kind || rule.applies === 'both') && rule.matches(hit)) return { machine: true, rule: rule.id };
  }
  return { machine: false };
}

export interface ClickFacts {
  sendLogId: string;
  /** what was followed: a link target, or a survey score link */
  link: string;
  at: Date;
}

/**
 * Scanner clicks: one message whose distinct links were followed within SCANNER_BURST_MS of each
 * other. Returns the indexes (into `clicks`) that belong to such a burst.
 */
export function scannerBursts(clicks: readonly ClickFacts[]): Set<number> {
  const bySend = new Map<string, number[]>();
  clicks.forEach((c, i) => {
    const list = bySend.get(c.sendLogId) ?? [];
    list.push(i);
    bySend.set(c.sendLogId, list);
  });
  const burst = new Set<number>();
  for (const idx of bySend.values()) {
    if (idx.length < 2) continue;
    idx.sort((a, b) => clicks[a]!.at.getTime() - clicks[b]!.at.getTime());
    for (let i = 0; i < idx.length; i++) {
      const a = clicks[idx[i]!]!;
      for (let j = i + 1; j < idx.length; j++) {
        const b = clicks[idx[j]!]!;
        if (b.at.getTime() - a.at.getTime() > SCANNER_BURST_MS) break;
        if (b.link !== a.link) { burst.add(idx[i]!); burst.add(idx[j]!); }
      }
    }
  }
  return burst;
}
