package dev.rotakey.resources;

import dev.rotakey.core.RejectedException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Keyset pagination for list endpoints: {@code limit} checked, and a {@code next} cursor when more may follow. */
final class Pages {
    static final int MAX = 1000;

    private Pages() {
    }

    static int limit(int requested) {
        if (requested < 1 || requested > MAX) {
            throw RejectedException.invalid("limit", "must be between 1 and " + MAX);
        }
        return requested;
    }

    static Map<String, Object> page(String name, List<?> items, String next) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(name, items);
        out.put("next", next);
        return out;
    }
}
