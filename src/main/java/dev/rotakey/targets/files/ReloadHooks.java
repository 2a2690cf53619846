package dev.rotakey.targets.files;

import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetBinding;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The reload hooks a local-files target's configuration defines, by name, and which of them a binding runs after its
 * delivery ({@code onDeliver}) and after its version's promotion ({@code onPromote}). Bindings only name hooks: what
 * a hook runs is the operator's configuration, never an API caller's.
 */
final class ReloadHooks {
    static final String ON_DELIVER = "onDeliver";
    static final String ON_PROMOTE = "onPromote";
    static final ReloadHooks NONE = new ReloadHooks(Map.of());

    private final Map<String, ?> hooks;

    ReloadHooks(Map<String, ?> hooks) {
        this.hooks = Map.copyOf(hooks);
    }

    /** Refuses a binding that names a hook the target does not define. */
    void validate(TargetBinding binding) {
        for (String parameter : new String[] {ON_DELIVER, ON_PROMOTE}) {
            String hook = binding.param(parameter);
            if (hook != null && !hooks.containsKey(hook)) {
                throw new InvalidBindingException(parameter, "'" + hook + "' is not a hook of target '"
                        + binding.target() + "'" + (hooks.isEmpty() ? " (it defines none)"
                        : " (it defines " + new TreeSet<>(hooks.keySet()) + ")"));
            }
        }
    }

    Set<String> names() {
        return hooks.keySet();
    }
}
