package dev.rotakey.targets.hooks;

import dev.rotakey.targets.TargetException;

/**
 * A reload hook failed: a {@link TargetException} like any other target failure, which also says which hook of which
 * target, so that a failure after promotion can be alerted on by name.
 */
public class ReloadHookException extends TargetException {
    private final String hook;
    private final String target;

    /** @param predicate what happened, after "hook 'h' of target 't'" ("exited with status 1") */
    public ReloadHookException(String hook, String target, String predicate, boolean retryable) {
        super("hook '" + hook + "' of target '" + target + "' " + predicate, retryable);
        this.hook = hook;
        this.target = target;
    }

    public String hook() {
        return hook;
    }

    public String target() {
        return target;
    }
}
