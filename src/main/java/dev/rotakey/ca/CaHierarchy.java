package dev.rotakey.ca;

import dev.rotakey.StartupException;
import dev.rotakey.core.RejectedException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configured CAs and how they hang together: parents before their children, and how many CA
 * levels lie below each one (an intermediate's path length). A parent that is not configured, or a
 * cycle of parents, stops start-up naming {@code certificateAuthorities.<name>.parent}.
 */
final class CaHierarchy {
    private final Map<String, CertificateAuthorityFactory> configs;
    /** Configured names, parents before their children. */
    private final List<String> creationOrder;
    /** How many CA levels each CA has below it, for an intermediate's path length constraint. */
    private final Map<String, Integer> depthBelow;

    CaHierarchy(Map<String, CertificateAuthorityFactory> configs) {
        this.configs = new LinkedHashMap<>(configs);
        this.creationOrder = creationOrder(this.configs);
        this.depthBelow = depthBelow(this.configs);
    }

    private static List<String> creationOrder(Map<String, CertificateAuthorityFactory> configs) {
        Set<String> ordered = new LinkedHashSet<>();
        for (String name : configs.keySet()) {
            List<String> path = new ArrayList<>();
            String current = name;
            // Walk up to a root (or an already ordered CA), then add the path top-down.
            while (current != null && !ordered.contains(current)) {
                if (path.contains(current)) {
                    path.add(current);
                    throw new StartupException("certificateAuthorities." + current + ".parent: the parents form a cycle ("
                            + String.join(" -> ", path.subList(path.indexOf(current), path.size())) + ")");
                }
                path.add(current);
                String parent = configs.get(current).getParent();
                if (parent != null && !configs.containsKey(parent)) {
                    throw new StartupException("certificateAuthorities." + current + ".parent: no certificate authority named '"
                            + parent + "' is configured (certificateAuthorities: " + String.join(", ", configs.keySet()) + ")");
                }
                current = parent;
            }
            for (int i = path.size() - 1; i >= 0; i--) {
                ordered.add(path.get(i));
            }
        }
        return List.copyOf(ordered);
    }

    private static Map<String, Integer> depthBelow(Map<String, CertificateAuthorityFactory> configs) {
        Map<String, Integer> depth = new LinkedHashMap<>();
        configs.keySet().forEach(n -> depth.put(n, 0));
        for (String name : configs.keySet()) {
            int level = 1;
            for (String p = configs.get(name).getParent(); p != null; p = configs.get(p).getParent(), level++) {
                depth.merge(p, level, Math::max);
            }
        }
        return depth;
    }

    /** The configured names, in configuration order. */
    List<String> names() {
        return List.copyOf(configs.keySet());
    }

    /** The configured names, parents before their children. */
    List<String> creationOrder() {
        return creationOrder;
    }

    boolean isConfigured(String name) {
        return configs.containsKey(name);
    }

    /** The configuration of a configured CA. */
    CertificateAuthorityFactory config(String name) {
        return configs.get(name);
    }

    /** The parent of a configured CA; null for a root. */
    String parent(String name) {
        return configs.get(name).getParent();
    }

    /** How many CA levels lie below a configured CA: the path length its certificate allows. */
    int depthBelow(String name) {
        return depthBelow.get(name);
    }

    /** A CA named in a URL: unknown is {@link RejectedException#notFound}. */
    void requireConfigured(String name) {
        if (!configs.containsKey(name)) {
            throw RejectedException.notFound("certificate authority", name);
        }
    }

    /** A CA named in a request body or a credential: unknown is invalid on the field {@code ca}, naming the configured CAs. */
    void requireCaField(String name) {
        if (name == null || !configs.containsKey(name)) {
            throw RejectedException.invalid("ca", "no certificate authority named '" + name + "' (configured: "
                    + configs.keySet() + ")");
        }
    }
}
