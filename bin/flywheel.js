#!/usr/bin/env node
// Entry point for `npx flywheel`: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../engine/cli/index.ts');
