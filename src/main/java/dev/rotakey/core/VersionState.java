package dev.rotakey.core;

import java.util.EnumSet;
import java.util.Set;

/** The life of one credential version, as in docs/design.md: only the listed transitions exist. */
public enum VersionState {
    PENDING,
    CURRENT,
    PREVIOUS,
    REVOKED,
    FAILED;

    /** The states this one may move to. REVOKED and FAILED are final. */
    public Set<VersionState> next() {
        return switch (this) {
            case PENDING -> EnumSet.of(CURRENT, FAILED);
            case CURRENT -> EnumSet.of(PREVIOUS, REVOKED);
            case PREVIOUS -> EnumSet.of(REVOKED);
            case REVOKED, FAILED -> EnumSet.noneOf(VersionState.class);
        };
    }

    public boolean canMoveTo(VersionState target) {
        return next().contains(target);
    }

    /** Whether a consumer presenting this version's credential should be accepted. */
    public boolean accepted() {
        return this == CURRENT || this == PREVIOUS;
    }
}
