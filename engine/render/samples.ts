// Sample data kept beside each template (`templates/<name>.sample.json`), so
// previews, tests and the benchmark work without a database.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../errors.ts';
import type { MemberView, MessageSample } from './types.ts';

const memberSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  firstName: z.string(),
  program: z.string(),
  locale: z.string(),
  timezone: z.string(),
  country: z.string().optional(),
  expiresAt: z.coerce.date().optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
});

const sampleSchema = z.object({
  subject: z.string(),
  preheader: z.string().optional(),
  member: memberSchema,
  data: z.record(z.string(), z.unknown()),
});

export interface TemplateSample extends MessageSample {
  member: MemberView;
}

export function samplePath(templatesDir: string, template: string): string {
  return join(templatesDir, `${template}.sample.json`);
}

export function loadSample(templatesDir: string, template: string): TemplateSample {
  const path = samplePath(templatesDir, template);
  if (!existsSync(path)) {
    throw new InvalidInputError('SAMPLE_MISSING', `No sample data for template "${template}":`, [{ file: path, message: 'file not found' }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidInputError('SAMPLE_INVALID', `Sample data for "${template}" is not JSON:`, [{ file: path, message: (err as Error).message }]);
  }
  const parsed = sampleSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError('SAMPLE_INVALID', `Sample data for "${template}" is invalid:`,
      parsed.error.issues.map((i) => ({ file: path, path: i.path.join('.'), message: i.message })));
  }
  return parsed.data;
}
