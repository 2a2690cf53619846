package dev.rotakey.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** {@link VersionState}: the transition table of docs/design.md (all 25 pairs) and which states a consumer accepts. */
class VersionStateTest {
    /**
     * docs/design.md's diagram: PENDING → CURRENT (promote) or FAILED (retries exhausted / aborted);
     * CURRENT → PREVIOUS (next version promoted) or REVOKED (emergency / decommission, at once);
     * PREVIOUS → REVOKED (grace over, or emergency). REVOKED and FAILED are final.
     */
    private static final Map<VersionState, Set<VersionState>> ALLOWED = Map.of(
            VersionState.PENDING, EnumSet.of(VersionState.CURRENT, VersionState.FAILED),
            VersionState.CURRENT, EnumSet.of(VersionState.PREVIOUS, VersionState.REVOKED),
            VersionState.PREVIOUS, EnumSet.of(VersionState.REVOKED),
            VersionState.REVOKED, EnumSet.noneOf(VersionState.class),
            VersionState.FAILED, EnumSet.noneOf(VersionState.class));

    static Stream<Arguments> allPairs() {
        List<Arguments> pairs = new ArrayList<>();
        for (VersionState from : VersionState.values()) {
            for (VersionState to : VersionState.values()) {
                pairs.add(arguments(from, to, ALLOWED.get(from).contains(to)));
            }
        }
        assertThat(pairs).hasSize(25);
        return pairs.stream();
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @MethodSource("allPairs")
    void transitionTable(VersionState from, VersionState to, boolean allowed) {
        assertThat(from.canMoveTo(to)).isEqualTo(allowed);
        assertThat(from.next().contains(to)).isEqualTo(allowed);
    }

    @ParameterizedTest
    @EnumSource(VersionState.class)
    void noStateMovesToItself(VersionState s) {
        assertThat(s.canMoveTo(s)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(VersionState.class)
    void nextIsExactlyTheTableRow(VersionState s) {
        assertThat(s.next()).containsExactlyInAnyOrderElementsOf(ALLOWED.get(s));
    }

    @ParameterizedTest
    @EnumSource(VersionState.class)
    void onlyCurrentAndPreviousAreAccepted(VersionState s) {
        assertThat(s.accepted()).isEqualTo(s == VersionState.CURRENT || s == VersionState.PREVIOUS);
    }

    @ParameterizedTest
    @EnumSource(value = VersionState.class, names = {"REVOKED", "FAILED"})
    void finalStatesHaveNoWayOut(VersionState s) {
        assertThat(s.next()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(VersionState.class)
    void nextIsADefensiveCopy(VersionState s) {
        Set<VersionState> next = s.next();
        next.add(VersionState.CURRENT);
        next.add(VersionState.REVOKED);
        assertThat(s.next()).containsExactlyInAnyOrderElementsOf(ALLOWED.get(s));
    }
}
