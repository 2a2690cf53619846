package dev.rotakey.core;

/**
 * The step a rotation will run next. The happy path is CREATE, DELIVER, VERIFY, PROMOTE, then
 * DONE; when retries run out the rotation goes to CLEANUP (discard the pending version from the
 * targets) and then DONE.
 */
public enum RotationStep {
    CREATE,
    DELIVER,
    VERIFY,
    PROMOTE,
    CLEANUP,
    DONE
}
