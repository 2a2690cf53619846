package dev.rotakey.targets;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The configured targets by name. */
public final class Targets implements AutoCloseable {
    private final Map<String, Target> byName;

    public Targets(Map<String, Target> byName) {
        this.byName = new LinkedHashMap<>(byName);
    }

    public Optional<Target> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Target get(String name) {
        Target t = byName.get(name);
        if (t == null) {
            throw new TargetException("no target named '" + name + "' is configured", false);
        }
        return t;
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    @Override
    public void close() {
        byName.values().forEach(Target::close);
    }
}
