package dev.rotakey.targets.hooks;

import dev.rotakey.targets.InvalidBindingException;
import io.dropwizard.validation.selfvalidating.ViolationCollector;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The reload hooks one target's operator configured, by name: what a binding's hook parameter is checked against
 * when the credential is created, and looked up in when it is delivered.
 */
public final class ReloadHooks {
    /** A hook's name: short, lower case, safe in a binding, a message and an alert's labels. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    private static final ReloadHooks NONE = new ReloadHooks("", Map.of());

    private final String target;
    private final Map<String, ReloadHook> hooks;

    private ReloadHooks(String target, Map<String, ReloadHook> hooks) {
        this.target = target;
        this.hooks = Collections.unmodifiableMap(new TreeMap<>(hooks));
    }

    /** A target without hooks. */
    public static ReloadHooks none() {
        return NONE;
    }

    /**
     * Builds every hook of {@code target} (reading their secrets and TLS files now); {@code factories} may be null.
     *
     * @throws IllegalArgumentException for a name {@link #checkNames} would have refused
     */
    public static ReloadHooks build(String target, Map<String, ReloadHookFactory> factories) {
        if (factories == null || factories.isEmpty()) {
            return new ReloadHooks(target, Map.of());
        }
        Map<String, ReloadHook> hooks = new TreeMap<>();
        factories.forEach((name, factory) -> {
            if (name == null || !NAME.matcher(name).matches() || factory == null) {
                throw new IllegalArgumentException("target '" + target + "': hook '" + name + "' needs a name of "
                        + "1 to 64 of a-z, 0-9, '_' and '-' and a configuration");
            }
            hooks.put(name, factory.build(name));
        });
        return new ReloadHooks(target, hooks);
    }

    /** For the target's configuration: each hook has a valid name and a body (YAML's {@code name:} alone is null). */
    public static void checkNames(ViolationCollector violations, String property, Map<String, ?> hooks) {
        if (hooks == null) {
            return;
        }
        hooks.forEach((name, factory) -> {
            if (name == null || !NAME.matcher(name).matches()) {
                violations.addViolation(property, name, "must be a name of 1 to 64 of a-z, 0-9, '_' and '-'");
            } else if (factory == null) {
                violations.addViolation(property, name, "must have a type and its settings");
            }
        });
    }

    /**
     * The hook a binding parameter names.
     *
     * @param parameter the binding parameter that holds {@code name}, named in the refusal
     * @throws InvalidBindingException when this target has no hook of that name
     */
    public ReloadHook require(String parameter, String name) {
        ReloadHook hook = name == null ? null : hooks.get(name);
        if (hook == null) {
            throw new InvalidBindingException(parameter, "names no hook of target '" + target + "'"
                    + (hooks.isEmpty() ? " (it has none)" : "; it has " + hooks.keySet()));
        }
        return hook;
    }

    public Optional<ReloadHook> find(String name) {
        return Optional.ofNullable(hooks.get(name));
    }

    /** The names, sorted. */
    public Set<String> names() {
        return hooks.keySet();
    }

    public boolean isEmpty() {
        return hooks.isEmpty();
    }

    @Override
    public String toString() {
        return "ReloadHooks{target=" + target + ", hooks=" + hooks.values() + "}";
    }
}
