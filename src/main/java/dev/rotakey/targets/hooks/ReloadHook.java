package dev.rotakey.targets.hooks;

/**
 * An action the operator configured on a target so that the consumer of a delivered credential picks it up (reload
 * nginx, signal an agent, call its reload endpoint). Built from a {@link ReloadHookFactory}; safe to run from several
 * threads at once.
 */
public interface ReloadHook {

    /** The hook's name in the target's {@code hooks} map, the name bindings refer to it by. */
    String name();

    /**
     * Runs the hook once and returns when it succeeded.
     *
     * @throws ReloadHookException when it did not; {@link ReloadHookException#retryable()} says whether running it
     *                             again may help. The message names the hook and the target and never a secret.
     */
    void run(HookContext context);
}
