// A process that uses the embedded database of FLYWHEEL_DATA_DIR and holds it until killed:
// for tests of what happens to the server when its users or its guard die.
import { resolve } from 'node:path';
import { openDatabase } from '../../engine/store/index.ts';
import { loadConfig } from '../../engine/config.ts';

const db = await openDatabase(loadConfig());
await db.store.db.collection('holders').insertOne({ pid: process.pid });
process.stdout.write(`${JSON.stringify({ pid: process.pid, uri: db.resolved.uri, dataDir: resolve(loadConfig().FLYWHEEL_DATA_DIR) })}\n`);
setInterval(() => {}, 60_000);
