package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.auth.Operator;
import dev.rotakey.schedule.QuartzWorkScheduler;

import java.util.List;
import java.util.Map;

/**
 * {@code POST /tasks/pause-rotations} and {@code /tasks/resume-rotations}: the kill switch for
 * scheduled rotations and grace-period revocations. Rotations already in flight finish; operators'
 * own rotations and revocations still run. The paused state survives restarts.
 */
public final class PauseRotationsTask extends OperatorTask {
    private final QuartzWorkScheduler scheduler;
    private final AuditLog audit;
    private final boolean pause;

    public PauseRotationsTask(QuartzWorkScheduler scheduler, AuditLog audit, ObjectMapper mapper, boolean pause) {
        super(pause ? "pause-rotations" : "resume-rotations", mapper);
        this.scheduler = scheduler;
        this.audit = audit;
        this.pause = pause;
    }

    @Override
    protected Object run(Map<String, List<String>> parameters, Operator operator) throws Exception {
        if (pause) {
            scheduler.pause();
        } else {
            scheduler.resume();
        }
        audit.record(operator.actor(), pause ? AuditAction.ROTATIONS_PAUSED : AuditAction.ROTATIONS_RESUMED,
                "scheduler", "ok", null);
        return Map.of("paused", scheduler.paused());
    }
}
