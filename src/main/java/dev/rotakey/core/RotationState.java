package dev.rotakey.core;

/** Whether a rotation is still running, or how it ended. */
public enum RotationState {
    RUNNING,
    SUCCEEDED,
    FAILED;

    public boolean terminal() {
        return this != RUNNING;
    }
}
