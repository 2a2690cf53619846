package dev.rotakey.health;

import com.codahale.metrics.health.HealthCheck;
import dev.rotakey.schedule.QuartzWorkScheduler;

/** Healthy while the scheduler runs; says so when rotations are paused (paused is a choice, not a fault). */
public final class SchedulerHealthCheck extends HealthCheck {
    private final QuartzWorkScheduler scheduler;

    public SchedulerHealthCheck(QuartzWorkScheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    protected Result check() throws Exception {
        if (!scheduler.running()) {
            return Result.unhealthy("the scheduler is not running");
        }
        return Result.healthy(scheduler.paused() ? "running; rotations PAUSED by an operator" : "running");
    }
}
