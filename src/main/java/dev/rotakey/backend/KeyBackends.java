package dev.rotakey.backend;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The configured key backends by name, started together and closed together. */
public final class KeyBackends implements AutoCloseable {
    private final Map<String, KeyBackend> byName;

    public KeyBackends(Map<String, KeyBackend> byName) {
        this.byName = new LinkedHashMap<>(byName);
    }

    public Optional<KeyBackend> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The backend named {@code name}; callers have validated the name when the credential was created. */
    public KeyBackend get(String name) {
        KeyBackend b = byName.get(name);
        if (b == null) {
            throw new KeyBackendException("no key backend named '" + name + "' is configured");
        }
        return b;
    }

    public Collection<KeyBackend> all() {
        return byName.values();
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public void startAll() {
        byName.values().forEach(KeyBackend::start);
    }

    @Override
    public void close() {
        byName.values().forEach(KeyBackend::close);
    }
}
