// A process shaped like a sending worker: a fixed set of data that stays alive (60 MB), and
// objects that live long enough to be promoted (a few batches' worth) and then die. Prints the
// highest heap in use it saw, with the engine's heap growth bound set to argv[2] percent.
import { boundHeapGrowth } from '../../engine/memory.ts';

boundHeapGrowth(Number(process.argv[2]));
const alive = Array.from({ length: 1200 }, (_, i) => `${i}`.padEnd(50_000, 'x'));
const recent: object[][] = [];
let peak = 0;
for (let round = 0; round < 300; round++) {
  recent.push(Array.from({ length: 20_000 }, (_, i) => ({ i, round, text: `item ${round} ${i}` })));
  if (recent.length > 8) recent.shift();
  await new Promise((resolve) => setImmediate(resolve));
  peak = Math.max(peak, process.memoryUsage().heapUsed);
}
process.stdout.write(`${JSON.stringify({ aliveMb: Math.round((alive.length * 50_000) / 1_048_576), peakMb: Math.round(peak / 1_048_576) })}\n`);
