// `flywheel send CAMPAIGN [STEP]`: one step to its whole audience now (engine: scheduler/send-now.ts).
import { Command } from 'commander';
import type { SingleBar } from 'cli-progress';
import { withExitCodes } from './exit-codes.ts';
import { sendProgressBar, withEngine } from './engine-session.ts';

export function sendCommand(): Command {
  return new Command('send')
    .description('Send one step of a campaign to its whole audience now, whatever its schedule. Members who already got it are skipped.')
    .argument('<campaign>', 'campaign name (see `flywheel campaigns list`)')
    .argument('[step]', 'step id; defaults to the campaign\'s first step')
    .action(withExitCodes(async (name: string, stepArg: string | undefined) => {
      let progress: SingleBar | undefined;
      await withEngine({ onSendProgress: (n) => progress?.increment(n), processEveryMs: 250 }, async (engine) => {
        const [{ sendNow }, { repairSendCounts }] = await Promise.all([import('../scheduler/send-now.ts'), import('../reports/index.ts')]);
        // the total grows as planning queues batches (sending starts before planning ends)
        const outcome = await sendNow(engine, name, stepArg, (total) => { if (progress) progress.setTotal(total); else progress = sendProgressBar(total); }, {
          // counts buffered by the command that stopped may never have been written: align them with the results
          afterResume: async (campaign, step) => {
            const repair = await repairSendCounts(engine.store, campaign, step, engine.clock.now());
            return repair.corrected ? `send counts corrected from the recorded results in ${repair.corrected} row(s)` : 'send counts agree with the recorded results';
          },
        });
        progress?.stop();
        process.stdout.write(outcome);
      });
    }));
}
