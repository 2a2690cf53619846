package dev.rotakey.targets;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.dropwizard.jackson.Discoverable;

/**
 * Configuration of one target, chosen by its {@code type} ({@code local-files}, …). Each
 * implementation is listed in {@code META-INF/services/dev.rotakey.targets.TargetFactory}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
public interface TargetFactory extends Discoverable {

    /** Builds the target named {@code name}; secrets in its config are read here, once. */
    Target build(String name);

    /**
     * The target's storm-control limits, or null for none. Not a bean getter, so that Jackson
     * sees the {@code limits} property only on factories that declare it (see
     * {@link AbstractTargetFactory}).
     */
    default TargetLimitsFactory limits() {
        return null;
    }

    /**
     * Whether what this target holds lives on the node that wrote it (a local directory) rather than in a system
     * every node reaches: a cluster refuses such a target unless its config says the storage is shared.
     */
    default boolean nodeLocal() {
        return false;
    }
}
