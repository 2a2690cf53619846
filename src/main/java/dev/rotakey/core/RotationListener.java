package dev.rotakey.core;

import java.time.Duration;

/**
 * Told about each persisted step of a rotation: used for metrics, and by tests to interrupt a
 * rotation at an exact point. Called after the step's transaction has committed.
 */
public interface RotationListener {
    /**
     * @param before the rotation as it was when the step started
     * @param after the rotation as persisted after the step
     * @param took how long the step ran
     */
    void afterStep(Rotation before, Rotation after, Duration took);

    RotationListener NONE = (before, after, took) -> {
    };
}
