// The registry of campaign kinds: every kind the engine knows, one line each. The loader
// validates definitions against their kind's schema, and the planner, scheduler, CLI and
// previews ask the kind's module; nothing outside this folder branches on a kind.
// Adding a kind: write kinds/<kind>.ts exporting a CampaignKindModule and add it below.
import { z } from 'zod';
import type { CampaignKindModule, AnyKindModule } from './types.ts';
import { application } from './application.ts';
import { broadcast } from './broadcast.ts';
import { caseStudy } from './case-study.ts';
import { drip } from './drip.ts';
import { event } from './event.ts';
import { newsletter } from './newsletter.ts';
import { renewal } from './renewal.ts';

export const BUILT_IN_KINDS = [drip, newsletter, renewal, caseStudy, event, broadcast, application] as const;

/** The definition types of the built-in kinds, as one union (what `defineCampaign` accepts). */
export type BuiltInDefinition = (typeof BUILT_IN_KINDS)[number] extends infer M ? (M extends CampaignKindModule<infer D> ? D : never) : never;

const registry = new Map<string, AnyKindModule>(BUILT_IN_KINDS.map((k) => [k.kind, k as AnyKindModule]));
let cachedSchema: z.ZodType | undefined;

/**
 * Add a kind at run time (a plugin, or a test proving a new kind needs no other change).
 * Re-registering the same module is harmless; another module under a taken name is refused.
 */
export function registerKind(module: AnyKindModule): void {
  const known = registry.get(module.kind);
  if (known && known !== module) throw new Error(`campaign kind "${module.kind}" is already registered`);
  registry.set(module.kind, module);
  cachedSchema = undefined;
}

export function kindNames(): string[] {
  return [...registry.keys()];
}

export function allKinds(): AnyKindModule[] {
  return [...registry.values()];
}

/** The module of a definition's kind; throws for a kind nobody registered (the loader rejects those first). */
export function kindOf(def: { kind: string }): AnyKindModule {
  const module = registry.get(def.kind);
  if (!module) throw new Error(`unknown campaign kind "${def.kind}" (known: ${kindNames().join(', ')})`);
  return module;
}

export function findKind(kind: string): AnyKindModule | undefined {
  return registry.get(kind);
}

/** One schema for every registered kind, discriminated by `kind`. */
export function campaignSchema(): z.ZodType {
  if (cachedSchema) return cachedSchema;
  const schemas = allKinds().map((k) => k.schema) as unknown as [z.ZodObject, ...z.ZodObject[]];
  cachedSchema = z.discriminatedUnion('kind', schemas, {
    error: (i) => (i.code === 'invalid_union' ? `unknown campaign kind ${JSON.stringify((i.input as { kind?: unknown })?.kind)} (known: ${kindNames().join(', ')})` : undefined),
  });
  return cachedSchema;
}

export type { CampaignKindModule, AnyKindModule, StepMessage, KindPlanContext, ContentNeeds } from './types.ts';
