package dev.rotakey.targets;

import java.util.List;

/**
 * One version of a credential as a binding recorded it: its number and the {@link Target#materialReference}
 * values stored for it at that binding (several when its material was issued again after a restart, empty
 * when the target records none). Public data only.
 */
public record VersionReferences(int version, List<String> references) {
    public VersionReferences {
        references = List.copyOf(references);
    }
}
