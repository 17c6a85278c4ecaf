// The render stage's public shapes (re-exported by index.ts).
import type { InputIssue } from '../errors.ts';

export interface MemberView {
  id: string;
  email: string;
  name: string;
  firstName: string;
  program: string;
  locale: string;
  timezone: string;
  country?: string;
  expiresAt?: Date;
  attributes?: Record<string, unknown>;
}

export interface RenderRequest {
  /** template name under templates/, e.g. 'newsletter' -> templates/newsletter.mjml */
  template: string;
  /** Handlebars source */
  subject: string;
  /** Handlebars source */
  preheader?: string;
  /**
   * Campaign data shared by all recipients of this step (items, event, program...).
   * Its hash is part of the compile cache key. Treat it as immutable once passed:
   * the hash is remembered per object.
   */
  data: Record<string, unknown>;
  member: MemberView;
  /** the send this message is for: carried, with the member's id and program, in every tracking URL */
  send: SendRef;
}

/** Which send a message is filled for; the recipient token is built from this and the member. */
export interface SendRef {
  sendLogId: string;
  campaign: string;
  step: string;
  /** when it is rendered for sending */
  sentAt: Date;
}

/** Template text every recipient of a compiled message shares: one instance for all of them. */
export interface SharedText {
  readonly text: string;
}

/** A filled body in order: shared template text, and this recipient's own strings between it. */
export type BodyPieces = readonly (string | SharedText)[];

export interface RenderedMessage {
  subject: string;
  preheader: string;
  /** the whole HTML body (joined from htmlPieces when first read) */
  readonly html: string;
  readonly text: string;
  readonly htmlPieces: BodyPieces;
  readonly textPieces: BodyPieces;
  /** the recipient token in this message's tracking URLs (the list headers carry it too) */
  recipientToken: string;
}

/** What `check` and the planner pass: the shared part of a render request. */
export interface MessageSample {
  data: Record<string, unknown>;
  subject: string;
  preheader?: string;
}

/** A message compiled once for a step; `fill` is the per-recipient work (no MJML). */
export interface CompiledMessage {
  readonly template: string;
  readonly locale: string;
  /** distinct click-tracked targets in the message, in order of appearance */
  readonly linkTargets: readonly string[];
  fill(member: MemberView, send: SendRef): RenderedMessage;
}

export interface Renderer {
  /** Compiles (or reuses the cached compile of) the message, then fills it for one recipient. */
  render(req: RenderRequest): Promise<RenderedMessage>;
  /**
   * Static check used by `flywheel validate` and the planner: issues for unknown template, MJML errors
   * (file+line), variables the data/member cannot provide (template + variable named).
   */
  check(template: string, sample: MessageSample): Promise<InputIssue[]>;
  /** Compile once for a step and fill many recipients synchronously (throws InvalidInputError TEMPLATE_INVALID). */
  prepare(template: string, sample: MessageSample, locale: string): Promise<CompiledMessage>;
  /**
   * The subject as this member will read it (both Handlebars passes, no MJML and no tracking):
   * cheap enough for every line of a plan. Throws InvalidInputError TEMPLATE_INVALID.
   */
  subject(req: Pick<RenderRequest, 'subject' | 'data' | 'member'>): string;
  /** Template names available under the templates folder. */
  templates(): string[];
}
