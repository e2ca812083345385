import { app } from '@azure/functions';
import { getKernel, getServices } from '../../composition/root';

/**
 * The audit checkpoint (AOS_AUDIT_CHECKPOINT_SCHEDULE, hourly by default): verifies
 * what the trail gained since the last checkpoint and writes the head's sequence
 * and hash to the log. In Azure that line lands in Application Insights, outside
 * the storage account, so a later rewrite of the audit table stops matching it.
 */

const schedule = getKernel().config.auditCheckpointSchedule;

if (schedule !== null) {
  app.timer('audit_checkpoint', {
    schedule,
    handler: async (_timer, context) => {
      const { audit } = await getServices();
      const checkpoint = await audit.checkpoint();
      const range =
        checkpoint.verified_from === null
          ? 'nothing new'
          : `${checkpoint.verified_from}..${checkpoint.verified_to}`;
      const verdict = checkpoint.valid
        ? 'intact'
        : `BROKEN at ${checkpoint.broken?.sequence} (${checkpoint.broken?.reason})`;
      const line =
        `audit checkpoint: head ${checkpoint.head_sequence} ${checkpoint.head_hash ?? '-'}; ` +
        `verified ${range}: ${verdict}${checkpoint.complete ? '' : `; continues from ${checkpoint.resume_from}`}`;
      if (checkpoint.valid) context.log(line);
      else context.error(line);
    },
  });
}
