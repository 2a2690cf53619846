package dev.rotakey.target;

import java.util.Map;
import java.util.TreeMap;

/**
 * A credential's binding to a target: the target's name and the binding's own parameters
 * (for {@code local-files}: {@code path}). Parameters are plain strings.
 */
public record TargetBinding(String target, Map<String, String> params) {
    public TargetBinding {
        params = Map.copyOf(params);
    }

    /** The parameter's value, or {@code null} when absent. */
    public String param(String key) {
        return params.get(key);
    }

    /** The parameter's value, or an {@link InvalidBindingException} naming it when absent or blank. */
    public String requireParam(String key) {
        String v = params.get(key);
        if (v == null || v.isBlank()) {
            throw new InvalidBindingException(key, "is required for target '" + target + "'");
        }
        return v;
    }

    @Override
    public String toString() {
        return "TargetBinding{target=" + target + ", params=" + new TreeMap<>(params) + "}";
    }
}
