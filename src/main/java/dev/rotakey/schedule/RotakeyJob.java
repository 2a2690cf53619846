package dev.rotakey.schedule;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import dev.rotakey.audit.AuditLog;
import org.quartz.Job;
import org.quartz.JobDataMap;
import org.quartz.Scheduler;
import org.quartz.JobExecutionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.UUID;

/**
 * The one base of Rotakey's scheduled jobs: gives each run a correlation id, times it, and
 * catches everything so that a failing job is logged and counted instead of killing a worker.
 * The work itself is a {@link JobHandler} call chosen by the job's group (each group has one job), so that
 * a recovery trigger, which Quartz fires in a group of its own for the work of a node that died, runs it too.
 */
public final class RotakeyJob implements Job {
    private static final Logger LOG = LoggerFactory.getLogger(RotakeyJob.class);

    private final JobHandler handler;
    private final MetricRegistry metrics;

    RotakeyJob(JobHandler handler, MetricRegistry metrics) {
        this.handler = handler;
        this.metrics = metrics;
    }

    @Override
    public void execute(JobExecutionContext context) {
        String group = context.getJobDetail().getKey().getGroup();
        if (context.isRecovering()) {
            LOG.info("taking over {} {} from a node that stopped while running it", group,
                    context.getMergedJobDataMap().getString(Scheduler.FAILED_JOB_ORIGINAL_TRIGGER_NAME));
        }
        JobDataMap data = context.getMergedJobDataMap();
        MDC.put(AuditLog.MDC_CORRELATION, UUID.randomUUID().toString());
        try (Timer.Context ignored = metrics.timer(MetricRegistry.name("rotakey", "jobs", group)).time()) {
            switch (group) {
                case QuartzWorkScheduler.ROTATE -> handler.rotationDue(data.getString("credential"));
                case QuartzWorkScheduler.CONTINUE -> handler.continueRotation(data.getString("rotation"));
                case QuartzWorkScheduler.REVOKE ->
                        handler.revocationDue(data.getString("credential"), Integer.parseInt(data.getString("version")));
                case QuartzWorkScheduler.DECOMMISSION -> handler.agentExpired(data.getString("agent"));
                default -> LOG.warn("trigger {} has an unknown group", context.getTrigger().getKey());
            }
        } catch (RuntimeException e) {
            metrics.meter(MetricRegistry.name("rotakey", "jobs", group, "errors")).mark();
            LOG.error("scheduled job {} failed: {}", context.getTrigger().getKey(), e.toString(), e);
        } finally {
            MDC.remove(AuditLog.MDC_CORRELATION);
        }
    }
}
