// VERP bounce addresses: every SMTP message leaves with its own envelope sender,
// `bounces+<token>@<bounce domain>`, where the token (tokens.ts, bounceToken) seals the send-log id.
// A bounce or complaint that comes back to that address says which send it is about, and cannot
// be forged for another send.

export interface BounceAddress {
  local: string;
  domain: string;
}

/** RFC 5321 limit on a local part. */
const MAX_LOCAL = 64;

/** `bounces@flywheel.example` -> its parts; undefined when it is not a plain address without a `+`. */
export function parseBounceAddress(text: string): BounceAddress | undefined {
  const m = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})$/.exec(text.trim());
  return m ? { local: m[1]!, domain: m[2]!.toLowerCase() } : undefined;
}

/** The envelope sender for one message; the plain address when the token would not fit a local part. */
export function verpAddress(base: BounceAddress, token: string): string {
  const local = `${base.local}+${token}`;
  return local.length <= MAX_LOCAL ? `${local}@${base.domain}` : `${base.local}@${base.domain}`;
}

/** The token of a VERP address of ours (any case: some servers change it), or undefined. */
export function verpToken(address: string, base: BounceAddress): string | undefined {
  const m = /^<?([^@<>\s]+)@([^@<>\s]+?)>?$/.exec(address.trim());
  if (!m || m[2]!.toLowerCase() !== base.domain) return undefined;
  const prefix = `${base.local.toLowerCase()}+`;
  const local = m[1]!.toLowerCase();
  return local.startsWith(prefix) && local.length > prefix.length ? local.slice(prefix.length) : undefined;
}
