package dev.rotakey.targets;

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

    /**
     * Refuses a parameter the target type does not take, naming the first unknown one (and what the
     * type does take), so a misspelt parameter is never silently ignored.
     */
    public void refuseUnknownParams(String type, java.util.Set<String> known) {
        java.util.List<String> unknown = params.keySet().stream().filter(k -> !known.contains(k)).sorted().toList();
        if (!unknown.isEmpty()) {
            String others = unknown.size() == 1 ? "" : " (nor are " + String.join(", ", unknown.subList(1, unknown.size())) + ")";
            throw new InvalidBindingException(unknown.get(0), "is not a parameter of " + type + " targets" + others
                    + "; they take " + known.stream().sorted().map(k -> "'" + k + "'").toList());
        }
    }

    @Override
    public String toString() {
        return "TargetBinding{target=" + target + ", params=" + new TreeMap<>(params) + "}";
    }
}
